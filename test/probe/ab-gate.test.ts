// A/B probes, pass^k, the CI gate and its JUnit XML, on the real queue over scripted engines
// (the engine is not under test here) and the real SQLite history.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { InferenceQueueLike, InferenceRequest } from "../../src/inference/queue-types.js";
import { evaluateGate } from "../../src/probe/gate.js";
import { ProbeHistory } from "../../src/probe/history-store.js";
import { renderJunit } from "../../src/probe/report/junit.js";
import { toProbeJson } from "../../src/probe/report/json.js";
import { renderTextReport } from "../../src/probe/report/text.js";
import { ProbeOptionsError } from "../../src/probe/plan.js";
import { ProbeRunner } from "../../src/probe/runner.js";
import type { CompareModel, GradeFn } from "../../src/probe/runner-options.js";
import type { ProbeSuite, ProbeTest } from "../../src/probe/types.js";
import { ScriptedEngine, type ScriptedAnswer } from "../helpers/scripted-engine.js";

const FOREVER = 600_000;

function probeTest(id: string, title: string, extra: Partial<ProbeTest> = {}): ProbeTest {
  return { id, title, prompt: `Q:${id}`, reference: "ok", grader: { kind: "rule", rule: "reading" }, ...extra };
}

const SUITE: ProbeSuite = {
  name: "seed",
  systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。",
  runs: 10,
  sampling: { temperature: 0.6, topP: 0.9, maxTokens: 1200 },
  grading: "rule",
  tests: [
    probeTest("theory-of-mind", "心のモデル", { baseline: { passed: 10, total: 10 } }),
    probeTest("reading", "国語の問題 <&\"'>", { baseline: { passed: 10, total: 10 } }),
  ],
};

/** Passes answers that say "ok"; the reason quotes the answer (so XML escaping gets exercised). */
const grade: GradeFn = async (_test, answer) => (answer.includes("ok") ? { pass: true, reason: "says ok" } : { pass: false, reason: `says "${answer}" <&>` });

function scriptedQueue(answer: (question: string, nth: number) => ScriptedAnswer, order?: string[], arm = "") {
  const asked = new Map<string, number>();
  const engine = new ScriptedEngine(4, (o) => {
    const q = o.conversation.turns.at(-1)?.text ?? "";
    const nth = asked.get(q) ?? 0;
    asked.set(q, nth + 1);
    return answer(q, nth);
  });
  const queue = new InferenceQueue(engine, {
    sampling: SUITE.sampling,
    maxWaiting: 1000,
    maxPerUser: 1000,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
  });
  const submitted: InferenceRequest[] = [];
  const recording: InferenceQueueLike = {
    submit: (r) => (submitted.push(r), order?.push(`${arm}${r.sampling?.seed}`), queue.submit(r)),
    stats: () => queue.stats(),
    onIdle: () => queue.onIdle(),
  };
  return { engine, queue: recording, submitted };
}

