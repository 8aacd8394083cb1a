// The headline of a dataset suite (ELYZA-tasks-100): the mean judge score, a bootstrap 95 %
// interval over tasks, how the scores spread over 1–5, and per category when the file has one.

import { bootstrapMeanInterval, mean } from "../stats.js";
import type { DatasetSpec, DatasetSummary, RunResult, TestResult } from "../types.js";

/** Fixed, so the same scores always print the same interval (the report is replayable). */
const BOOTSTRAP_SEED = 20240626;

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

/**
 * Each task's mean over its runs. A run without a usable score (the judge's reply had none, the
 * generation failed) counts as 1, the lowest score, and its row is listed: a failure can only
 * lower the mean, never raise it, and is never dropped silently.
 */
function taskScores(tests: readonly TestResult[], runsOf: (t: TestResult) => readonly RunResult[]) {
  const scored: { test: TestResult; score: number }[] = [];
  const unscoredRows: number[] = [];
  for (const test of tests) {
    const runs = runsOf(test);
    if (runs.length === 0) continue;
    if (runs.some((r) => r.unscored || r.score === undefined)) unscoredRows.push(test.row ?? 0);
    scored.push({ test, score: mean(runs.map((r) => r.score ?? 1)) });
  }
  return { scored, unscoredRows };
}

export function summarizeDataset(spec: DatasetSpec, tests: readonly TestResult[], judge: string, compareModel?: string): DatasetSummary {
  const { scored, unscoredRows } = taskScores(tests, (t) => t.results);
  const values = scored.map((s) => s.score);
  const histogram: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  for (const test of tests) for (const r of test.results) histogram[Math.min(5, Math.max(1, Math.round(r.score ?? 1))) - 1]!++;
  const byCategory = new Map<string, number[]>();
  for (const { test, score } of scored) {
    if (test.category === undefined) continue;
    byCategory.set(test.category, [...(byCategory.get(test.category) ?? []), score]);
  }
  const categories = [...byCategory].map(([name, s]) => ({ name, n: s.length, mean: round(mean(s)) })).sort((a, b) => a.mean - b.mean);
  const ci = bootstrapMeanInterval(values, { seed: BOOTSTRAP_SEED });
  let compare: DatasetSummary["compare"];
  if (compareModel !== undefined) {
    const other = taskScores(tests, (t) => t.compare?.results ?? []).scored.map((s) => s.score);
    const otherCi = bootstrapMeanInterval(other, { seed: BOOTSTRAP_SEED });
    compare = { model: compareModel, scored: other.length, mean: round(mean(other)), ci95: [round(otherCi[0]), round(otherCi[1])] };
  }
  return {
    source: spec.source,
    scored: values.length,
    unscoredRows,
    mean: round(mean(values)),
    ci95: [round(ci[0]), round(ci[1])],
    histogram,
    categories,
    judge,
    ...(spec.reference ? { reference: spec.reference } : {}),
    ...(compare ? { compare } : {}),
  };
}
