// Small formatting pieces shared by every probe rendering (console, Slack, Discord, transcript), so
// that the same probe reads the same everywhere.

import type { ProbeResult, RunResult, Tally, TestResult } from "../types.js";
import { formatInterval, wilson } from "../wilson.js";

/** Cuts to at most `max` UTF-16 units (what Slack and Discord count), never inside a surrogate pair. */
export function truncate(text: string, max: number, ellipsis = "…"): string {
  if (text.length <= max) return text;
  if (max <= ellipsis.length) return ellipsis.slice(0, Math.max(0, max));
  let cut = max - ellipsis.length;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return text.slice(0, cut) + ellipsis;
}

/** One line of an answer for a report: whitespace collapsed, at most `max` characters. */
export function excerpt(text: string, max = 120): string {
  const line = text.replace(/\s+/gu, " ").trim();
  return line === "" ? "（空の回答）" : truncate(line, max);
}

export function formatTally(t: Tally): string {
  return `${t.passed}/${t.total}`;
}

/** "0.4秒", "12.3秒", "1分23秒", "1時間2分". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}秒`;
  const whole = Math.round(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  return h > 0 ? `${h}時間${m}分` : `${m}分${sec}秒`;
}

export function formatTokensPerSecond(tps: number): string {
  return `${tps.toFixed(1)} トークン/秒`;
}

/** "95% CI 72–100%". */
export function formatCi(test: TestResult): string {
  return `95% CI ${formatInterval(test.ci95)}`;
}

/**
 * Change against the article's tally: in runs when the totals match ("±0", "−1"), otherwise in
 * percentage points, since 4/5 and 9/10 cannot be compared run by run.
 */
export function formatDelta(now: Tally, then: Tally): string {
  if (now.total === then.total) return signed(now.passed - then.passed, "");
  if (now.total === 0 || then.total === 0) return "—";
  const points = Math.round((now.passed / now.total - then.passed / then.total) * 100);
  return signed(points, "pt");
}

function signed(n: number, unit: string): string {
  if (n === 0) return `±0${unit}`;
  return `${n > 0 ? "+" : "−"}${Math.abs(n)}${unit}`;
}

/** "記事: 10/10 ±0 · GPT-4: 10/10", or "" when the test has neither. */
export function formatReferences(test: TestResult): string {
  const parts: string[] = [];
  if (test.baseline) parts.push(`記事: ${formatTally(test.baseline)} ${formatDelta(test, test.baseline)}`);
  for (const ref of test.references ?? []) parts.push(`${ref.label}: ${formatTally(ref)}`);
  return parts.join(" · ");
}

/** The failing run a report quotes: the first one. */
export function firstFailure(test: TestResult): RunResult | undefined {
  return test.results.find((r) => !r.pass);
}

/** "3回目 (seed 123)". */
export function formatRunLabel(r: RunResult): string {
  return `${r.run}回目 (seed ${r.seed})`;
}

export type TestStatus = "ok" | "below" | "regressed" | "none";
export type ProbeStatus = TestStatus | "cancelled";

/**
 * "ok": at or above the article's rate (or no baseline); "below": under it but inside the Wilson
 * interval of the article's tally (sampling noise); "regressed": below that interval, or fallen
 * outside the previous probe's interval. The same test as shift detection, against the article.
 */
export function testStatus(test: TestResult, result?: ProbeResult): TestStatus {
  if (test.total === 0) return "none";
  const rate = test.passed / test.total;
  const shift = result?.shifts?.find((s) => s.id === test.id);
  if (shift && rate < shift.previous.passed / shift.previous.total) return "regressed";
  if (!test.baseline || test.baseline.total === 0) return "ok";
  if (rate < wilson(test.baseline.passed, test.baseline.total)[0]) return "regressed";
  return rate < test.baseline.passed / test.baseline.total ? "below" : "ok";
}

const SEVERITY: Record<TestStatus, number> = { none: 0, ok: 1, below: 2, regressed: 3 };

export function probeStatus(result: ProbeResult): ProbeStatus {
  if (result.cancelled) return "cancelled";
  let worst: TestStatus = "none";
  for (const test of result.tests) {
    const s = testStatus(test, result);
    if (SEVERITY[s] > SEVERITY[worst]) worst = s;
  }
  return worst;
}

export const STATUS_MARK: Record<TestStatus, string> = { ok: "🟢", below: "🟡", regressed: "🔴", none: "⚪" };

/** "各10回 · temperature 0.6 · top_p 0.9 · 最大1200トークン · 採点 rule". */
export function formatSettings(result: ProbeResult): string {
  const s = result.settings;
  return `各${result.runs}回 · temperature ${s.temperature} · top_p ${s.topP} · 最大${s.maxTokens}トークン · 採点 ${s.grading}`;
}

/** "国語の問題 6/10 ↓（前回 10/10, 95% CI 72–100% の範囲外）" for each shifted test. */
export function formatShifts(result: ProbeResult): string[] {
  return (result.shifts ?? []).map((shift) => {
    const test = result.tests.find((t) => t.id === shift.id);
    const name = test?.title ?? shift.id;
    const now = test ? formatTally(test) : "?";
    const up = test !== undefined && test.total > 0 && test.passed / test.total > shift.previous.passed / shift.previous.total;
    return `${name} ${now} ${up ? "↑" : "↓"}（前回 ${formatTally(shift.previous)}, 95% CI ${formatInterval(shift.previousCi95)} の範囲外）`;
  });
}

/** Runs done of the runs planned, for a cancelled probe's note. */
export function runsDone(result: ProbeResult): { done: number; planned: number } {
  return {
    done: result.tests.reduce((n, t) => n + t.total, 0),
    planned: result.runs * result.tests.length,
  };
}

/** Terminal columns: East Asian wide and fullwidth characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += isWide(ch.codePointAt(0) ?? 0) ? 2 : 1;
  return width;
}

export function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
