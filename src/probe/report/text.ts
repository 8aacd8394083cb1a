// The plain-text probe report for the console and the CLI.

import type { ProbeResult } from "../types.js";
import {
  excerpt,
  firstFailure,
  formatCi,
  formatDuration,
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
  if (result.cancelled) {
    const { done, planned } = runsDone(result);
    lines.push(`中止されました: ${planned}回中${done}回の結果です`);
  }
  for (const test of result.tests) {
    const refs = formatReferences(test);
    lines.push(`${test.title} ${formatTally(test)} (${formatCi(test)})${refs ? ` ${refs}` : ""}`);
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
