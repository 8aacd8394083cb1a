// /probe v2 in Slack: the history chart uploaded as a PNG, and `/probe suite=elyza-tasks-100 judge`
// end to end on the real engine and a generated model — the real probe wiring (src/app), the
// dataset fetched from a fake Hugging Face hub on 127.0.0.1, judged by the bot's own model.

import { readFileSync } from "node:fs";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { PNG } from "pngjs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openProbe, type ProbeSetup } from "../../../src/app/probe-service.js";
import { loadConfig } from "../../../src/config/load.js";
import { LlamaEngine } from "../../../src/inference/engine.js";
import { ProbeHistory } from "../../../src/probe/history-store.js";
import { chartSize } from "../../../src/probe/report/chart.js";
import { ProbeRunner } from "../../../src/probe/runner.js";
import type { ProbeResult, ProbeSuite } from "../../../src/probe/types.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";
import { tinyModelPath } from "../../helpers/test-model.js";

let h: Harness | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slack-probe-v2-"));
afterEach(async () => {
  await h?.stop();
  h = undefined;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SUITE: ProbeSuite = {
  name: "mini",
  systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。",
  runs: 2,
  sampling: { temperature: 0.6, topP: 0.9, maxTokens: 100 },
  grading: "rule",
  tests: [
    {
      id: "theory-of-mind",
      title: "心のモデル",
      prompt: "サリーは？",
      reference: "かご",
      grader: { kind: "rule", rule: "theory-of-mind" },
      baseline: { passed: 10, total: 10 },
    },
  ],
};

function stored(passed: number, startedAt: string): ProbeResult {
  const results = Array.from({ length: 10 }, (_, i) => ({
    run: i + 1,
    seed: i,
    pass: i < passed,
    reason: "r",
    answer: "a",
    tokens: 1,
    durationMs: 1,
    stopReason: "done",
  }));
  return {
    suite: "mini",
    model: "m.gguf",
    runs: 10,
    startedAt,
    durationMs: 1,
    tokensPerSecond: 1,
    cancelled: false,
    settings: { temperature: 0.6, topP: 0.9, maxTokens: 100, grading: "rule" },
    tests: [{ id: "theory-of-mind", title: "心のモデル", passed, total: 10, ci95: [0, 1], results }],
  };
}

describe("/probe history in Slack", () => {
  it("answers with the trend in the ack and uploads the chart as a PNG into the channel", async () => {
    const history = new ProbeHistory(path.join(dir, "history"));
    history.record(stored(10, "2026-11-01T00:00:00.000Z"));
    history.record(stored(7, "2026-11-02T00:00:00.000Z"));
    try {
      h = await startHarness({
        access: { probeAdmins: ["UADMIN"] },
        probe: (queue) =>
          new ProbeRunner({ queue, loadSuite: () => SUITE, grade: async () => ({ pass: true, reason: "" }), modelName: "m", defaultSuite: "mini", history }),
      });
      const { fake } = h;
      const ack = await fake.waitForAck(fake.deliverCommand({ command: "/probe", text: "history", user_id: "UADMIN", channel_id: "C100" }).envelopeId);
      expect(String(ack.payload!["text"])).toContain("心のモデル  10/10 → 7/10");
      await vi.waitFor(() => expect(fake.callsTo("files.completeUploadExternal").length === 1).toBeTruthy(), { timeout: 20_000 });
      expect(fake.uploads[0]!.filename).toBe("probe-history-mini.png");
      const png = PNG.sync.read(fake.uploads[0]!.data);
      expect({ width: png.width, height: png.height }).toEqual(chartSize(1));
      expect(fake.callsTo("files.completeUploadExternal")[0]!.args).toMatchObject({ channel_id: "C100" });
    } finally {
      await history[Symbol.asyncDispose]();
    }
  });
});

describe("/probe suite=elyza-tasks-100 judge with the real engine", () => {
  let engine: LlamaEngine;
  let hub: http.Server;
  let setup: ProbeSetup | undefined;
  const previousEndpoint = process.env.MODEL_ENDPOINT;

  beforeAll(async () => {
    const csv = readFileSync(path.resolve("test/fixtures/elyza-tasks-5.csv"));
    hub = http.createServer((req, res) => {
      if (req.url === "/datasets/elyza/ELYZA-tasks-100/resolve/main/test.csv") res.writeHead(200, { "content-type": "text/csv" }).end(csv);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => hub.listen(0, "127.0.0.1", resolve));
    // The dataset resolver reads the hub's address as models do (MODEL_ENDPOINT).
    process.env.MODEL_ENDPOINT = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/`;
    // Byte-level tokens: a Japanese judge prompt needs a few thousand of them.
    engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 2, contextSize: 4096, batchSize: 512 });
  });
  afterAll(async () => {
    if (previousEndpoint === undefined) delete process.env.MODEL_ENDPOINT;
    else process.env.MODEL_ENDPOINT = previousEndpoint;
    await setup?.[Symbol.asyncDispose]();
    await engine?.[Symbol.asyncDispose]();
    await new Promise<void>((resolve) => hub.close(() => resolve()));
  });

  it("fetches the dataset, answers and judges every task, and posts the mean (honestly near 1) with the transcript", async () => {
    const config = loadConfig({
      env: {},
      dotEnvFile: false,
      overrides: {
        model: { directory: path.join(dir, "models") },
        sampling: { maxTokens: 24 },
        probe: { suitesDirectory: path.resolve("config/probes"), dataDirectory: path.join(dir, "data") },
      },
    });
    h = await startHarness({
      engine,
      access: { probeAdmins: ["UADMIN"] },
      maxPerUser: 100,
      maxWaiting: 100,
      probe: (queue) => {
        setup = openProbe({ config, queue, modelName: "tiny.gguf", fingerprint: async () => "tiny", parallel: 2, warn: () => {}, status: process.stderr });
        return setup.runner;
      },
    });
    const { fake } = h;
    fake.deliverCommand({ command: "/probe", text: "suite=elyza-tasks-100 judge", user_id: "UADMIN", channel_id: "C100" });
    await vi.waitFor(() => expect(fake.uploads.length === 1, "the transcript").toBeTruthy(), { timeout: 240_000 });
    const report = fake.store.all("C100")[0]!;
    expect(report.text).toMatch(/^プローブ結果 elyza-tasks-100: /);
    const blocks = JSON.stringify(report.blocks);
    const mean = Number(/平均スコア (\d\.\d\d) \/ 5/.exec(blocks)?.[1]);
    // Random weights answer nonsense and cannot judge: every answer ends at the floor, 1, and says why.
    expect(mean).toBeGreaterThanOrEqual(1);
    expect(mean).toBeLessThan(2);
    expect(blocks).toContain("参考: Llama-3-ELYZA-JP-8B（ELYZA発表値） 3.655（採点 GPT-4o）");
    expect(blocks).toContain("今回の採点: the bot's own model (tiny.gguf)");
    const transcript = fake.uploads[0]!.content;
    expect(transcript).toContain("仕事の熱意を取り戻すためのアイデアを3つ挙げてください。");
    expect((transcript.match(/### 1回目/g) ?? []).length).toBe(5);
    // Fetched once into the model cache.
    expect(fs.existsSync(path.join(dir, "models", "datasets", "elyza", "ELYZA-tasks-100", "test.csv"))).toBe(true);
    // And stored: /probe history shows the mean.
    const ack = await fake.waitForAck(
      fake.deliverCommand({ command: "/probe", text: "history suite=elyza-tasks-100", user_id: "UADMIN", channel_id: "C100" }).envelopeId,
    );
    expect(String(ack.payload!["text"])).toMatch(/平均スコア\s+1\.\d\d/);
  }, 300_000);
});
