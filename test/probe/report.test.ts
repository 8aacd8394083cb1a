import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { probeProgressEmbed, probeReportEmbed, DISCORD_LIMITS, type DiscordEmbed } from "../../src/chat/discord/probe-embed.js";
import { probeProgressBlocks, probeReportBlocks, SLACK_LIMITS, type SlackProbeMessage, type SlackText } from "../../src/chat/slack/probe-blocks.js";
import { excerpt, formatDelta, formatDuration, probeStatus, testStatus, truncate } from "../../src/probe/report/format.js";
import { renderHistory } from "../../src/probe/report/history.js";
import { renderProbeJson, toProbeJson } from "../../src/probe/report/json.js";
import { progressBar, renderProgressLine } from "../../src/probe/report/progress.js";
import { renderTextReport } from "../../src/probe/report/text.js";
import { fenced, renderTranscript } from "../../src/probe/report/transcript.js";
import type { ProbeProgress, ProbeResult, RunResult, TestHistory, TestResult } from "../../src/probe/types.js";
import { runSeed } from "../../src/probe/seeds.js";
import { roundInterval, wilson } from "../../src/probe/wilson.js";

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");

/** Compares with test/probe/golden/NAME exactly; UPDATE_GOLDEN=1 rewrites the file instead. */
function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, "utf8"));
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

// ---- the fixture: a plausible 10-run probe of the article's three tests ----

const PROMPTS = {
  tom: "①サリーとアンが部屋で一緒に遊んでいます。\n②サリーはボールをかごの中に入れて部屋を出て行きます。\n③サリーがいない間にアンがボールを別の箱の中に移します。\n④サリーが部屋に戻ってきます。\n《問題》サリーはボールを取り出そうとして最初にどこを探しますか?",
  reading:
    "次の文を読みなさい。「Alexは男性にも女性にも使われる名前で、女性の名Alexandraの愛称であるが、男性の名Alexanderの愛称でもある。」この文脈において、次の文中の(  )にあてはまるもっとも適切なものを選択肢のうちから1つ選びなさい。\n\nAlexandraの愛称は(  )である。\n①Alex ②Alexander ③男性 ④女性",
  monty:
    "①三つの箱があります。一つの箱には金貨が入っており、残り二つの箱は空です。\n⑥あなたがより確実に金貨を得るためには、⑤で選択を変えるべきでしょうか。理由も説明してください。",
};

const ANSWERS = {
  tom: "サリーはボールを取り出そうとして、最初にボールが入っていたかごを探します。",
  readingOk: "この文脈において、Alexandraの愛称は「Alex」であると明記されています。よって、正しい選択肢は①Alexです。",
  readingNg: "Alexandraの愛称は②Alexanderです。文中で男性の名Alexanderの愛称でもあると書かれているためです。",
  montyNg:
    "この問題は、確率論と統計学を用いて考えることができます。\n③の選択で金貨の入った箱を選ぶ確率は、3分の1です。残り二つの箱のどちらかが金貨の入った箱という確率は、2分の1です。\n⑤では、金貨の入った箱を選ぶ確率は、残り二つの箱のどちらかを選ぶ確率と等しくなります。したがって、⑤で金貨の入った箱を選ぶ確率は、2分の1です。\nしたがって、⑤で選択を変えるべきではありません。",
  montyOk: "⑤で選択を変えるべきです。選択を変えない場合に金貨が手に入る確率は1/3、変えた場合は2/3です。",
};

function runs(n: number, testIndex: number, make: (run: number) => Omit<RunResult, "run" | "seed" | "durationMs" | "stopReason">): RunResult[] {
  return Array.from({ length: n }, (_, i) => ({
    run: i + 1,
    seed: runSeed(424242, testIndex, i + 1),
    durationMs: 20_000 + 137 * i,
    stopReason: "done",
    ...make(i + 1),
  }));
}

function testResult(t: Omit<TestResult, "passed" | "total" | "ci95">): TestResult {
  const passed = t.results.filter((r) => r.pass).length;
  return { ...t, passed, total: t.results.length, ci95: roundInterval(wilson(passed, t.results.length)) };
}

