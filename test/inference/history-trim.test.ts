// "Say when history was dropped": the count of trimmed turns travels from the real engine through
// the shared queue to what the chat core gets, and becomes the one line under the answer (which
// reading the thread back strips again).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { historyNotice, stripHistoryNotice, withHistoryNotice } from "../../src/core/history-notice.js";
import { keepFrom } from "../../src/inference/backends/overflow-trim.js";
import { LlamaEngine } from "../../src/inference/engine.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { ChatTurn } from "../../src/inference/types.js";
import { tinyModelPath } from "../helpers/test-model.js";

const FOREVER = 600_000;
const SYSTEM = "あなたは誠実で優秀な日本人のアシスタントです。";

describe("trimmed turns on the real engine, through the queue", () => {
  let engine: LlamaEngine;
  let queue: InferenceQueue;
  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 1, contextSize: 256, batchSize: 256 });
    queue = new InferenceQueue(engine, {
      sampling: { temperature: 0.6, topP: 0.9, maxTokens: 16, seed: 3 },
      maxWaiting: 10,
      maxPerUser: 10,
      timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
    });
  });
  afterAll(async () => {
    await engine?.[Symbol.asyncDispose]();
  });

  it("reports 0 for a conversation that fits and the dropped count for one that does not", async () => {
    const short = await queue.submit({
      userId: "u",
      priority: "interactive",
      conversation: { systemPrompt: SYSTEM, turns: [{ role: "user", text: "こんにちは" }] },
    }).result;
    expect(short.trimmedTurns).toBe(0);
    expect(withHistoryNotice(short.text, short.trimmedTurns)).toBe(short.text);

    const turns: ChatTurn[] = [];
    for (let i = 0; i < 6; i++)
      turns.push({ role: "user", text: `${i}: ${"昔の話です。".repeat(10)}` }, { role: "assistant", text: "そうですね。".repeat(10) });
    turns.push({ role: "user", text: "最後の質問です" });
    const long = await queue.submit({ userId: "u", priority: "interactive", conversation: { systemPrompt: SYSTEM, turns } }).result;
    expect(long.stopReason).not.toBe("error");
    expect(long.trimmedTurns).toBeGreaterThan(0);
    expect(long.trimmedTurns).toBeLessThan(turns.length);
    expect(long.promptTokens).toBeLessThanOrEqual(engine.contextSize);
    const shown = withHistoryNotice(long.text, long.trimmedTurns);
    expect(shown.endsWith(`古いメッセージ${long.trimmedTurns}件を省いて回答しました）`)).toBe(true);
    expect(stripHistoryNotice(shown)).toBe(long.text.trimEnd());
  });
});

describe("historyNotice", () => {
  it("is one short line, only when something was dropped", () => {
    expect(historyNotice(0)).toBeUndefined();
    expect(historyNotice(3)).toBe("（会話が長いため、古いメッセージ3件を省いて回答しました）");
    expect(historyNotice(3)!.includes("\n")).toBe(false);
    expect(stripHistoryNotice("答えです。\n\n（会話が長いため、古いメッセージ12件を省いて回答しました）")).toBe("答えです。");
    // Only at the end: a quote of it inside an answer stays.
    expect(stripHistoryNotice("（会話が長いため、古いメッセージ1件を省いて回答しました） と書かれていました。")).toContain("と書かれていました");
  });
});

describe("keepFrom (the openai backend after a context refusal)", () => {
  const turns: ChatTurn[] = [
    { role: "user", text: "a".repeat(1000) },
    { role: "assistant", text: "b".repeat(1000) },
    { role: "user", text: "c".repeat(1000) },
    { role: "assistant", text: "d".repeat(1000) },
    { role: "user", text: "question" },
  ];

  it("drops whole exchanges in proportion to the excess, keeping room for the answer", () => {
    // 4008 chars ≈ 4008 tokens; 2048 available with 512 kept for the answer: ~2500 must go.
    expect(keepFrom("", turns, { neededTokens: 4008, availableTokens: 2048, maxTokens: 1200 })).toBe(4);
    // A small excess drops the first exchange only (history starts on a user turn).
    expect(keepFrom("", turns, { neededTokens: 4008, availableTokens: 4000, maxTokens: 100 })).toBe(2);
  });

  it("gives up when only the question is left", () => {
    expect(keepFrom("", [{ role: "user", text: "q" }], { neededTokens: 9000, availableTokens: 100, maxTokens: 10 })).toBeUndefined();
  });
});
