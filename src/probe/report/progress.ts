// The progress bar and line shown while a probe runs (console; the chat adapters reuse the bar).

import type { ProbeProgress } from "../types.js";

/** "▓▓▓▓░░░░" — `width` cells, filled in proportion; full only when everything is done. */
export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  let filled = Math.floor(ratio * width);
  if (filled === width && done < total) filled = width - 1;
  return "▓".repeat(filled) + "░".repeat(width - filled);
}

/** "▓▓▓▓░░░░░░░░░░░░░░░░ 12/30  心のモデル 4/4 · 国語の問題 3/4 · モンティ・ホール問題 0/4" (passed/done). */
export function renderProgressLine(progress: ProbeProgress, width = 20): string {
  const tallies = progress.perTest.map((t) => `${t.title} ${t.passed}/${t.done}${t.compare ? ` (B ${t.compare.passed}/${t.compare.done})` : ""}`).join(" · ");
  return `${progressBar(progress.done, progress.total, width)} ${progress.done}/${progress.total}  ${tallies}`;
}
