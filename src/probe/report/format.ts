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

/** "pass^5 0.42", with "全回合格" when every run passed. */
export function formatPassK(test: TestResult): string {
  const parts: string[] = [];
  if (test.passK) parts.push(`pass^${test.passK.k} ${test.passK.estimate.toFixed(2)}`);
  if (test.passAll) parts.push("全回合格");
  return parts.join(" · ");
}

/** "+70pt (95% CI 31–88pt)": a difference of pass rates in percentage points. */
export function formatDifference(difference: number, ci: readonly [number, number]): string {
  const pt = (x: number) => {
    const n = Math.round(x * 100);
    return n === 0 ? "0" : `${n > 0 ? "+" : "−"}${Math.abs(n)}`;
  };
  return `${pt(difference)}pt (95% CI ${pt(ci[0])}…${pt(ci[1])}pt)`;
}

/** "p=0.0031", "p<0.0001". */
export function formatPValue(p: number): string {
  if (p < 0.0001) return "p<0.0001";
  return `p=${p < 0.01 ? p.toPrecision(2) : p.toFixed(2)}`;
}

/** The one honest line of an A/B comparison. */
export function formatCompareVerdict(test: TestResult): string {
  const c = test.compare;
  if (!c) return "";
  if (c.better === "none") {
    const n = test.total === c.total ? `n=${c.total}` : `n=${test.total}/${c.total}`;
    return `${n} では差の証拠なし`;
  }
  return c.better === "a" ? "差あり: A が高い" : "差あり: B が高い";
}

/** "B 3/10 (95% CI 11–60%) · 差 +70pt (95% CI …) · p=0.0031 — 差あり: A が高い". */
export function formatCompare(test: TestResult): string {
  const c = test.compare;
  if (!c) return "";
  return `B ${formatTally(c)} (95% CI ${formatInterval(c.ci95)}) · 差 ${formatDifference(c.difference, c.differenceCi95)} · ${formatPValue(c.pValue)} — ${formatCompareVerdict(test)}`;
}

/** "A: model-a · B: model-b" for an A/B probe's header. */
export function formatArms(result: ProbeResult): string {
  return result.compare ? `A: ${result.model} · B: ${result.compare.model}` : "";
}

/**
 * A dataset suite's headline lines: the mean with its interval, the spread of scores, the
 * categories, and the published reference with who judged it (and who judged here).
 */
export function formatDatasetSummary(result: ProbeResult): string[] {
  const d = result.dataset;
  if (!d) return [];
  const lines: string[] = [];
  const score = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");
  lines.push(`平均スコア ${score(d.mean)} / 5 (95% CI ${score(d.ci95[0])}–${score(d.ci95[1])}, ${d.scored}問, ブートストラップ)`);
  if (d.compare)
    lines.push(`B ${d.compare.model}: 平均 ${score(d.compare.mean)} (95% CI ${score(d.compare.ci95[0])}–${score(d.compare.ci95[1])}, ${d.compare.scored}問)`);
  lines.push(`得点分布 ${d.histogram.map((n, i) => `${i + 1}点:${n}`).join(" ")}`);
  if (d.categories.length > 0) lines.push(`カテゴリ別 ${d.categories.map((c) => `${c.name} ${score(c.mean)}(${c.n})`).join(" · ")}`);
  if (d.unscoredRows.length > 0) {
    const rows = d.unscoredRows.length > 20 ? `${d.unscoredRows.slice(0, 20).join(", ")} ほか${d.unscoredRows.length - 20}行` : d.unscoredRows.join(", ");
    lines.push(`⚠ 採点できなかった${d.unscoredRows.length}問（行 ${rows}）は最低点の1点として平均に含めています`);
  }
  if (d.reference) lines.push(`参考: ${d.reference.label} ${d.reference.score}（採点 ${d.reference.judge}） · 今回の採点: ${d.judge}`);
  else lines.push(`採点: ${d.judge}`);
  return lines;
}
