// `elyza-bot feedback export` through the CLI's entry point: the store in probe.dataDirectory, the
// suite file it writes read back by the suite loader, the errors and exit codes.

import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import { parseSince } from "../../src/cli/commands/feedback.js";
import { FeedbackStore, type FeedbackVote } from "../../src/feedback/store.js";
import { loadSuite } from "../../src/probe/suite-loader.js";

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "feedback-cli-"));
  const data = path.join(dir, "data");
  const config = path.join(dir, "config.yaml");
  writeFileSync(config, `probe:\n  dataDirectory: ${JSON.stringify(data)}\n`);
  return { dir, data, config };
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    env: {},
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const vote = (overrides: Partial<FeedbackVote>): FeedbackVote => ({
  platform: "discord",
  channel: "100",
  questionKey: "discord:100:200",
  answerMessageId: "300",
  asker: "1",
  rater: "1",
  rating: "down",
  question: "モンティ・ホール問題で、選択を変えるべきですか？",
  answer: "変えても変えなくても確率は1/2です。",
  systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。",
  modelName: "test.gguf",
  modelFingerprint: null,
  seed: 9,
  sampling: { temperature: 0.6, topP: 0.9, maxTokens: 100 },
  ...overrides,
});

describe("elyza-bot feedback export", () => {
  it("writes the 👎 answers as a suite the loader accepts", async () => {
    const { dir, data, config } = setup();
    const store = new FeedbackStore(data);
    store.record(vote({}));
    store.record(vote({ answerMessageId: "301", rating: "up" }));
    await store[Symbol.asyncDispose]();
    const out = path.join(dir, "from-chat.yaml");
    const result = await cli(["feedback", "export", "--out", out, "--config", config]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toContain("1 test from 1 👎 vote");
    const suite = loadSuite(out, dir);
    expect(suite.name).toBe("from-chat");
    expect(suite.tests.map((t) => t.prompt)).toEqual([vote({}).question]);
  });

  it("exits 1 with one line when there is no store or no 👎 vote (in the span)", async () => {
    const { dir, data, config } = setup();
    const out = path.join(dir, "s.yaml");
    const none = await cli(["feedback", "export", "--out", out, "--config", config]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^elyza-bot: feedback export: no feedback yet \(.*feedback\.sqlite does not exist/);
    expect(existsSync(path.join(data, "feedback.sqlite"))).toBe(false);

    const t = Date.now() - 3 * 86_400_000;
    const store = new FeedbackStore(data, { now: () => t });
    store.record(vote({ rating: "up" }));
    store.record(vote({ rater: "2" }));
    await store[Symbol.asyncDispose]();
    const old = await cli(["feedback", "export", "--out", out, "--since", "1d", "--config", config]);
    expect(old.code).toBe(1);
    expect(old.err).toMatch(/^elyza-bot: feedback export: no 👎 votes since \d{4}-.* in .*feedback\.sqlite; nothing to export$/);
    expect(existsSync(out)).toBe(false);
    expect((await cli(["feedback", "export", "--out", out, "--since", "7d", "--config", config])).code).toBe(0);
  });

  it("names a bad flag with exit 2", async () => {
    const { config } = setup();
    expect(await cli(["feedback", "export", "--config", config])).toMatchObject({ code: 2, err: expect.stringContaining("--out FILE.yaml is required") });
    expect(await cli(["feedback", "export", "--out", "x.txt"])).toMatchObject({ code: 2, err: expect.stringContaining("--out must end in .yaml") });
    expect(await cli(["feedback", "import"])).toMatchObject({ code: 2, err: expect.stringContaining('unknown subcommand "import"') });
    expect(await cli(["feedback", "export", "--out", "x.yaml", "--since", "yesterday"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--since must be"),
    });
  });
});

describe("parseSince", () => {
  it("reads spans back from now and ISO dates", () => {
    const now = Date.parse("2026-12-02T00:00:00Z");
    expect(parseSince("12h", now)).toBe(Date.parse("2026-12-01T12:00:00Z"));
    expect(parseSince("30m", now)).toBe(now - 30 * 60_000);
    expect(parseSince("2026-11-30T09:00Z", now)).toBe(Date.parse("2026-11-30T09:00Z"));
    expect(parseSince("2026-11-30", now)).toBe(Date.parse("2026-11-30"));
    expect(() => parseSince("2026-13-45", now)).toThrow(/--since/);
  });
});
