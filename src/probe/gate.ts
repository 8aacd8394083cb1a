// The CI gate of `elyza-bot probe --fail-on`: decides, from a finished probe, whether a pipeline
// should stop. "regression": a test's pass rate fell below the Wilson 95 % interval of the last
// stored probe of the same suite with the same sampling, prompt and grading (whatever its model —
// the point is to catch a model or quantization change); "baseline": below the interval of the
// suite's own baseline (the article's tallies). Dataset suites gate on their mean score.

import type { ProbeResult, Tally, TestResult } from "./types.js";
import { formatInterval, wilson } from "./wilson.js";

export const GATE_MODES = ["regression", "baseline", "none"] as const;
export type GateMode = (typeof GATE_MODES)[number];

export interface GateCheck {
  readonly id: string;
  readonly title: string;
  /** "skipped": nothing to compare this test with (new test, no baseline, gate off). */
  readonly status: "pass" | "fail" | "skipped";
  readonly reason: string;
}

export interface GateOutcome {
  readonly mode: GateMode;
  readonly passed: boolean;
  readonly checks: readonly GateCheck[];
  /** One line about what the gate compared with (or why it could not). */
  readonly against: string;
}

const rate = (t: Tally) => t.passed / t.total;
const tally = (t: Tally) => `${t.passed}/${t.total}`;

export function evaluateGate(result: ProbeResult, mode: GateMode): GateOutcome {
  if (mode === "none") {
    return { mode, passed: true, against: "gate off (--fail-on none)", checks: result.tests.map((t) => skipped(t, "gate off")) };
  }
  const checks = result.dataset ? [datasetCheck(result, mode)] : result.tests.map((t) => (mode === "baseline" ? baselineCheck(t) : regressionCheck(result, t)));
  const previous = result.previousRun;
  const against =
    mode === "baseline"
      ? "the suite's baselines"
      : previous
        ? `probe #${previous.id} of ${previous.startedAt} (${previous.model}) with the same settings`
        : "no earlier probe with the same settings: nothing to compare with yet";
  return { mode, passed: checks.every((c) => c.status !== "fail"), checks, against };
}

function skipped(test: TestResult, reason: string): GateCheck {
  return { id: test.id, title: test.title, status: "skipped", reason };
}

function below(test: TestResult, reference: Tally, what: string): GateCheck {
  if (test.total === 0) return { id: test.id, title: test.title, status: "fail", reason: "no run finished" };
  const ci = wilson(reference.passed, reference.total);
  const detail = `${tally(test)} against ${what} ${tally(reference)} (95% CI ${formatInterval(ci)})`;
  return rate(test) < ci[0]
    ? { id: test.id, title: test.title, status: "fail", reason: `${detail}: below the interval` }
    : { id: test.id, title: test.title, status: "pass", reason: detail };
}

function baselineCheck(test: TestResult): GateCheck {
  if (!test.baseline) return skipped(test, "no baseline in the suite");
  return below(test, test.baseline, "the baseline");
}

function regressionCheck(result: ProbeResult, test: TestResult): GateCheck {
  const previous = result.previousRun?.tests.find((t) => t.id === test.id);
  if (!previous || previous.total === 0) return skipped(test, "not in an earlier probe with the same settings");
  return below(test, previous, "the previous run's");
}

function datasetCheck(result: ProbeResult, mode: GateMode): GateCheck {
  const d = result.dataset!;
  const base = { id: "mean-score", title: "平均スコア" };
  if (d.scored === 0) return { ...base, status: "fail", reason: "no answer got a usable score" };
  const now = `mean ${d.mean.toFixed(2)} (95% CI ${d.ci95[0].toFixed(2)}–${d.ci95[1].toFixed(2)})`;
  if (mode === "baseline") {
    if (!d.reference) return { ...base, status: "skipped", reason: "no reference score in the suite" };
    // The reference was judged by another judge: only a reference above the whole interval fails.
    return d.ci95[1] < d.reference.score
      ? { ...base, status: "fail", reason: `${now}: below the reference ${d.reference.score} (${d.reference.label})` }
      : { ...base, status: "pass", reason: `${now} against the reference ${d.reference.score}` };
  }
  const previous = result.previousRun;
  if (previous?.meanScore === undefined || !previous.meanScoreCi95) return { ...base, status: "skipped", reason: "no earlier probe with the same settings" };
  const [low, high] = previous.meanScoreCi95;
  const detail = `${now} against the previous run's ${previous.meanScore.toFixed(2)} (95% CI ${low.toFixed(2)}–${high.toFixed(2)})`;
  return d.mean < low ? { ...base, status: "fail", reason: `${detail}: below the interval` } : { ...base, status: "pass", reason: detail };
}
