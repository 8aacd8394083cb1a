import { describe, expect, it } from "vitest";
import { QueueFullError } from "../../src/inference/errors.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { InferenceQueueLike, InferenceRequest } from "../../src/inference/queue-types.js";
import type { GenerateOptions } from "../../src/inference/types.js";
import { ProbeOptionsError } from "../../src/probe/plan.js";
import { ProbeRunner } from "../../src/probe/runner.js";
import type { GradeFn, ProbeRunnerOptions } from "../../src/probe/runner-options.js";
import { runSeed } from "../../src/probe/seeds.js";
import type { ProbeProgress, ProbeSuite, ProbeTest } from "../../src/probe/types.js";
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
    probeTest("reading", "国語の問題", { baseline: { passed: 10, total: 10 } }),
    probeTest("monty-hall", "モンティ・ホール問題", { baseline: { passed: 0, total: 10 }, references: [{ label: "GPT-4", passed: 10, total: 10 }] }),
  ],
};

const loadSuite = (name: string): ProbeSuite => {
  if (name !== "seed") throw new Error(`unknown suite "${name}"`);
  return SUITE;
};

/** Passes answers that say "ok". */
const stubGrade: GradeFn = async (_test, answer) => (answer.includes("ok") ? { pass: true, reason: "says ok" } : { pass: false, reason: `says "${answer}"` });

function questionOf(o: GenerateOptions): string {
  return o.conversation.turns.at(-1)?.text ?? "";
}

interface Setup {
  parallel?: number;
  refuseAbove?: number;
  totalMs?: number;
  /** Answer by question and how many times that question was asked before (0-based). */
  answer?: (question: string, nth: number) => ScriptedAnswer;
  runner?: Partial<ProbeRunnerOptions>;
}

/** The real queue over a ScriptedEngine; by default every test answers "ok" except monty-hall. */
function setup(s: Setup = {}) {
  const asked = new Map<string, number>();
  const answer = s.answer ?? ((q) => ({ chunks: q === "Q:monty-hall" ? ["ng"] : ["o", "k"], chunkDelayMs: 1 }));
  const engine = new ScriptedEngine(s.parallel ?? 4, (o) => {
    const q = questionOf(o);
    const nth = asked.get(q) ?? 0;
    asked.set(q, nth + 1);
    return answer(q, nth);
  });
  const real = new InferenceQueue(engine, {
    sampling: SUITE.sampling,
    maxWaiting: 100,
    maxPerUser: 100,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: s.totalMs ?? FOREVER },
  });
  const submitted: InferenceRequest[] = [];
  let live = 0;
  const queue: InferenceQueueLike = {
    submit: (r) => {
      // The real queue never refuses probe runs; should one (refuseAbove), no run may be lost.
      if (s.refuseAbove !== undefined && live >= s.refuseAbove) throw new QueueFullError("user_limit", `at most ${s.refuseAbove}`);
      const ticket = real.submit(r);
      live++;
      void ticket.result.finally(() => live--).catch(() => {});
      submitted.push(r);
      return ticket;
    },
    stats: () => real.stats(),
    onIdle: () => real.onIdle(),
  };
  const warnings: string[] = [];
  const runner = new ProbeRunner({
    queue,
    loadSuite,
    grade: stubGrade,
    modelName: "scripted.gguf",
    defaultSuite: "seed",
    warn: (m) => warnings.push(m),
    ...s.runner,
  });
  return { engine, queue: real, submitted, runner, warnings };
}

