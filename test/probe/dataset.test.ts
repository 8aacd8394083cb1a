// Dataset suites (ELYZA-tasks-100): the file fetched once from a fake Hugging Face hub on
// 127.0.0.1 into the model cache, parsed with its quoted multi-line fields, every answer scored
// 1–5 by a scripted judge, and the report's mean, interval, spread and bad rows.

import { readFileSync } from "node:fs";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InferenceQueue } from "../../src/inference/queue.js";
import { readDatasetFile, resolveDatasetFile } from "../../src/probe/dataset/fetch.js";
import { parseDataset, withDatasetTests } from "../../src/probe/dataset/parse.js";
import { evaluateGate } from "../../src/probe/gate.js";
import { makeGrader, parseScoreReply, scoreConversation } from "../../src/probe/graders/index.js";
import { ProbeHistory } from "../../src/probe/history-store.js";
import { renderTextReport } from "../../src/probe/report/text.js";
import { MEAN_SCORE_ID } from "../../src/probe/history-store.js";
import { ProbeRunner } from "../../src/probe/runner.js";
import { parseSuite } from "../../src/probe/suite-loader.js";
import type { ProbeSuite } from "../../src/probe/types.js";
import { ScriptedEngine } from "../helpers/scripted-engine.js";

const CSV = readFileSync(path.resolve("test/fixtures/elyza-tasks-5.csv"));
const HUB_PATH = "/datasets/elyza/ELYZA-tasks-100/resolve/main/test.csv";
const URI = "hf:datasets/elyza/ELYZA-tasks-100/test.csv";

