// The full transcript of a probe as Markdown, attached as a file: every answer with its seed and
// verdict, so a surprising tally can be read (and a run replayed) without the database.

import type { ProbeResult, RunResult, TestResult } from "../types.js";
import {
  formatArms,
  formatCi,
  formatCompare,
  formatDatasetSummary,
  formatDuration,
  formatReferences,
  formatSettings,
  formatShifts,
  formatTally,
  formatTokensPerSecond,
  runsDone,
} from "./format.js";

/** A code fence longer than any backtick run in the text, so answers cannot close it early. */
export function fenced(text: string, info = "text"): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}${text.endsWith("\n") ? "" : "\n"}${fence}`;
}

export function renderTranscript(result: ProbeResult): string {
  const out: string[] = [];
  out.push(`# プローブ記録: ${result.suite}`, "");
  out.push(`- モデル: ${result.model}${result.modelHash ? ` (${result.modelHash})` : ""}`);
  out.push(`- 開始: ${result.startedAt} · 所要時間 ${formatDuration(result.durationMs)} · ${formatTokensPerSecond(result.tokensPerSecond)}`);
  out.push(`- 設定: ${formatSettings(result)}${result.settings.baseSeed !== undefined ? ` · base seed ${result.settings.baseSeed}` : ""}`);
  if (result.cancelled) {
    const { done, planned } = runsDone(result);
    out.push(`- 中止: ${planned}回中${done}回の結果`);
  }
  if (result.compare) out.push(`- A/B: ${formatArms(result)}（同じ seed で交互に実行）`);
  for (const line of formatDatasetSummary(result)) out.push(`- ${line}`);
  for (const shift of formatShifts(result)) out.push(`- ⚠ 前回から変化: ${shift}`);
  if (result.settings.systemPrompt !== undefined) {
    out.push("", "## システムプロンプト", "", fenced(result.settings.systemPrompt));
  }
  for (const test of result.tests) out.push("", ...renderTest(test));
  return out.join("\n") + "\n";
}

function renderTest(test: TestResult): string[] {
  const out = [`## ${test.title} (\`${test.id}\`) — ${formatTally(test)} (${formatCi(test)})`];
  const refs = formatReferences(test);
  if (refs) out.push("", refs);
  if (test.compare) out.push("", formatCompare(test));
  if (test.prompt !== undefined) out.push("", "### プロンプト", "", fenced(test.prompt));
  for (const r of test.results) out.push("", ...renderRun(r));
  // The compared model's runs, with the same seeds, after this model's.
  for (const r of test.compare?.results ?? []) out.push("", ...renderRun(r, `B (${test.compare!.model}) `));
  return out;
}

function renderRun(r: RunResult, arm = ""): string[] {
  const verdict = r.pass ? "✓ 合格" : "✗ 不合格";
  const score = r.score !== undefined ? ` · ${r.unscored ? "採点不能→1点" : `${r.score}点`}` : "";
  return [
    `### ${arm}${r.run}回目 — ${verdict}${score}`,
    "",
    `seed ${r.seed} · ${r.tokens} トークン · ${formatDuration(r.durationMs)} · 終了理由 ${r.stopReason}`,
    "",
    `理由: ${r.reason}`,
    "",
    fenced(r.answer),
  ];
}

/** The transcript's file name, the same on every platform: probe-SUITE-STARTED.md. */
export function transcriptFileName(result: ProbeResult): string {
  return `probe-${result.suite}-${result.startedAt.replace(/[:.]/g, "-")}.md`;
}
