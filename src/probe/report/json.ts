// The `probe --json` object (README, "Command line"; test/probe/golden/probe.json): the required fields in their documented order, then
// the extras. Built field by field so the output does not change when ProbeResult grows.

import type { GateOutcome } from "../gate.js";
import type { ProbeResult, TestResult } from "../types.js";

export interface ProbeJsonRun {
  run: number;
  seed: number;
  pass: boolean;
  reason: string;
  /** Dataset tasks: the judge's 1–5 (1 with `unscored` when the judge gave no usable score). */
  score?: number;
  unscored?: boolean;
  answer: string;
  tokens: number;
  durationMs: number;
  stopReason: string;
}

export interface ProbeJsonTest {
  id: string;
  title: string;
  passed: number;
  total: number;
  ci95: [number, number];
  baseline: { passed: number; total: number } | null;
  references?: { label: string; passed: number; total: number }[];
  prompt?: string;
  results: ProbeJsonRun[];
  /** Every run passed. */
  passAll: boolean;
  /** pass^k: the estimated chance that k fresh runs all pass (null when fewer than k runs finished). */
  passK: { k: number; estimate: number } | null;
  /** A/B probes: the compared model's tally of the same test with the same seeds. */
  compare?: {
    model: string;
    passed: number;
    total: number;
    ci95: [number, number];
    difference: number;
    differenceCi95: [number, number];
    pValue: number;
    better: "a" | "b" | "none";
    passAll: boolean;
    passK: { k: number; estimate: number } | null;
    results: ProbeJsonRun[];
  };
  row?: number;
  category?: string;
}

export interface ProbeJson {
  suite: string;
  model: string;
  runs: number;
  durationMs: number;
  tests: ProbeJsonTest[];
  modelHash?: string;
  startedAt: string;
  tokensPerSecond: number;
  cancelled: boolean;
  settings: ProbeResult["settings"];
  shifts: { id: string; previous: { passed: number; total: number }; previousCi95: [number, number] }[];
  compare?: ProbeResult["compare"];
  dataset?: ProbeResult["dataset"];
  previousRun?: ProbeResult["previousRun"];
  gate?: { mode: string; passed: boolean; against: string; failed: { id: string; reason: string }[] };
}

function run(r: TestResult["results"][number]): ProbeJsonRun {
  return {
    run: r.run,
    seed: r.seed,
    pass: r.pass,
    reason: r.reason,
    ...(r.score !== undefined ? { score: r.score } : {}),
    ...(r.unscored ? { unscored: true } : {}),
    answer: r.answer,
    tokens: r.tokens,
    durationMs: r.durationMs,
    stopReason: r.stopReason,
  };
}

export function toProbeJson(result: ProbeResult, gate?: GateOutcome): ProbeJson {
  return {
    suite: result.suite,
    model: result.model,
    runs: result.runs,
    durationMs: result.durationMs,
    tests: result.tests.map((t) => ({
      id: t.id,
      title: t.title,
      passed: t.passed,
      total: t.total,
      ci95: [t.ci95[0], t.ci95[1]],
      // Always present (null without one), so consumers need not test for the key.
      baseline: t.baseline ? { passed: t.baseline.passed, total: t.baseline.total } : null,
      ...(t.references ? { references: t.references.map((r) => ({ label: r.label, passed: r.passed, total: r.total })) } : {}),
      ...(t.prompt !== undefined ? { prompt: t.prompt } : {}),
      results: t.results.map(run),
      passAll: t.passAll ?? (t.total > 0 && t.passed === t.total),
      passK: t.passK ? { k: t.passK.k, estimate: t.passK.estimate } : null,
      ...(t.compare
        ? {
            compare: {
              model: t.compare.model,
              passed: t.compare.passed,
              total: t.compare.total,
              ci95: [t.compare.ci95[0], t.compare.ci95[1]] as [number, number],
              difference: t.compare.difference,
              differenceCi95: [t.compare.differenceCi95[0], t.compare.differenceCi95[1]] as [number, number],
              pValue: t.compare.pValue,
              better: t.compare.better,
              passAll: t.compare.passAll,
              passK: t.compare.passK ? { k: t.compare.passK.k, estimate: t.compare.passK.estimate } : null,
              results: t.compare.results.map(run),
            },
          }
        : {}),
      ...(t.row !== undefined ? { row: t.row } : {}),
      ...(t.category !== undefined ? { category: t.category } : {}),
    })),
    ...(result.modelHash !== undefined ? { modelHash: result.modelHash } : {}),
    startedAt: result.startedAt,
    tokensPerSecond: result.tokensPerSecond,
    cancelled: result.cancelled,
    settings: result.settings,
    shifts: (result.shifts ?? []).map((s) => ({
      id: s.id,
      previous: { passed: s.previous.passed, total: s.previous.total },
      previousCi95: [s.previousCi95[0], s.previousCi95[1]],
    })),
    ...(result.compare ? { compare: result.compare } : {}),
    ...(result.dataset ? { dataset: result.dataset } : {}),
    ...(result.previousRun ? { previousRun: result.previousRun } : {}),
    ...(gate
      ? {
          gate: {
            mode: gate.mode,
            passed: gate.passed,
            against: gate.against,
            failed: gate.checks.filter((c) => c.status === "fail").map((c) => ({ id: c.id, reason: c.reason })),
          },
        }
      : {}),
  };
}

/** Pretty-printed, newline-terminated: what `elyza-bot probe --json` writes to stdout. */
export function renderProbeJson(result: ProbeResult, gate?: GateOutcome): string {
  return JSON.stringify(toProbeJson(result, gate), null, 2) + "\n";
}