const RESULT: ProbeResult = {
  suite: "seed",
  model: "Llama-3-ELYZA-JP-8B-q4_k_m.gguf",
  modelHash: "9f2c1e0b7d4a55aa",
  runs: 10,
  startedAt: "2024-07-01T09:30:00.000Z",
  durationMs: 83_400,
  tokensPerSecond: 45.2,
  cancelled: false,
  settings: {
    temperature: 0.6,
    topP: 0.9,
    maxTokens: 1200,
    grading: "rule",
    baseSeed: 424242,
    systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。特に指示が無い場合は、常に日本語で回答してください。",
  },
  tests: [
    testResult({
      id: "theory-of-mind",
      title: "心のモデル",
      baseline: { passed: 10, total: 10 },
      prompt: PROMPTS.tom,
      results: runs(10, 0, () => ({ pass: true, reason: "かごを探すと答えた", answer: ANSWERS.tom, tokens: 28 })),
    }),
    testResult({
      id: "reading",
      title: "国語の問題",
      baseline: { passed: 10, total: 10 },
      prompt: PROMPTS.reading,
      results: runs(10, 1, (run) =>
        run === 4
          ? { pass: false, reason: "②Alexanderを選んだ", answer: ANSWERS.readingNg, tokens: 41 }
          : { pass: true, reason: "①Alexを選んだ", answer: ANSWERS.readingOk, tokens: 37 },
      ),
    }),
    testResult({
      id: "monty-hall",
      title: "モンティ・ホール問題",
      baseline: { passed: 0, total: 10 },
      references: [{ label: "GPT-4", passed: 10, total: 10 }],
      prompt: PROMPTS.monty,
      results: runs(10, 2, (run) =>
        run % 3 === 0
          ? { pass: true, reason: "変えるべき・2/3と答えた", answer: ANSWERS.montyOk, tokens: 52 }
          : { pass: false, reason: "変えるべきではないと答えた（確率1/2と説明）", answer: ANSWERS.montyNg, tokens: 96 },
      ),
    }),
  ],
  shifts: [{ id: "monty-hall", previous: { passed: 0, total: 10 }, previousCi95: [0, 0.278] }],
};

const PROGRESS: ProbeProgress = {
  done: 12,
  total: 30,
  perTest: [
    { id: "theory-of-mind", title: "心のモデル", done: 4, passed: 4, total: 10 },
    { id: "reading", title: "国語の問題", done: 4, passed: 3, total: 10 },
    { id: "monty-hall", title: "モンティ・ホール問題", done: 4, passed: 1, total: 10 },
  ],
};

const CANCELLED: ProbeResult = {
  ...RESULT,
  cancelled: true,
  durationMs: 31_000,
  tests: RESULT.tests.map((t) => testResult({ ...t, results: t.results.slice(0, 4) })),
  shifts: [],
};

// ---- goldens ----

describe("probe reports: goldens", () => {
  it("text report", () => {
    golden("report.txt", renderTextReport(RESULT));
    golden("report-cancelled.txt", renderTextReport(CANCELLED));
    golden("progress.txt", renderProgressLine(PROGRESS) + "\n");
  });

  it("Slack blocks", () => {
    golden("slack-report.json", json(probeReportBlocks(RESULT)));
    golden("slack-progress.json", json(probeProgressBlocks(PROGRESS, { suite: "seed", model: RESULT.model })));
  });

  it("Discord embed", () => {
    golden("discord-report.json", json(probeReportEmbed(RESULT)));
    golden("discord-progress.json", json(probeProgressEmbed(PROGRESS, { suite: "seed", model: RESULT.model })));
  });

  it("transcript, JSON and history", () => {
    golden("transcript.md", renderTranscript(RESULT));
    golden("probe.json", renderProbeJson(RESULT));
    const histories: TestHistory[] = [
      {
        id: "theory-of-mind",
        title: "心のモデル",
        points: [10, 9, 10].map((passed, i) => ({ probeId: i + 1, startedAt: `2024-06-0${i + 1}T00:00:00.000Z`, model: "q4", passed, total: 10 })),
      },
      {
        id: "reading",
        title: "国語の問題",
        points: [10, 10].map((passed, i) => ({ probeId: i + 2, startedAt: "2024-06-02T00:00:00.000Z", model: "q4", passed, total: 10 })),
      },
      {
        id: "monty-hall",
        title: "モンティ・ホール問題",
        points: [
          { probeId: 1, startedAt: "2024-06-01T00:00:00.000Z", model: "q4", passed: 0, total: 10 },
          { probeId: 3, startedAt: "2024-06-03T00:00:00.000Z", model: "q8", passed: 3, total: 10 },
        ],
      },
      { id: "new-test", title: "新しいテスト", points: [] },
    ];
    golden("history.txt", renderHistory("seed", histories));
  });
});

// ---- shapes and limits ----

