// The plain-text probe report for the console and the CLI.

import type { ProbeResult } from "../types.js";
import {
  excerpt,
  firstFailure,
  formatArms,
  formatCi,
  formatCompare,
  formatDatasetSummary,
  formatDuration,
  formatPassK,
  formatReferences,
  formatRunLabel,
  formatSettings,
  formatShifts,
  formatTally,
  formatTokensPerSecond,
  runsDone,
} from "./format.js";

export interface TextReportOptions {
  /** Length of the quoted failing answer. */
  readonly excerptChars?: number;
}

/**
 * プローブ seed — model (各10回 · …)
 * 心のモデル 10/10 (95% CI 72–100%) 記事: 10/10 ±0
 * 国語の問題 9/10 (95% CI 60–99%) 記事: 10/10 −1
 *   ✗ 3回目 (seed 123): reason — 「excerpt」
 * 所要時間 1分23秒 · 45.2 トークン/秒
 * ⚠ 前回から変化: …
 */
export function renderTextReport(result: ProbeResult, options: TextReportOptions = {}): string {
  const lines: string[] = [];
  lines.push(`プローブ ${result.suite} — ${result.model}${result.modelHash ? ` (${result.modelHash.slice(0, 12)})` : ""}`);
  lines.push(formatSettings(result));
  if (result.compare) lines.push(formatArms(result));
  lines.push(...formatDatasetSummary(result));
  if (result.cancelled) {
    const { done, planned } = runsDone(result);
    lines.push(`中止されました: ${planned}回中${done}回の結果です`);
  }
  for (const test of result.tests) {
    if (test.row !== undefined) {
      // Dataset tasks: one line each, the score and the judge's reason.
      const r = test.results[0];
      const score = test.results.map((x) => (x.unscored ? "採点不能→1点" : x.score !== undefined ? `${x.score}点` : "採点なし")).join(" ");
      lines.push(`${test.title}: ${score || "未実行"}${r ? ` — ${excerpt(r.reason, options.excerptChars ?? 120)}` : ""}`);
      continue;
    }
    const refs = formatReferences(test);
    const passK = formatPassK(test);
    lines.push(`${test.title} ${formatTally(test)} (${formatCi(test)})${refs ? ` ${refs}` : ""}${passK ? ` · ${passK}` : ""}`);
    if (test.compare) lines.push(`  ${formatCompare(test)}`);
    const failure = firstFailure(test);
    if (failure) {
      lines.push(`  ✗ ${formatRunLabel(failure)}: ${failure.reason} — 「${excerpt(failure.answer, options.excerptChars ?? 120)}」`);
    }
  }
  lines.push(`所要時間 ${formatDuration(result.durationMs)} · ${formatTokensPerSecond(result.tokensPerSecond)}`);
  for (const shift of formatShifts(result)) lines.push(`⚠ 前回から変化: ${shift}`);
  return lines.join("\n") + "\n";
}

export { renderProgressLine, progressBar } from "./progress.js";