const ok = (): ScriptedAnswer => ({ chunks: ["o", "k"], chunkDelayMs: 1 });
const ng = (): ScriptedAnswer => ({ chunks: ["n", "g"], chunkDelayMs: 1 });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-ab-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("A/B probes", () => {
  it("runs both models on the same tests with the same seeds, interleaved, and compares the tallies", async () => {
    const order: string[] = [];
    const a = scriptedQueue(() => ok(), order, "a");
    // B: theory-of-mind always fails; reading passes runs 1–5 only.
    const b = scriptedQueue((q, nth) => (q === "Q:theory-of-mind" || nth >= 5 ? ng() : ok()), order, "b");
    let closed = 0;
    const opened: string[] = [];
    const runner = new ProbeRunner({
      queue: a.queue,
      loadSuite: () => SUITE,
      grade,
      modelName: "a.gguf",
      defaultSuite: "seed",
      baseSeed: 42,
      openCompare: async (name): Promise<CompareModel> => {
        opened.push(name);
        return { modelName: "b.gguf", queue: b.queue, [Symbol.asyncDispose]: async () => void closed++ };
      },
    });
    const handle = runner.run({ compare: "q8" }, "cli");
    const seen: number[] = [];
    handle.onProgress((p) => seen.push(p.total));
    const result = await handle.result;
    expect(opened).toEqual(["q8"]);
    expect(closed).toBe(1);
    expect(seen.every((t) => t === 40)).toBe(true);
    expect(result.compare).toEqual({ model: "b.gguf" });

    // Same seeds on both arms, run by run and test by test.
    const seeds = (q: typeof a) => q.submitted.map((r) => `${r.conversation.turns[0]!.text}:${r.sampling?.seed}`);
    expect(seeds(b)).toEqual(seeds(a));
    expect(a.submitted).toHaveLength(20);
    // Interleaved: every run goes to A, then at once with the same seed to B.
    expect(order).toHaveLength(40);
    for (let i = 0; i < 40; i += 2) expect([order[i]![0], order[i + 1]![0], order[i]!.slice(1)]).toEqual(["a", "b", order[i + 1]!.slice(1)]);

    const [tom, reading] = result.tests;
    expect([tom!.passed, tom!.total, tom!.compare!.passed, tom!.compare!.total]).toEqual([10, 10, 0, 10]);
    // Hand-computed (see stats.test.ts): Newcombe [0.608, 1], Fisher 2/C(20,10).
    expect(tom!.compare!.differenceCi95).toEqual([0.608, 1]);
    expect(tom!.compare!.pValue).toBe(Number((2 / 184756).toPrecision(4)));
    expect(tom!.compare!.better).toBe("a");
    expect(tom!.compare!.results.map((r) => r.seed)).toEqual(tom!.results.map((r) => r.seed));
    expect([reading!.passed, reading!.compare!.passed]).toEqual([10, 5]);
    expect(reading!.compare!.difference).toBe(0.5);

    const text = renderTextReport(result);
    expect(text).toContain("A: a.gguf · B: b.gguf");
    expect(text).toContain("差あり: A が高い");
    expect(toProbeJson(result).tests[0]!.compare).toMatchObject({ model: "b.gguf", passed: 0, total: 10, differenceCi95: [0.608, 1], better: "a" });
  });

  it("says there is no evidence of a difference when the tallies are alike (5/10 vs 5/10)", async () => {
    const half = (_q: string, nth: number) => (nth % 2 === 0 ? ok() : ng());
    const a = scriptedQueue(half);
    const b = scriptedQueue(half);
    const runner = new ProbeRunner({
      queue: a.queue,
      loadSuite: () => ({ ...SUITE, tests: [SUITE.tests[0]!] }),
      grade,
      modelName: "a.gguf",
      defaultSuite: "seed",
      openCompare: async () => ({ modelName: "b.gguf", queue: b.queue, [Symbol.asyncDispose]: async () => {} }),
    });
    const result = await runner.run({ compare: "b" }, "cli").result;
    const c = result.tests[0]!.compare!;
    expect([result.tests[0]!.passed, c.passed]).toEqual([5, 5]);
    expect(c.differenceCi95).toEqual([-0.373, 0.373]);
    expect(c.pValue).toBe(1);
    expect(c.better).toBe("none");
    expect(renderTextReport(result)).toContain("n=10 では差の証拠なし");
  });

  it("refuses compare where no second model can be opened, and reports a model that fails to load", async () => {
    const a = scriptedQueue(() => ok());
    const plain = new ProbeRunner({ queue: a.queue, loadSuite: () => SUITE, grade, modelName: "a", defaultSuite: "seed" });
    await expect(plain.run({ compare: "x" }, "cli").result).rejects.toThrow(ProbeOptionsError);
    const failing = new ProbeRunner({
      queue: a.queue,
      loadSuite: () => SUITE,
      grade,
      modelName: "a",
      defaultSuite: "seed",
      openCompare: async (name) => {
        throw new ProbeOptionsError(`compare=${name}: not a configured model`);
      },
    });
    await expect(failing.run({ compare: "nope" }, "cli").result).rejects.toThrow("compare=nope: not a configured model");
    // The runner is free again afterwards.
    expect(failing.running).toBe(false);
    expect(a.submitted).toHaveLength(0);
  });
});

describe("pass^k", () => {
  it("reports whether every run passed and the estimate C(c,k)/C(n,k)", async () => {
    // reading passes 7 of 10.
    const a = scriptedQueue((q, nth) => (q === "Q:reading" && nth >= 7 ? ng() : ok()));
    const runner = new ProbeRunner({ queue: a.queue, loadSuite: () => SUITE, grade, modelName: "a", defaultSuite: "seed" });
    const result = await runner.run({ passK: 3 }, "cli").result;
    const [tom, reading] = result.tests;
    expect(tom).toMatchObject({ passAll: true, passK: { k: 3, estimate: 1 } });
    expect(reading).toMatchObject({ passAll: false, passK: { k: 3, estimate: Math.round((35 / 120) * 1000) / 1000 } });
    expect(toProbeJson(result).tests[1]).toMatchObject({ passAll: false, passK: { k: 3, estimate: 0.292 } });
    await expect(runner.run({ runs: 2, passK: 3 }, "cli").result).rejects.toThrow("pass^k needs k from 1 to the 2 runs, not 3");
  });
});