let hub: http.Server;
let endpoint: string;
let requests: string[] = [];
beforeAll(async () => {
  hub = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === HUB_PATH) {
      res.writeHead(200, { "content-type": "text/csv", "content-length": CSV.length });
      res.end(CSV);
    } else {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((resolve) => hub.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => hub.close(() => resolve())));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-dataset-"));
  requests = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const hint = "set dataset.source in config/probes/elyza-tasks-100.yaml to a local copy";

describe("the dataset file", () => {
  it("is fetched once from the hub into the model cache, then read offline", async () => {
    const options = { directory: path.join(dir, "models"), huggingFaceEndpoint: endpoint, localHint: hint };
    const file = await resolveDatasetFile(URI, options);
    expect(file).toBe(path.join(dir, "models", "datasets", "elyza", "ELYZA-tasks-100", "test.csv"));
    expect(readFileSync(file).equals(CSV)).toBe(true);
    expect(requests).toEqual([HUB_PATH]);
    // Cached: the hub is not asked again, even when it is unreachable.
    const again = await readDatasetFile(URI, { ...options, huggingFaceEndpoint: "http://127.0.0.1:9/" });
    expect(again.file).toBe(file);
    expect(requests).toHaveLength(1);
  });

  it("offline, says so and how to use a local file; a missing file on the hub is a 404 naming the URI", async () => {
    const offline = resolveDatasetFile(URI, { directory: dir, huggingFaceEndpoint: "http://127.0.0.1:9/", localHint: hint, connectTimeoutMs: 2000 });
    await expect(offline).rejects.toThrow(
      /could not download hf:datasets\/elyza\/ELYZA-tasks-100\/test.csv: 127.0.0.1:9 is unreachable \(.+\); to run without network, set dataset.source/,
    );
    await expect(
      resolveDatasetFile("hf:datasets/elyza/ELYZA-tasks-100/missing.csv", { directory: dir, huggingFaceEndpoint: endpoint, localHint: hint }),
    ).rejects.toThrow("could not download hf:datasets/elyza/ELYZA-tasks-100/missing.csv: HTTP 404 (no such file: check the URI)");
    await expect(resolveDatasetFile("hf:elyza/x", { directory: dir, localHint: hint })).rejects.toThrow("expected hf:datasets/OWNER/NAME/FILE");
    await expect(resolveDatasetFile(path.join(dir, "none.csv"), { directory: dir, localHint: hint })).rejects.toThrow(
      `dataset file not found: ${path.join(dir, "none.csv")} (${hint})`,
    );
  });

  it("parses ELYZA-tasks-100's CSV (quoted, multi-line, doubled quotes) and JSON Lines", () => {
    const rows = parseDataset(CSV.toString("utf8"), "test.csv");
    expect(rows).toHaveLength(5);
    expect(rows[0]!.output).toBe("1. 新しい技能を学ぶ\n2. 目標を見直す\n3. 休暇を取る");
    expect(rows[3]!.input).toBe('"AI" を使って一文で俳句を作ってください。');
    expect(rows[2]).toMatchObject({ input: "次の計算をしてください: 12 × 13 = ?", output: "156", row: 3 });
    const jsonl = rows
      .map((r) => JSON.stringify({ input: r.input, output: r.output, eval_aspect: r.evalAspect, category: r.row < 3 ? "知識" : "計算" }))
      .join("\n");
    expect(parseDataset(jsonl, "tasks.jsonl").map((r) => r.category)).toEqual(["知識", "知識", "計算", "計算", "計算"]);
  });

  it("names the row and the field of a bad row", () => {
    expect(() => parseDataset("input,output\nq,a\n", "t.csv")).toThrow("t.csv: row 1: eval_aspect: required");
    expect(() => parseDataset('input,output,eval_aspect\nq,a,x\nq2,"",x\n', "t.csv")).toThrow("t.csv: row 2: output: must not be empty");
    expect(() => parseDataset('{"input":"q","output":"a","eval_aspect":"x"}\nnot json\n', "t.jsonl")).toThrow("t.jsonl: row 2 (line 2): not a JSON object");
    expect(() => parseDataset("input,output,eval_aspect\n", "t.csv")).toThrow("t.csv: the dataset has no rows");
  });
});

describe("the score judge", () => {
  it("reads {reason, score} however it is wrapped, and refuses a score outside 1–5", () => {
    expect(parseScoreReply('```json\n{"reason": "正しい", "score": 5}\n```')).toEqual({ ok: true, score: 5, reason: "正しい" });
    expect(parseScoreReply("｛＂reason＂：＂一部誤り＂，＂score＂：＂３点＂｝")).toEqual({ ok: true, score: 3, reason: "一部誤り" });
    expect(parseScoreReply('{"reason": "満点超え", "score": 7}')).toEqual({ ok: false, problem: "judge score 7 is not a whole number from 1 to 5" });
    expect(parseScoreReply("わかりません")).toEqual({ ok: false, problem: "judge returned no JSON with a score" });
  });

  it("builds its Japanese rubric from the task's reference answer and eval_aspect", () => {
    const [task] = withDatasetTests(SUITE, CSV.toString("utf8"), "test.csv").tests;
    const text = scoreConversation(task!, "答え").turns[0]!.text;
    expect(text).toContain("# 正解例\n1. 新しい技能を学ぶ");
    expect(text).toContain("# 採点の観点\n- 熱意を取り戻すのに役立つアイデアが3つ挙げられていれば4点");
    expect(text).toContain('{"reason": "採点の理由(日本語で一文)", "score": 1から5の整数}');
  });
});

const SUITE: ProbeSuite = parseSuite(
  [
    "name: elyza-tasks-100",
    "systemPrompt: あなたは誠実で優秀な日本人のアシスタントです。",
    "runs: 1",
    "sampling: { temperature: 0.6, topP: 0.9, maxTokens: 64 }",
    "grading: judge",
    "dataset:",
    `  source: ${URI}`,
    "  reference: { label: Llama-3-ELYZA-JP-8B, score: 3.655, judge: GPT-4o }",
  ].join("\n"),
  "elyza-tasks-100.yaml",
);

describe("a dataset probe", () => {
  it("answers every task, has each answer scored, and reports the mean, interval, spread and bad rows", async () => {
    const engine = new ScriptedEngine(2, () => ({ chunks: ["こたえ"] }));
    const queue = new InferenceQueue(engine, {
      sampling: SUITE.sampling,
      maxWaiting: 100,
      maxPerUser: 100,
      timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 60_000 },
    });
    // The scripted judge: by task, 5, 4, 3, a score out of range, and no JSON at all.
    const replies = new Map([
      ["仕事の熱意", '{"reason": "3つ挙げている", "score": 5}'],
      ["急がば回れ", '{"reason": "例がない", "score": 4}'],
      ["12 × 13", '{"reason": "計算が誤り", "score": 3}'],
      ["俳句", '{"reason": "?", "score": 9}'],
      ["首都", "東京です"],
    ]);
    const judged: string[] = [];
    const grader = makeGrader("judge", async (conversation) => {
      const text = conversation.turns[0]!.text;
      judged.push(text);
      for (const [key, reply] of replies) if (text.includes(key)) return reply;
      throw new Error("unexpected task");
    });
    const history = new ProbeHistory(dir);
    const runner = new ProbeRunner({
      queue,
      loadSuite: () => SUITE,
      grade: (test, answer, _mode, signal) => grader(test, answer, signal),
      modelName: "tiny.gguf",
      defaultSuite: "elyza-tasks-100",
      history,
      judgeName: "scripted judge",
      prepareSuite: async (suite) => {
        const { file, text } = await readDatasetFile(suite.dataset!.source, { directory: dir, huggingFaceEndpoint: endpoint, localHint: hint });
        return withDatasetTests(suite, text, file);
      },
    });
    try {
      const progress: number[] = [];
      const handle = runner.run({ grading: "judge" }, "slack:U1");
      handle.onProgress((p) => progress.push(p.done));
      const result = await handle.result;
      expect(judged).toHaveLength(5);
      expect(progress.at(-1)).toBe(5);
      expect(result.tests.map((t) => [t.id, t.row, t.results[0]!.score])).toEqual([
        ["task-001", 1, 5],
        ["task-002", 2, 4],
        ["task-003", 3, 3],
        ["task-004", 4, 1],
        ["task-005", 5, 1],
      ]);
      expect(result.tests[3]!.results[0]!.reason).toBe("judge score 9 is not a whole number from 1 to 5 (dataset row 4; counted as 1)");
      expect(result.tests[4]!.results[0]!.reason).toBe("judge returned no JSON with a score (dataset row 5; counted as 1)");
      const d = result.dataset!;
      expect(d.mean).toBe(2.8);
      expect(d.scored).toBe(5);
      expect(d.unscoredRows).toEqual([4, 5]);
      expect(d.histogram).toEqual([2, 0, 1, 1, 1]);
      expect(d.ci95[0]).toBeGreaterThanOrEqual(1);
      expect(d.ci95[0]).toBeLessThan(2.8);
      expect(d.ci95[1]).toBeGreaterThan(2.8);
      expect(d.ci95[1]).toBeLessThanOrEqual(5);
      expect(d).toMatchObject({ judge: "scripted judge", reference: { score: 3.655, judge: "GPT-4o" } });
      // Tallies: a task passes at 3 or more.
      expect(result.tests.map((t) => t.passed)).toEqual([1, 1, 1, 0, 0]);

      const text = renderTextReport(result);
      expect(text).toContain("平均スコア 2.80 / 5 (95% CI");
      expect(text).toContain("得点分布 1点:2 2点:0 3点:1 4点:1 5点:1");
      expect(text).toContain("⚠ 採点できなかった2問（行 4, 5）は最低点の1点として平均に含めています");
      expect(text).toContain("参考: Llama-3-ELYZA-JP-8B 3.655（採点 GPT-4o） · 今回の採点: scripted judge");

      // History: the mean per probe, and the gate on it.
      expect(runner.history("elyza-tasks-100", 5)).toMatchObject([{ id: MEAN_SCORE_ID, points: [{ mean: 2.8 }] }]);
      expect(evaluateGate(result, "baseline")).toMatchObject({ passed: true });
      expect(evaluateGate(result, "regression").checks[0]).toMatchObject({ status: "skipped" });
      replies.set("仕事の熱意", "{}").set("急がば回れ", "{}").set("12 × 13", "{}");
      const worse = await runner.run({}, "cli").result;
      expect(worse.dataset!.mean).toBe(1);
      expect(worse.previousRun?.meanScore).toBe(2.8);
      expect(evaluateGate(worse, "regression")).toMatchObject({ passed: false, checks: [{ id: "mean-score", status: "fail" }] });
    } finally {
      await history[Symbol.asyncDispose]();
    }
  });

  it("a dataset suite without a way to read its file is refused with a clear message", async () => {
    const engine = new ScriptedEngine(1);
    const queue = new InferenceQueue(engine, {
      sampling: SUITE.sampling,
      maxWaiting: 10,
      maxPerUser: 10,
      timeouts: { queueWaitMs: 1000, firstTokenMs: 1000, totalMs: 1000 },
    });
    const runner = new ProbeRunner({ queue, loadSuite: () => SUITE, grade: async () => ({ pass: true, reason: "" }), modelName: "m", defaultSuite: "x" });
    await expect(runner.run({}, "cli").result).rejects.toThrow("suite elyza-tasks-100 reads a dataset, which is not available here");
  });
});