describe("ProbeRunner", () => {
  it("submits every run at once with priority probe and turns known answers into known tallies", async () => {
    // reading: runs 1–7 answer ok, 8–10 do not.
    const { runner, submitted, engine } = setup({
      answer: (q, nth) => ({ chunks: q === "Q:monty-hall" || (q === "Q:reading" && nth >= 7) ? ["ng"] : ["o", "k"], chunkDelayMs: 1 }),
    });
    const progress: ProbeProgress[] = [];
    const handle = runner.run({}, "slack:U1");
    handle.onProgress((p) => progress.push(p));
    expect(handle.joined).toBe(false);
    // All 30 runs are in the queue before anything finished.
    expect(submitted).toHaveLength(30);
    expect(new Set(submitted.map((r) => r.priority))).toEqual(new Set(["probe"]));
    expect(new Set(submitted.map((r) => r.userId))).toEqual(new Set(["probe"]));
    expect(submitted[0]?.conversation).toEqual({ systemPrompt: SUITE.systemPrompt, turns: [{ role: "user", text: "Q:theory-of-mind" }] });

    const result = await handle.result;
    expect(result.cancelled).toBe(false);
    expect(result.runs).toBe(10);
    expect(result.model).toBe("scripted.gguf");
    expect(result.tests.map((t) => [t.id, t.passed, t.total])).toEqual([
      ["theory-of-mind", 10, 10],
      ["reading", 7, 10],
      ["monty-hall", 0, 10],
    ]);
    const [tom, reading, monty] = result.tests;
    expect(tom?.ci95).toEqual([0.722, 1]);
    expect(monty?.ci95).toEqual([0, 0.278]);
    expect(monty?.references).toEqual([{ label: "GPT-4", passed: 10, total: 10 }]);
    expect(tom?.baseline).toEqual({ passed: 10, total: 10 });
    expect(reading?.results.map((r) => r.run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(reading?.results.filter((r) => !r.pass).map((r) => r.run)).toEqual([8, 9, 10]);
    expect(reading?.results[9]).toMatchObject({ pass: false, reason: 'says "ng"', answer: "ng", tokens: 1, stopReason: "done" });
    expect(result.settings).toMatchObject({ temperature: 0.6, topP: 0.9, maxTokens: 1200, grading: "rule" });
    expect(result.tokensPerSecond).toBeGreaterThan(0);
    expect(engine.calls).toHaveLength(30);

    // Progress: from 0/30 to 30/30, one step per run, the final tallies per test.
    expect(progress[0]?.done).toBe(0);
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(progress.at(-1)?.perTest).toEqual([
      { id: "theory-of-mind", title: "心のモデル", done: 10, passed: 10, total: 10 },
      { id: "reading", title: "国語の問題", done: 10, passed: 7, total: 10 },
      { id: "monty-hall", title: "モンティ・ホール問題", done: 10, passed: 0, total: 10 },
    ]);
  });

  it("gives every run its own seed, records it and sends it to the engine", async () => {
    const { runner, engine } = setup({ runner: { baseSeed: 12345 } });
    const result = await runner.run({}, "u").result;
    const seeds = result.tests.flatMap((t) => t.results.map((r) => r.seed));
    expect(new Set(seeds).size).toBe(30);
    expect(new Set(engine.calls.map((c) => c.sampling.seed))).toEqual(new Set(seeds));
    expect(result.settings.baseSeed).toBe(12345);
    // Derived from the base seed and the test's place in the suite: a run can be replayed.
    expect(result.tests[1]?.results[2]?.seed).toBe(runSeed(12345, 1, 3));

    // A subset with fewer runs gets the same seed for the same test and run.
    const again = await runner.run({ tests: ["reading"], runs: 3 }, "u").result;
    expect(again.tests.map((t) => t.id)).toEqual(["reading"]);
    expect(again.tests[0]?.results.map((r) => r.seed)).toEqual(result.tests[1]?.results.slice(0, 3).map((r) => r.seed));
  });

  it("takes its base seed from the clock when none is given", async () => {
    const a = await setup({ runner: { now: () => 1_700_000_000_000 } }).runner.run({ runs: 1 }, "u").result;
    const b = await setup({ runner: { now: () => 1_700_000_000_001 } }).runner.run({ runs: 1 }, "u").result;
    expect(a.settings.baseSeed).not.toBe(b.settings.baseSeed);
    expect(a.startedAt).toBe("2023-11-14T22:13:20.000Z");
  });

  it("cancel() ends every queued and running run and keeps the runs done so far", async () => {
    const { runner, engine, queue } = setup({ parallel: 2, answer: () => ({ chunks: ["o", "k"], chunkDelayMs: 20 }) });
    const handle = runner.run({}, "u");
    await new Promise<void>((resolve) => handle.onProgress((p) => p.done >= 4 && resolve()));
    expect(runner.cancel()).toBe(true);
    const result = await handle.result;
    expect(result.cancelled).toBe(true);
    const done = result.tests.reduce((n, t) => n + t.total, 0);
    expect(done).toBeGreaterThanOrEqual(4);
    expect(done).toBeLessThan(30);
    // Cut-short answers are not verdicts: everything kept ran to the end and passed.
    for (const t of result.tests) {
      expect(t.passed).toBe(t.total);
      for (const r of t.results) expect(r.stopReason).toBe("done");
    }
    expect(engine.calls.length).toBeLessThan(30);
    expect(queue.stats()).toEqual({ waiting: 0, running: 0 });
    expect(runner.running).toBe(false);
    expect(runner.cancel()).toBe(false);
  });

  it("cancel() withdraws gradings in progress (a judge's) and does not count them as failures", async () => {
    const signals: AbortSignal[] = [];
    const { runner } = setup({
      runner: {
        grade: (_test, _answer, _mode, signal) =>
          new Promise((resolve) => {
            signals.push(signal!);
            // A judge that only answers when withdrawn, with nothing usable.
            signal!.addEventListener("abort", () => resolve({ pass: false, reason: "judge returned no JSON verdict" }), { once: true });
          }),
      },
    });
    const handle = runner.run({ runs: 1, grading: "judge" }, "u");
    await expect.poll(() => signals.length).toBe(3);
    expect(runner.cancel()).toBe(true);
    const result = await handle.result;
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(result.cancelled).toBe(true);
    expect(result.tests.map((t) => t.total)).toEqual([0, 0, 0]);
  });

  it("runs one probe at a time: a second run() joins and gets the same result", async () => {
    const { runner, engine } = setup({ answer: () => ({ chunks: ["o", "k"], chunkDelayMs: 5 }) });
    const first = runner.run({ runs: 2 }, "slack:U1");
    const second = runner.run({ runs: 7, tests: ["reading"] }, "discord:42");
    expect(second.joined).toBe(true);
    expect(second.result).toBe(first.result);
    // A joiner sees where the probe stands at once.
    const seen: ProbeProgress[] = [];
    second.onProgress((p) => seen.push(p));
    expect(seen[0]?.total).toBe(6);
    const result = await second.result;
    expect(result.runs).toBe(2);
    expect(engine.calls).toHaveLength(6);
    // Once it is over, the next request starts a new probe.
    const third = runner.run({ runs: 1 }, "u");
    expect(third.joined).toBe(false);
    expect(third.result).not.toBe(first.result);
    await third.result;
  });

  it("lets an interactive request submitted mid-probe start before the remaining probe runs", async () => {
    const { runner, queue, engine } = setup({ parallel: 1, answer: (q) => ({ chunks: [q === "人間の質問" ? "はい" : "ok"], chunkDelayMs: 2 }) });
    const handle = runner.run({ runs: 3 }, "u");
    await new Promise<void>((resolve) => handle.onProgress((p) => p.done === 1 && resolve()));
    const startedBefore = engine.calls.length;
    expect(startedBefore).toBeLessThanOrEqual(2);
    const ticket = queue.submit({
      userId: "slack:U9",
      priority: "interactive",
      conversation: { systemPrompt: "s", turns: [{ role: "user", text: "人間の質問" }] },
    });
    await ticket.result;
    await handle.result;
    const order = engine.calls.map(questionOf);
    // The question goes right after the probe run that was running, before all the remaining ones.
    expect(order.indexOf("人間の質問")).toBe(startedBefore);
    expect(order).toHaveLength(10);
  });

  it("counts a run that fails in the queue as failing, with the error as its reason", async () => {
    const { runner } = setup({
      totalMs: 100,
      answer: (q) =>
        q === "Q:reading"
          ? { chunks: [], fail: new Error("CUDA out of memory") }
          : q === "Q:monty-hall"
            ? { chunks: ["o", "k"], chunkDelayMs: 1_000 }
            : { chunks: ["o", "k"], chunkDelayMs: 1 },
    });
    const result = await runner.run({ runs: 2 }, "u").result;
    const [tom, reading, monty] = result.tests;
    expect([tom?.passed, tom?.total]).toEqual([2, 2]);
    expect(reading?.total).toBe(2);
    expect(reading?.passed).toBe(0);
    expect(reading?.results[0]).toMatchObject({ pass: false, reason: "inference failed: CUDA out of memory", answer: "", tokens: 0, stopReason: "error" });
    expect(monty?.total).toBe(2);
    expect(monty?.results[0]?.reason).toBe("inference failed: InferenceTimeoutError: generation took longer than 100 ms");
  });

  it("counts a grader that throws as a failing run", async () => {
    const { runner } = setup({
      runner: {
        grade: async (test) => {
          if (test.id === "reading") throw new Error("judge unreachable");
          return { pass: true, reason: "fine" };
        },
      },
    });
    const result = await runner.run({ runs: 1 }, "u").result;
    expect(result.tests[1]?.results[0]).toMatchObject({ pass: false, reason: "grader failed: judge unreachable" });
    expect(result.tests[0]?.passed).toBe(1);
  });

  it("passes the grading mode through to the grader", async () => {
    const modes: string[] = [];
    const { runner } = setup({ runner: { grade: async (_t, _a, mode) => (modes.push(mode), { pass: true, reason: "" }) } });
    const result = await runner.run({ runs: 1, grading: "judge" }, "u").result;
    expect(new Set(modes)).toEqual(new Set(["judge"]));
    expect(result.settings.grading).toBe("judge");
  });

  it("counts a run the queue refuses as failing, with the refusal as its reason", async () => {
    const { runner, engine } = setup({ refuseAbove: 2 });
    const result = await runner.run({ runs: 1 }, "u").result;
    expect(result.tests.map((t) => t.total)).toEqual([1, 1, 1]);
    expect(engine.calls).toHaveLength(2);
    expect(result.tests[2]?.results[0]).toMatchObject({ pass: false, reason: "inference failed: QueueFullError: at most 2", stopReason: "error" });
  });

  it("keeps at most maxInFlight runs in the queue when asked to", async () => {
    const { runner, engine, submitted, queue } = setup({ runner: { maxInFlight: 3 } });
    let most = 0;
    const handle = runner.run({ runs: 4 }, "u");
    expect(submitted).toHaveLength(3);
    handle.onProgress(() => {
      const { waiting, running } = queue.stats();
      most = Math.max(most, waiting + running);
    });
    const result = await handle.result;
    expect(result.tests.map((t) => t.passed + "/" + t.total)).toEqual(["4/4", "4/4", "0/4"]);
    expect(engine.calls).toHaveLength(12);
    expect(most).toBeLessThanOrEqual(3);
  });

  it("rejects unknown test ids, a bad run count and an unknown suite with a clear error", async () => {
    const { runner } = setup();
    const unknown = runner.run({ tests: ["reading", "nope"] }, "u");
    await expect(unknown.result).rejects.toThrow(ProbeOptionsError);
    await expect(unknown.result).rejects.toThrow('unknown test id "nope" in suite seed (known: theory-of-mind, reading, monty-hall)');
    await expect(runner.run({ runs: 0 }, "u").result).rejects.toThrow("runs must be a whole number");
    await expect(runner.run({ suite: "other" }, "u").result).rejects.toThrow('unknown suite "other"');
    // A refused start leaves nothing running.
    expect(runner.running).toBe(false);
  });

  it("reads the model hash once per probe and survives a failing one", async () => {
    const ok = await setup({ runner: { modelHash: async () => "abc123" } }).runner.run({ runs: 1 }, "u").result;
    expect(ok.modelHash).toBe("abc123");
    const s = setup({ runner: { modelHash: async () => Promise.reject(new Error("unreadable")) } });
    const bad = await s.runner.run({ runs: 1 }, "u").result;
    expect(bad.modelHash).toBeUndefined();
    expect(s.warnings).toEqual(["probe: model hash failed: unreadable"]);
  });

  it("survives a progress listener that throws", async () => {
    const { runner, warnings } = setup();
    const handle = runner.run({ runs: 1 }, "u");
    handle.onProgress(() => {
      throw new Error("render bug");
    });
    const result = await handle.result;
    expect(result.tests.every((t) => t.total === 1)).toBe(true);
    expect(warnings[0]).toBe("probe: progress listener failed: render bug");
  });
});
