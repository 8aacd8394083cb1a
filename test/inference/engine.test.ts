// The real node-llama-cpp engine on a generated tiny model: streaming, concurrency, abort,
// context fitting. The model's weights are random, so only the mechanics are asserted.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaEngine } from "../../src/inference/engine.js";
import { ContextOverflowError } from "../../src/inference/errors.js";
import type { ChatTurn, SamplingOptions } from "../../src/inference/types.js";
import { tinyModelPath } from "../helpers/test-model.js";

const SYSTEM = "あなたは誠実で優秀な日本人のアシスタントです。";
const sampling: SamplingOptions = { temperature: 0.6, topP: 0.9, maxTokens: 24, seed: 7 };
const ask = (text: string): { systemPrompt: string; turns: ChatTurn[] } => ({ systemPrompt: SYSTEM, turns: [{ role: "user", text }] });

describe("LlamaEngine on a generated tiny model", () => {
  let engine: LlamaEngine;

  beforeAll(async () => {
    engine = await LlamaEngine.load({
      modelPath: await tinyModelPath(),
      gpu: false,
      threads: 1,
      parallel: 4,
      contextSize: 256,
      batchSize: 256,
    });
  });
  afterAll(async () => {
    await engine?.[Symbol.asyncDispose]();
  });

  it("loads with the Llama 3 chat wrapper on the CPU", () => {
    expect(engine.gpu).toBe(false);
    expect(engine.chatWrapperName).toMatch(/Llama ?3/i);
    expect(engine.parallel).toBe(4);
  });

  it("streams chunks that join to the final text, Japanese in", async () => {
    const chunks: string[] = [];
    const result = await engine.generate({ conversation: ask("日本の首都は？"), sampling, onTextChunk: (c) => chunks.push(c) });
    expect(result.stopReason === "done" || result.stopReason === "length").toBe(true);
    expect(chunks.join("")).toBe(result.text);
    expect(result.completionTokens).toBeGreaterThan(0);
    expect(result.completionTokens).toBeLessThanOrEqual(sampling.maxTokens);
    expect(result.promptTokens).toBeGreaterThan(engine.countTokens("日本の首都は？"));
    expect(result.timings.generationMs).toBeGreaterThan(0);
  });

  it("gives the same text for the same seed and settings", async () => {
    const a = await engine.generate({ conversation: ask("こんにちは"), sampling });
    const b = await engine.generate({ conversation: ask("こんにちは"), sampling });
    expect(b.text).toBe(a.text);
  });

  it("applies top-k, min-p and a repeat penalty: the sampler chain changes the text, deterministically", async () => {
    const plain = await engine.generate({ conversation: ask("こんにちは"), sampling: { ...sampling, maxTokens: 24 } });
    const shaped = { ...sampling, maxTokens: 24, topK: 1, minP: 0.05, repeatPenalty: 1.8 };
    const a = await engine.generate({ conversation: ask("こんにちは"), sampling: shaped });
    const b = await engine.generate({ conversation: ask("こんにちは"), sampling: shaped });
    expect(b.text).toBe(a.text);
    expect(a.completionTokens).toBeGreaterThan(0);
    // top-k 1 is greedy: a temperature-0.6 sample of a random-weight model picks other tokens.
    expect(a.text).not.toBe(plain.text);
  });

  it("top-k 0 is no cut at all (the whole vocabulary), not node-llama-cpp's default of 40", async () => {
    const run = (topK: number) => engine.generate({ conversation: ask("こんにちは"), sampling: { ...sampling, temperature: 1.5, maxTokens: 24, topK } });
    const none = await run(0);
    // A cut larger than the vocabulary keeps every token too: the same sampler, the same text.
    expect(none.text).toBe((await run(100_000)).text);
    expect(none.text).not.toBe((await run(40)).text);
  });

  it("runs 4 requests at once to completion", async () => {
    const results = await Promise.all(["一", "二", "三", "四"].map((q, i) => engine.generate({ conversation: ask(q), sampling: { ...sampling, seed: i } })));
    for (const r of results) expect(["done", "length"]).toContain(r.stopReason);
  });

  it("returns the partial text on abort and frees the sequence for the next request", async () => {
    const controller = new AbortController();
    let seen = "";
    const result = await engine.generate({
      conversation: ask("長い話をしてください"),
      sampling: { ...sampling, maxTokens: 200 },
      signal: controller.signal,
      onTextChunk: (c) => {
        seen += c;
        if (seen.length > 0) controller.abort();
      },
    });
    expect(result.stopReason).toBe("aborted");
    expect(result.completionTokens).toBeLessThan(200);
    // All four sequences must be free again: four more requests at once still complete.
    const again = await Promise.all([1, 2, 3, 4].map((seed) => engine.generate({ conversation: ask("次"), sampling: { ...sampling, seed } })));
    expect(again.every((r) => r.stopReason !== "error")).toBe(true);
  });

  it("trims the oldest turns of a conversation too long for the context", async () => {
    const long = "これは長い過去の発言です。".repeat(8);
    const turns: ChatTurn[] = [];
    for (let i = 0; i < 10; i++) turns.push({ role: "user", text: `${i}: ${long}` }, { role: "assistant", text: long });
    turns.push({ role: "user", text: "最後の質問です" });
    const result = await engine.generate({ conversation: { systemPrompt: SYSTEM, turns }, sampling });
    expect(result.stopReason).not.toBe("error");
    expect(result.trimmedTurns).toBeGreaterThan(0);
    expect(result.trimmedTurns % 2).toBe(0); // kept history starts on a question
    expect(result.promptTokens + sampling.maxTokens).toBeLessThanOrEqual(256);
  });

  it("refuses a single question that cannot fit, naming the sizes", async () => {
    const huge = "長".repeat(2000);
    await expect(engine.generate({ conversation: ask(huge), sampling })).rejects.toThrow(ContextOverflowError);
    await expect(engine.generate({ conversation: ask(huge), sampling })).rejects.toThrow(/context holds 256/);
  });
});
