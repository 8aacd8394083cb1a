// The A/B, pass^k and dataset lines in every rendering: terminal, Slack blocks, Discord embed,
// progress; and the limits of each platform still hold.

import { describe, expect, it } from "vitest";
import { probeProgressEmbed, probeReportEmbed, DISCORD_LIMITS } from "../../src/chat/discord/probe-embed.js";
import { probeProgressBlocks, probeReportBlocks, SLACK_LIMITS } from "../../src/chat/slack/probe-blocks.js";
import { renderProgressLine, renderTextReport } from "../../src/probe/report/text.js";
import type { ProbeResult, RunResult, TestResult } from "../../src/probe/types.js";

const runs = (passes: number, total: number): RunResult[] =>
  Array.from({ length: total }, (_, i) => ({
    run: i + 1,
    seed: 100 + i,
    pass: i < passes,
    reason: i < passes ? "ok" : "ng",
    answer: "答え",
    tokens: 5,
    durationMs: 10,
    stopReason: "done",
  }));

const AB_TEST: TestResult = {
  id: "theory-of-mind",
  title: "心のモデル",
  passed: 10,
  total: 10,
  ci95: [0.722, 1],
  baseline: { passed: 10, total: 10 },
  results: runs(10, 10),
  passAll: true,
  passK: { k: 5, estimate: 1 },
  compare: {
    model: "q8.gguf",
    passed: 3,
    total: 10,
    ci95: [0.108, 0.603],
    difference: 0.7,
    differenceCi95: [0.29, 0.89],
    pValue: 0.0031,
    better: "a",
    passAll: false,
    passK: { k: 5, estimate: 0 },
    results: runs(3, 10),
  },
};

/** One model, no comparison: what a dataset suite's probe looks like. */
const SINGLE: ProbeResult = {
  suite: "seed",
  model: "q4.gguf",
  runs: 10,
  startedAt: "2026-12-01T00:00:00.000Z",
  durationMs: 60_000,
  tokensPerSecond: 40,
  cancelled: false,
  settings: { temperature: 0.6, topP: 0.9, maxTokens: 1200, grading: "rule" },
  tests: [AB_TEST],
};

const AB: ProbeResult = { ...SINGLE, compare: { model: "q8.gguf" } };

const tasks: TestResult[] = Array.from({ length: 100 }, (_, i) => ({
  id: `task-${String(i + 1).padStart(3, "0")}`,
  title: `#${i + 1} 長い問題文`.repeat(3),
  passed: i % 2,
  total: 1,
  ci95: [0, 1],
  row: i + 1,
  results: [{ ...runs(i % 2, 1)[0]!, score: (i % 5) + 1, reason: "理由".repeat(200) }],
}));

const DATASET: ProbeResult = {
  ...SINGLE,
  suite: "elyza-tasks-100",
  runs: 1,
  tests: tasks,
  dataset: {
    source: "hf:datasets/elyza/ELYZA-tasks-100/test.csv",
    scored: 100,
    unscoredRows: [4, 9],
    mean: 3,
    ci95: [2.72, 3.28],
    histogram: [20, 20, 20, 20, 20],
    categories: [],
    judge: "the bot's own model (q4.gguf)",
    reference: { label: "Llama-3-ELYZA-JP-8B（ELYZA発表値）", score: 3.655, judge: "GPT-4o" },
  },
};

describe("A/B in every rendering", () => {
  it("terminal: both arms, the difference, p and the verdict, pass^k", () => {
    const text = renderTextReport(AB);
    expect(text).toContain("A: q4.gguf · B: q8.gguf");
    expect(text).toContain("心のモデル 10/10 (95% CI 72–100%) 記事: 10/10 ±0 · pass^5 1.00 · 全回合格");
    expect(text).toContain("  B 3/10 (95% CI 10–61%) · 差 +70pt (95% CI +29…+89pt) · p=0.0031 — 差あり: A が高い");
  });

  it("Slack and Discord carry the same lines", () => {
    const slack = JSON.stringify(probeReportBlocks(AB));
    expect(slack).toContain("A: q4.gguf · B: q8.gguf");
    expect(slack).toContain("差あり: A が高い");
    const embed = probeReportEmbed(AB);
    expect(embed.description).toContain("A: q4.gguf · B: q8.gguf");
    expect(embed.fields[0]!.value).toContain("B 3/10 (95% CI 10–61%)");
  });

  it("progress shows both arms", () => {
    const progress = {
      done: 6,
      total: 20,
      compareModel: "q8.gguf",
      perTest: [{ id: "theory-of-mind", title: "心のモデル", done: 3, passed: 3, total: 10, compare: { done: 3, passed: 1 } }],
    };
    expect(renderProgressLine(progress)).toContain("心のモデル 3/3 (B 1/3)");
    expect(JSON.stringify(probeProgressBlocks(progress, { suite: "seed" }))).toContain("B 1/3 合格");
    expect(probeProgressEmbed(progress, { suite: "seed" }).fields[0]!.value).toContain("B 1/3 合格");
  });
});

describe("a dataset probe in every rendering", () => {
  it("leads with the mean, its interval, the spread, the reference and both judges, within each platform's limits", () => {
    const text = renderTextReport(DATASET);
    expect(text).toContain("平均スコア 3.00 / 5 (95% CI 2.72–3.28, 100問, ブートストラップ)");
    expect(text).toContain("⚠ 採点できなかった2問（行 4, 9）は最低点の1点として平均に含めています");
    expect(text).toContain("参考: Llama-3-ELYZA-JP-8B（ELYZA発表値） 3.655（採点 GPT-4o） · 今回の採点: the bot's own model (q4.gguf)");
    const slack = probeReportBlocks(DATASET);
    expect(slack.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(JSON.stringify(slack.blocks)).toContain("平均スコア 3.00 / 5");
    const embed = probeReportEmbed(DATASET);
    const size =
      embed.title.length +
      (embed.description?.length ?? 0) +
      (embed.footer?.text.length ?? 0) +
      embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(size).toBeLessThanOrEqual(DISCORD_LIMITS.total);
    expect(embed.description).toContain("平均スコア 3.00 / 5");
    expect(embed.description).toContain("添付の記録を参照してください");
  });
});

describe("transcripts of the new modes", () => {
  it("an A/B transcript has both models' runs with their seeds; a dataset transcript has the scores", async () => {
    const { renderTranscript } = await import("../../src/probe/report/transcript.js");
    const ab = renderTranscript(AB);
    expect(ab).toContain("- A/B: A: q4.gguf · B: q8.gguf（同じ seed で交互に実行）");
    expect((ab.match(/^### B \(q8\.gguf\) \d+回目/gm) ?? []).length).toBe(10);
    expect((ab.match(/^### \d+回目/gm) ?? []).length).toBe(10);
    expect(ab).toContain("### B (q8.gguf) 4回目 — ✗ 不合格");
    const ds = renderTranscript(DATASET);
    expect(ds).toContain("- 平均スコア 3.00 / 5");
    expect(ds).toContain("### 1回目 — ✗ 不合格 · 1点");
  });
});
