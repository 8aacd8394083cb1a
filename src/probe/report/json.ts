// The `probe --json` object (shared/design.md): the named fields in their documented order, then
// the extras. Built field by field so the output does not change when ProbeResult grows.

import type { ProbeResult } from "../types.js";

export interface ProbeJsonRun {
  run: number;
  seed: number;
  pass: boolean;
  reason: string;
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
}

export function toProbeJson(result: ProbeResult): ProbeJson {
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
      results: t.results.map((r) => ({
        run: r.run,
        seed: r.seed,
        pass: r.pass,
        reason: r.reason,
        answer: r.answer,
        tokens: r.tokens,
        durationMs: r.durationMs,
        stopReason: r.stopReason,
      })),
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
  };
}

/** Pretty-printed, newline-terminated: what `elyza-bot probe --json` writes to stdout. */
export function renderProbeJson(result: ProbeResult): string {
  return JSON.stringify(toProbeJson(result), null, 2) + "\n";
}
