// Turns the graded runs of a probe into its ProbeResult: the tally per test with its Wilson
// interval, pass^k, the A/B comparison (difference, Newcombe interval, Fisher's p) and the dataset
// summary. Pure: no queue, no clock, no history.

import { summarizeDataset } from "./dataset/summary.js";
import type { Plan, PlannedTest } from "./plan.js";
import { fisherExactTwoSided, newcombeDifference, passHatK } from "./stats.js";
import type { CompareResult, ProbeResult, ProbeSuite, RunResult, TestResult } from "./types.js";
import { roundInterval, wilson } from "./wilson.js";

/** "a": the probe's model; "b": the compared model of an A/B probe. */
export type Arm = "a" | "b";

export interface ProbeOutcome {
  /** The suite as run (a dataset suite with its tasks read). */
  readonly suite: ProbeSuite;
  readonly plan: Plan;
  readonly tests: readonly PlannedTest[];
  readonly modelName: string;
  readonly modelHash: string | undefined;
  /** The compared model of an A/B probe. */
  readonly compare: { readonly model: string; readonly modelHash: string | undefined } | undefined;
  /** The finished runs of one test on one arm, in run order. */
  readonly runsOf: (arm: Arm, testId: string) => RunResult[];
  readonly startMs: number;
  readonly durationMs: number;
  readonly completionTokens: number;
  readonly cancelled: boolean;
  readonly baseSeed: number;
  /** Who grades judged answers, for the dataset summary. */
  readonly judgeName: string;
}

/** The probe's result, without the history's shifts (see run-history.ts). */
export function buildProbeResult(o: ProbeOutcome): ProbeResult {
  const k = o.plan.passK;
  const tests: TestResult[] = o.tests.map(({ test }) => {
    const results = o.runsOf("a", test.id);
    const passed = results.filter((r) => r.pass).length;
    const compare = o.compare ? compareArm(o.compare.model, passed, results.length, o.runsOf("b", test.id), k) : undefined;
    return {
      id: test.id,
      title: test.title,
      passed,
      total: results.length,
      ci95: roundInterval(wilson(passed, results.length)),
      ...(test.baseline ? { baseline: test.baseline } : {}),
      ...(test.references ? { references: test.references } : {}),
      prompt: test.prompt,
      results,
      ...passStats(passed, results.length, k),
      ...(compare ? { compare } : {}),
      ...(test.row !== undefined ? { row: test.row } : {}),
      ...(test.category !== undefined ? { category: test.category } : {}),
    };
  });
  const { suite, durationMs } = o;
  return {
    suite: suite.name,
    model: o.modelName,
    ...(o.modelHash !== undefined ? { modelHash: o.modelHash } : {}),
    runs: o.plan.runs,
    startedAt: new Date(o.startMs).toISOString(),
    durationMs,
    // Wall-clock throughput of the whole probe, batching included.
    tokensPerSecond: durationMs > 0 ? Math.round((o.completionTokens / durationMs) * 10_000) / 10 : 0,
    cancelled: o.cancelled,
    settings: {
      temperature: suite.sampling.temperature,
      topP: suite.sampling.topP,
      maxTokens: suite.sampling.maxTokens,
      grading: o.plan.grading,
      baseSeed: o.baseSeed,
      systemPrompt: suite.systemPrompt,
    },
    tests,
    ...(o.compare ? { compare: { model: o.compare.model, ...(o.compare.modelHash !== undefined ? { modelHash: o.compare.modelHash } : {}) } } : {}),
    ...(suite.dataset ? { dataset: summarizeDataset(suite.dataset, tests, o.judgeName, o.compare?.model) } : {}),
  };
}

/** passAll and the pass^k estimate (when at least k runs finished). */
function passStats(passed: number, total: number, k: number): { passAll: boolean; passK?: { k: number; estimate: number } } {
  return {
    passAll: total > 0 && passed === total,
    ...(total >= k ? { passK: { k, estimate: Math.round(passHatK(passed, total, k) * 1000) / 1000 } } : {}),
  };
}

/** The compared model's tally of one test, and how it differs from this probe's model's. */
function compareArm(model: string, passedA: number, totalA: number, results: RunResult[], k: number): CompareResult {
  const passed = results.filter((r) => r.pass).length;
  const total = results.length;
  const differenceCi95 = roundInterval(newcombeDifference(passedA, totalA, passed, total));
  const difference = totalA > 0 && total > 0 ? Math.round((passedA / totalA - passed / total) * 1000) / 1000 : 0;
  const better = totalA > 0 && total > 0 ? (differenceCi95[0] > 0 ? "a" : differenceCi95[1] < 0 ? "b" : "none") : "none";
  return {
    model,
    passed,
    total,
    ci95: roundInterval(wilson(passed, total)),
    difference,
    differenceCi95,
    pValue: Number(fisherExactTwoSided(passedA, totalA, passed, total).toPrecision(4)),
    better,
    ...passStats(passed, total, k),
    results,
  };
}
