// The feedback store on a real SQLite file, and the draft suite it exports read back by the real
// suite loader.

import { mkdtempSync } from "node:fs";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DRAFT_REFERENCE, draftSuiteYaml, feedbackTestId } from "../../src/feedback/export-suite.js";
import { FeedbackStore, type FeedbackVote } from "../../src/feedback/store.js";
import { loadSuite } from "../../src/probe/suite-loader.js";

const SYSTEM = "あなたは誠実で優秀な日本人のアシスタントです。特に指示が無い場合は、常に日本語で回答してください。";

function vote(overrides: Partial<FeedbackVote> = {}): FeedbackVote {
  return {
    platform: "slack",
    channel: "C1",
    questionKey: "slack:T1:C1:1700000000.000100",
    answerMessageId: "1700000001.000200",
    asker: "U1",
    rater: "U1",
    rating: "down",
    question: "サリーはまずどこを探しますか？\n① かご\n② 箱",
    answer: "サリーは箱を探します。",
    systemPrompt: SYSTEM,
    modelName: "Llama-3-ELYZA-JP-8B-q4_k_m.gguf",
    modelFingerprint: "ab".repeat(32),
    seed: 42,
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: 1200 },
    ...overrides,
  };
}

function openStore(now: () => number = () => Date.now()) {
  return new FeedbackStore(mkdtempSync(path.join(os.tmpdir(), "feedback-")), { now });
}

describe("FeedbackStore", () => {
  it("keeps one row per (answer, rater): a second click changes the vote", async () => {
    let t = 1000;
    const store = openStore(() => t);
    expect(store.record(vote({ rating: "up" }))).toBe("added");
    t = 2000;
    expect(store.record(vote({ rating: "down" }))).toBe("changed");
    const rows = store.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rating: "down", ratedAt: 2000, rater: "U1" });
    await store[Symbol.asyncDispose]();
  });

  it("counts other raters and other answers separately, and stores every field", async () => {
    const store = openStore();
    store.record(vote({ rater: "U2" }));
    store.record(vote({ rater: "U3", rating: "up" }));
    store.record(vote({ answerMessageId: "1700000009.000900", seed: 7, modelFingerprint: null }));
    // The same message id on another platform is another answer.
    store.record(vote({ platform: "discord", answerMessageId: "1700000001.000200" }));
    expect(store.tally("slack", "1700000001.000200")).toEqual({ up: 1, down: 1 });
    expect(store.list({ rating: "down" })).toHaveLength(3);
    const second = store.list().find((r) => r.answerMessageId === "1700000009.000900")!;
    expect(second).toEqual({ ...vote({ answerMessageId: "1700000009.000900", seed: 7, modelFingerprint: null }), ratedAt: second.ratedAt });
    await store[Symbol.asyncDispose]();
  });

  it("persists across reopening and filters by time", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "feedback-"));
    let t = 1000;
    const first = new FeedbackStore(dir, { now: () => t });
    first.record(vote({ rater: "A" }));
    t = 5000;
    first.record(vote({ rater: "B" }));
    await first[Symbol.asyncDispose]();
    const again = new FeedbackStore(dir);
    expect(again.list().map((r) => r.rater)).toEqual(["A", "B"]);
    expect(again.list({ since: 3000 }).map((r) => r.rater)).toEqual(["B"]);
    await again[Symbol.asyncDispose]();
  });
});

describe("draftSuiteYaml", () => {
  it("writes one judge-graded test per 👎 answer that the suite loader accepts, prompts verbatim", async () => {
    let t = Date.parse("2026-12-01T10:00:00Z");
    const store = openStore(() => (t += 1000));
    const tricky = "  先頭の空白と末尾の空白  \n\n「引用」: {json: true} # not a comment\n";
    store.record(vote({ rater: "U1" }));
    store.record(vote({ rater: "U2" })); // same answer, another rater: still one test
    store.record(vote({ answerMessageId: "2", question: tricky, answer: "答え: - item\n---\n" }));
    store.record(vote({ answerMessageId: "3", rating: "up", question: "👍 only" }));
    const rows = store.list({ rating: "down" });
    await store[Symbol.asyncDispose]();

    const { yaml, tests } = draftSuiteYaml(rows, { name: "from-chat", exportedAt: new Date("2026-12-02T00:00:00Z") });
    expect(tests).toBe(2);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "draft-")), "from-chat.yaml");
    writeFileSync(file, yaml);
    const suite = loadSuite(file, "/nonexistent");
    expect(suite.name).toBe("from-chat");
    expect(suite.grading).toBe("judge");
    expect(suite.systemPrompt).toBe(SYSTEM);
    expect(suite.sampling).toEqual({ temperature: 0.6, topP: 0.9, maxTokens: 1200 });
    expect(suite.tests.map((x) => x.prompt)).toEqual([vote().question, tricky]);
    expect(suite.tests.map((x) => x.id)).toEqual([feedbackTestId(vote()), feedbackTestId({ platform: "slack", answerMessageId: "2" })]);
    expect(suite.tests[0]!.reference).toBe(DRAFT_REFERENCE);
    const grader = suite.tests[1]!.grader;
    expect(grader.kind).toBe("judge");
    expect(grader.kind === "judge" && grader.rubric).toContain("答え: - item\n---"); // rubrics are trimmed by the loader
    // Where each answer came from stays readable in the file.
    expect(yaml).toContain("seed 42");
    expect(yaml).toContain("👎 by 2 people");
    expect(yaml).toContain("fingerprint abababababab");
  });

  it("refuses to write a suite without a 👎 vote", async () => {
    expect(() => draftSuiteYaml([{ ...vote({ rating: "up" }), ratedAt: 1 }], { name: "x", exportedAt: new Date() })).toThrow(/at least one 👎/);
  });
});
