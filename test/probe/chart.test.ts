// The /probe history chart: a real PNG (decoded here with pngjs), of the size the layout promises,
// that changes when the history changes — Japanese text included, with the font shipped via npm.

import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { chartSize, renderHistoryPng, renderHistorySvg } from "../../src/probe/report/chart.js";
import type { HistoryPoint, TestHistory } from "../../src/probe/types.js";

function points(tallies: readonly number[], total = 10): HistoryPoint[] {
  return tallies.map((passed, i) => ({
    probeId: i + 1,
    startedAt: `2026-11-${String(10 + i).padStart(2, "0")}T00:00:00.000Z`,
    model: "m.gguf",
    passed,
    total,
  }));
}

const HISTORY: TestHistory[] = [
  { id: "theory-of-mind", title: "心のモデル", baseline: { passed: 10, total: 10 }, points: points([10, 9, 10, 8]) },
  { id: "monty-hall", title: "モンティ・ホール問題", baseline: { passed: 0, total: 10 }, points: points([0, 1, 3, 2]) },
];

const decode = (png: Buffer) => PNG.sync.read(png);

describe("the history chart", () => {
  it("is a PNG of the promised size: one panel per test", () => {
    const image = decode(renderHistoryPng("seed", HISTORY));
    expect({ width: image.width, height: image.height }).toEqual(chartSize(2));
    const one = decode(renderHistoryPng("seed", HISTORY.slice(0, 1)));
    expect({ width: one.width, height: one.height }).toEqual(chartSize(1));
    expect(one.height).toBeLessThan(image.height);
    // Not a blank canvas: some pixels are far from white.
    let dark = 0;
    for (let i = 0; i < image.data.length; i += 4) if (image.data[i]! < 128) dark++;
    expect(dark).toBeGreaterThan(100);
  });

  it("differs when the history differs, and is the same for the same history", () => {
    const a = renderHistoryPng("seed", HISTORY);
    expect(renderHistoryPng("seed", HISTORY).equals(a)).toBe(true);
    const changed = HISTORY.map((h, i) => (i === 1 ? { ...h, points: points([0, 1, 3, 9]) } : h));
    expect(decode(renderHistoryPng("seed", changed)).data.equals(decode(a).data)).toBe(false);
  });

  it("renders Japanese titles with the shipped font (no system font needed)", () => {
    // Without a usable font resvg draws no text at all, so two titles would give the same pixels.
    const retitled = HISTORY.map((h, i) => (i === 0 ? { ...h, title: "心の理論" } : h));
    expect(decode(renderHistoryPng("seed", retitled)).data.equals(decode(renderHistoryPng("seed", HISTORY)).data)).toBe(false);
    expect(renderHistorySvg("seed", HISTORY)).toContain("心のモデル");
  });

  it("draws an empty history and a dataset's mean score on a 1–5 axis", () => {
    const empty = decode(renderHistoryPng("seed", [{ id: "x", title: "記録なし", points: [] }]));
    expect(empty.width).toBe(chartSize(1).width);
    const means: TestHistory[] = [
      {
        id: "mean-score",
        title: "平均スコア",
        points: points([60, 55], 100).map((p, i) => ({ ...p, mean: i === 0 ? 1.2 : 1.4, meanCi95: [1.0, 1.6] as const })),
      },
    ];
    const svg = renderHistorySvg("elyza-tasks-100", means);
    expect(svg).toContain("平均 1.40");
    expect(decode(renderHistoryPng("elyza-tasks-100", means)).height).toBe(chartSize(1).height);
  });
});
