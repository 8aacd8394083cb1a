// `/probe history`: the last few tallies of every test as one compact trend line each.

import type { TestHistory } from "../types.js";
import { displayWidth, padEnd } from "./format.js";

/**
 * プローブ履歴 seed（古い → 新しい）
 * 心のモデル            10/10 → 9/10 → 10/10
 * モンティ・ホール問題  0/10 → *1/10
 * * モデルが変わった回
 */
export function renderHistory(suite: string, histories: readonly TestHistory[]): string {
  const lines = [`プローブ履歴 ${suite}（古い → 新しい）`];
  const width = Math.max(0, ...histories.map((h) => displayWidth(h.title)));
  let modelChanged = false;
  for (const h of histories) {
    const points = h.points.map((p, i) => {
      // A star where the model differs from the point before: a jump there is expected.
      const changed = i > 0 && p.model !== h.points[i - 1]?.model;
      modelChanged ||= changed;
      return `${changed ? "*" : ""}${p.mean !== undefined ? p.mean.toFixed(2) : `${p.passed}/${p.total}`}`;
    });
    lines.push(`${padEnd(h.title, width)}  ${points.length > 0 ? points.join(" → ") : "（記録なし）"}`);
  }
  if (modelChanged) lines.push("* モデルが変わった回");
  return lines.join("\n") + "\n";
}
