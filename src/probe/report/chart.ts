// `/probe history` as a picture: one panel per test, its pass rate per probe as a line, the Wilson
// 95 % interval as a band around it and the baseline as a dashed line. Apache ECharts lays the
// chart out and renders it to SVG on the server (no DOM), resvg rasterises the SVG to PNG with
// Noto Sans JP shipped through npm (@embedpdf/fonts-jp), so Japanese titles render on a host with
// no fonts at all. Nothing is downloaded at run time.

import { createRequire } from "node:module";
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as echarts from "echarts";
import type { TestHistory } from "../types.js";
import { wilson } from "../wilson.js";

export const CHART_WIDTH = 960;
const HEADER = 56;
const PANEL = 210;
const FONT = "Noto Sans JP";

/** The PNG's size for this many tests (one panel each; at least one, saying there is no record). */
export function chartSize(tests: number): { width: number; height: number } {
  return { width: CHART_WIDTH, height: HEADER + Math.max(1, tests) * PANEL + 24 };
}

let fontFile: string | undefined;
function notoSansJp(): string {
  // The package exports only its index; the font files sit beside it in fonts/.
  fontFile ??= path.join(path.dirname(createRequire(import.meta.url).resolve("@embedpdf/fonts-jp")), "..", "fonts", "NotoSansJP-Regular.otf");
  return fontFile;
}

const pct = (x: number) => Math.round(x * 1000) / 10;

function label(startedAt: string, probeId: number): string {
  const d = new Date(startedAt);
  const day = Number.isNaN(d.getTime()) ? startedAt.slice(5, 10) : `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  return `#${probeId}\n${day}`;
}

function option(suite: string, histories: readonly TestHistory[]): echarts.EChartsCoreOption {
  const grids: object[] = [];
  const xAxes: object[] = [];
  const yAxes: object[] = [];
  const series: object[] = [];
  const titles: object[] = [{ text: `プローブ履歴 ${suite}`, left: 16, top: 12, textStyle: { fontFamily: FONT, fontSize: 20, fontWeight: "normal" } }];
  const panels = histories.length > 0 ? histories : [{ id: "none", title: "（テストなし）", points: [] }];
  panels.forEach((h, i) => {
    const top = HEADER + i * PANEL;
    const isMean = h.points.some((p) => p.mean !== undefined);
    const values = h.points.map((p) => (isMean ? (p.mean ?? Number.NaN) : p.total > 0 ? pct(p.passed / p.total) : Number.NaN));
    const intervals = h.points.map((p) => (isMean ? (p.meanCi95 ?? [p.mean ?? 0, p.mean ?? 0]) : wilson(p.passed, p.total).map(pct)));
    const last = h.points.at(-1);
    const latest = last ? (isMean ? `平均 ${last.mean?.toFixed(2)}` : `${last.passed}/${last.total}`) : "記録なし";
    titles.push({ text: `${h.title}  ${latest}`, left: 16, top: top + 6, textStyle: { fontFamily: FONT, fontSize: 15, fontWeight: "normal" } });
    grids.push({ left: 64, right: 32, top: top + 40, height: PANEL - 90 });
    xAxes.push({
      type: "category",
      gridIndex: i,
      boundaryGap: false,
      data: h.points.map((p) => label(p.startedAt, p.probeId)),
      axisLabel: { fontFamily: FONT, fontSize: 11 },
    });
    yAxes.push({
      type: "value",
      gridIndex: i,
      min: isMean ? 1 : 0,
      max: isMean ? 5 : 100,
      interval: isMean ? 1 : 25,
      axisLabel: { fontFamily: FONT, fontSize: 11, formatter: isMean ? "{value}" : "{value}%" },
    });
    const axes = { xAxisIndex: i, yAxisIndex: i };
    const stack = `band-${i}`;
    // The band: an invisible series at the low end, and the interval's width stacked on it.
    series.push({ ...axes, type: "line", stack, data: intervals.map((c) => c[0]), lineStyle: { opacity: 0 }, symbol: "none", silent: true });
    series.push({
      ...axes,
      type: "line",
      stack,
      data: intervals.map((c) => c[1] - c[0]),
      lineStyle: { opacity: 0 },
      areaStyle: { color: "#5470c6", opacity: 0.18 },
      symbol: "none",
      silent: true,
    });
    series.push({
      ...axes,
      type: "line",
      data: values,
      symbol: "circle",
      symbolSize: 7,
      lineStyle: { width: 2, color: "#5470c6" },
      itemStyle: { color: "#5470c6" },
    });
    if (h.baseline && h.baseline.total > 0 && h.points.length > 0) {
      const b = pct(h.baseline.passed / h.baseline.total);
      series.push({ ...axes, type: "line", data: h.points.map(() => b), symbol: "none", lineStyle: { type: "dashed", color: "#e74c3c", width: 1.5 } });
      titles.push({
        text: `記事 ${h.baseline.passed}/${h.baseline.total}`,
        right: 32,
        top: top + 8,
        textStyle: { fontFamily: FONT, fontSize: 12, color: "#e74c3c", fontWeight: "normal" },
      });
    }
  });
  return { animation: false, backgroundColor: "#ffffff", textStyle: { fontFamily: FONT }, title: titles, grid: grids, xAxis: xAxes, yAxis: yAxes, series };
}

/** The chart as SVG text (what gets rasterised). */
export function renderHistorySvg(suite: string, histories: readonly TestHistory[]): string {
  const { width, height } = chartSize(histories.length);
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption(option(suite, histories));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The chart as a PNG. */
export function renderHistoryPng(suite: string, histories: readonly TestHistory[]): Buffer {
  const svg = renderHistorySvg(suite, histories);
  const resvg = new Resvg(svg, { background: "#ffffff", font: { fontFiles: [notoSansJp()], loadSystemFonts: false, defaultFontFamily: FONT } });
  return Buffer.from(resvg.render().asPng());
}

/** probe-history-SUITE.png */
export function chartFileName(suite: string): string {
  return `probe-history-${suite}.png`;
}