describe("probe reports: content and limits", () => {
  it("the JSON has design.md's fields with their names", () => {
    const out = toProbeJson(RESULT);
    expect(Object.keys(out).slice(0, 5)).toEqual(["suite", "model", "runs", "durationMs", "tests"]);
    expect(out.tests[0]).toMatchObject({
      id: "theory-of-mind",
      title: "心のモデル",
      passed: 10,
      total: 10,
      ci95: [0.722, 1],
      baseline: { passed: 10, total: 10 },
    });
    expect(Object.keys(out.tests[0]?.results[0] ?? {})).toEqual(["run", "seed", "pass", "reason", "answer", "tokens", "durationMs", "stopReason"]);
    expect(JSON.parse(renderProbeJson(RESULT))).toEqual(out);
  });

  it("judges each test against the article and the previous probe", () => {
    const [tom, reading, monty] = RESULT.tests as [TestResult, TestResult, TestResult];
    expect(testStatus(tom, RESULT)).toBe("ok");
    expect(testStatus(reading, RESULT)).toBe("below");
    expect(testStatus(monty, RESULT)).toBe("ok");
    expect(testStatus({ ...reading, passed: 6, ci95: [0.313, 0.832] }, RESULT)).toBe("regressed");
    expect(probeStatus(RESULT)).toBe("below");
    expect(probeStatus(CANCELLED)).toBe("cancelled");
  });

  it("formats deltas, durations and excerpts", () => {
    expect(formatDelta({ passed: 9, total: 10 }, { passed: 10, total: 10 })).toBe("−1");
    expect(formatDelta({ passed: 10, total: 10 }, { passed: 10, total: 10 })).toBe("±0");
    expect(formatDelta({ passed: 4, total: 5 }, { passed: 10, total: 10 })).toBe("−20pt");
    expect(formatDuration(400)).toBe("0.4秒");
    expect(formatDuration(83_400)).toBe("1分23秒");
    expect(formatDuration(3_725_000)).toBe("1時間2分");
    expect(excerpt("a\n\n  b", 120)).toBe("a b");
    expect(excerpt("   ")).toBe("（空の回答）");
    expect(excerpt("あ".repeat(300)).length).toBe(120);
    expect(truncate("ab😀", 3)).toBe("ab…");
    expect(truncate("a😀b", 3)).toBe("a…");
  });

  it("draws the progress bar", () => {
    expect(progressBar(12, 30, 10)).toBe("▓▓▓▓░░░░░░");
    expect(progressBar(29, 30, 10)).toBe("▓▓▓▓▓▓▓▓▓░");
    expect(progressBar(30, 30, 10)).toBe("▓▓▓▓▓▓▓▓▓▓");
    expect(progressBar(0, 0, 4)).toBe("▓▓▓▓");
  });

  it("fences answers that contain backticks", () => {
    expect(fenced("a ``` b")).toBe("````text\na ``` b\n````");
  });

  // A suite far beyond the seed one, with answers far beyond any limit.
  const HUGE: ProbeResult = {
    ...RESULT,
    model: "m".repeat(500),
    suite: "s".repeat(300),
    tests: Array.from({ length: 60 }, (_, i) =>
      testResult({
        id: `t${i}`,
        title: `テスト<${i}>&`.repeat(40),
        baseline: { passed: 10, total: 10 },
        references: [{ label: "GPT-4".repeat(100), passed: 1, total: 1 }],
        results: runs(3, i, () => ({ pass: false, reason: "理由*_`".repeat(500), answer: "答え".repeat(5000), tokens: 1 })),
      }),
    ),
    shifts: Array.from({ length: 60 }, (_, i) => ({ id: `t${i}`, previous: { passed: 3, total: 3 }, previousCi95: [0.439, 1] as [number, number] })),
  };

  function checkSlack(message: SlackProbeMessage): void {
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    for (const block of message.blocks) {
      if (block.type === "header") expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      if (block.type === "section") {
        expect((block.text?.text ?? "").length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        expect((block.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
        for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
      }
      if (block.type === "context") {
        expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
        for (const e of block.elements as SlackText[]) expect(e.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      }
    }
  }

  function checkDiscord(embed: DiscordEmbed): void {
    expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect((embed.description ?? "").length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(embed.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const f of embed.fields) {
      expect(f.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    }
    const total =
      embed.title.length +
      (embed.description ?? "").length +
      (embed.footer?.text.length ?? 0) +
      embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.total);
  }

  it("keeps Slack messages within Slack's limits, naming what did not fit", () => {
    const report = probeReportBlocks(HUGE);
    checkSlack(report);
    expect(JSON.stringify(report.blocks)).toContain("件のテストは添付の記録を参照してください");
    // Model text is escaped: no stray mentions or links.
    expect(JSON.stringify(report.blocks)).not.toMatch(/<\d/);
    checkSlack(
      probeProgressBlocks(
        { done: 1, total: 180, perTest: HUGE.tests.map((t) => ({ id: t.id, title: t.title, done: 1, passed: 0, total: 3 })) },
        { suite: HUGE.suite, model: HUGE.model },
      ),
    );
    checkSlack(probeReportBlocks(RESULT));
  });

  it("keeps Discord embeds within Discord's limits, naming what did not fit", () => {
    const report = probeReportEmbed(HUGE);
    checkDiscord(report);
    expect(report.description).toContain("件のテストは添付の記録を参照してください");
    checkDiscord(
      probeProgressEmbed(
        { done: 1, total: 180, perTest: HUGE.tests.map((t) => ({ id: t.id, title: t.title, done: 1, passed: 0, total: 3 })) },
        { suite: HUGE.suite, model: HUGE.model },
      ),
    );
    checkDiscord(probeReportEmbed(RESULT));
  });
});