describe("the CI gate", () => {
  function runnerWith(history: ProbeHistory, answer: (q: string, nth: number) => ScriptedAnswer, modelName: string) {
    const a = scriptedQueue(answer);
    return new ProbeRunner({ queue: a.queue, loadSuite: () => SUITE, grade, modelName, defaultSuite: "seed", history });
  }

  it("regression: passes against a stored run it did not fall below, fails against one it did", async () => {
    const history = new ProbeHistory(dir);
    try {
      const good = await runnerWith(history, () => ok(), "old.gguf").run({}, "cli").result;
      // Nothing stored before the first probe: nothing to compare with, so the gate passes.
      expect(good.previousRun).toBeUndefined();
      expect(evaluateGate(good, "regression")).toMatchObject({ passed: true });

      // The new model: reading drops to 4/10 (below Wilson(10/10) = 72–100 %), theory-of-mind holds.
      const worse = await runnerWith(history, (q, nth) => (q === "Q:reading" && nth >= 4 ? ng() : ok()), "new.gguf").run({}, "cli").result;
      expect(worse.previousRun).toMatchObject({
        model: "old.gguf",
        tests: [
          { id: "theory-of-mind", passed: 10, total: 10 },
          { id: "reading", passed: 10, total: 10 },
        ],
      });
      const gate = evaluateGate(worse, "regression");
      expect(gate.passed).toBe(false);
      expect(gate.checks.map((c) => [c.id, c.status])).toEqual([
        ["theory-of-mind", "pass"],
        ["reading", "fail"],
      ]);
      expect(gate.checks[1]!.reason).toContain("4/10 against the previous run's 10/10 (95% CI 72–100%): below the interval");

      // Another probe at other settings is not compared with either of them.
      const other = await new ProbeRunner({
        queue: scriptedQueue(() => ng()).queue,
        loadSuite: () => ({ ...SUITE, sampling: { ...SUITE.sampling, temperature: 0 } }),
        grade,
        modelName: "new.gguf",
        defaultSuite: "seed",
        history,
      }).run({}, "cli").result;
      expect(other.previousRun).toBeUndefined();
      expect(evaluateGate(other, "regression").passed).toBe(true);
      expect(evaluateGate(other, "baseline").passed).toBe(false);
      expect(evaluateGate(other, "none").passed).toBe(true);
    } finally {
      await history[Symbol.asyncDispose]();
    }
  });

  it("writes JUnit XML that a real XML parser reads back with one case per test and the failing reasons", async () => {
    const history = new ProbeHistory(dir);
    try {
      await runnerWith(history, () => ok(), "old.gguf").run({}, "cli").result;
      const worse = await runnerWith(history, (q, nth) => (q === "Q:reading" && nth >= 4 ? { chunks: ["n\u0001g"] } : ok()), "new.gguf").run({}, "cli").result;
      const xml = renderJunit(worse, evaluateGate(worse, "regression"));
      expect(XMLValidator.validate(xml)).toBe(true);
      const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => name === "testcase" || name === "property" }).parse(
        xml,
      ) as {
        testsuites: { tests: string; failures: string; testsuite: { testcase: { name: string; failure?: { message: string; "#text": string } }[] } };
      };
      expect(doc.testsuites.tests).toBe("2");
      expect(doc.testsuites.failures).toBe("1");
      const cases = doc.testsuites.testsuite.testcase;
      expect(cases.map((c) => c.name)).toEqual(["theory-of-mind 心のモデル", "reading 国語の問題 <&\"'>"]);
      expect(cases[0]!.failure).toBeUndefined();
      expect(cases[1]!.failure!.message).toContain("below the interval");
      // The six failing runs, each with its seed and the grader's reason (control character dropped).
      const lines = cases[1]!.failure!["#text"].split("\n");
      expect(lines).toHaveLength(6);
      expect(lines[0]).toMatch(/^5回目 \(seed \d+\): says "ng" <&>$/);
    } finally {
      await history[Symbol.asyncDispose]();
    }
  });
});
