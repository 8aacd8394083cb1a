// Sequence reuse on the real engine: a follow-up lands on the sequence that holds its conversation
// and evaluates only what is new — asserted on node-llama-cpp's own token meters.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaEngine } from "../../src/inference/engine.js";
import type { ChatTurn, SamplingOptions } from "../../src/inference/types.js";
import { tinyModelPath } from "../helpers/test-model.js";

const SYSTEM = "あなたは誠実で優秀な日本人のアシスタントです。";
const sampling: SamplingOptions = { temperature: 0.6, topP: 0.9, maxTokens: 8, seed: 3 };

describe("LlamaEngine: reusing what a sequence already evaluated", () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 2, contextSize: 512, batchSize: 512 });
  });
  afterAll(async () => {
    await engine?.[Symbol.asyncDispose]();
  });

  /** One generation and the tokens the library evaluated for it. */
  const run = async (turns: ChatTurn[]) => {
    const before = engine.evaluatedPromptTokens;
    const result = await engine.generate({ conversation: { systemPrompt: SYSTEM, turns }, sampling });
    return { result, evaluated: engine.evaluatedPromptTokens - before };
  };

  it("the second question of a conversation evaluates only the new turns, even after another conversation ran", async () => {
    const q1: ChatTurn = { role: "user", text: "日本の首都はどこですか？" };
    const first = await run([q1]);
    // Nothing to reuse in a fresh pool: the whole prompt is evaluated.
    expect(first.result.reusedPromptTokens).toBe(0);
    // (node-llama-cpp's meter counts the prompt's last token, whose logits give the first answer
    // token, as output.)
    expect(first.evaluated).toBe(first.result.promptTokens - 1);

    // Another conversation in between takes the other (empty) sequence, not this one.
    const other = await run([{ role: "user", text: "富士山の高さを教えてください。" }]);
    expect(other.result.reusedPromptTokens).toBe(0);

    const follow = await run([q1, { role: "assistant", text: first.result.text }, { role: "user", text: "では大阪は？" }]);
    expect(follow.result.reusedPromptTokens).toBeGreaterThanOrEqual(first.result.promptTokens);
    // The library evaluated only the new turns' tokens, not the earlier ones again.
    expect(follow.evaluated).toBe(follow.result.promptTokens - (follow.result.reusedPromptTokens ?? 0) - 1);
    expect(follow.evaluated).toBeLessThanOrEqual(follow.result.promptTokens - first.result.promptTokens);
  });

  it("a prompt asked again (a probe's next run) reuses its evaluated prompt", async () => {
    const turns: ChatTurn[] = [{ role: "user", text: "サリーはどこを探しますか？" }];
    const once = await run(turns);
    const again = await run(turns);
    // All but the last prompt token, evaluated again for the first answer token's logits (which
    // the meter counts as output).
    expect(again.result.reusedPromptTokens).toBe(once.result.promptTokens - 1);
    expect(again.evaluated).toBe(0);
  });
});

describe("LlamaEngine: requests that arrive together share batches", () => {
  it("evaluates the prompts of 4 concurrent requests in one batch, then decodes all 4 in every step", async () => {
    const batches: { sequences: number; tokens: number }[] = [];
    const engine = await LlamaEngine.load({
      modelPath: await tinyModelPath(),
      gpu: false,
      threads: 1,
      parallel: 4,
      contextSize: 256,
      batchSize: 1024,
      onBatch: (b) => batches.push(b),
    });
    try {
      const questions = ["日本の首都は？", "富士山の高さは？", "おすすめの本は？", "猫と犬の違いは？"];
      const results = await Promise.all(
        questions.map((text, i) =>
          engine.generate({ conversation: { systemPrompt: SYSTEM, turns: [{ role: "user", text }] }, sampling: { ...sampling, seed: i } }),
        ),
      );
      const prompts = results.reduce((sum, r) => sum + r.promptTokens, 0);
      // The first batch holds every prompt (within LlamaChat's one-token difference each).
      expect(batches[0]).toEqual({ sequences: 4, tokens: expect.any(Number) });
      expect(batches[0]!.tokens).toBeGreaterThanOrEqual(prompts - 4);
      // Decode steps while all four generate advance all four together.
      const shortest = Math.min(...results.map((r) => r.completionTokens));
      const steps = batches.slice(1, shortest);
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) expect(step).toEqual({ sequences: 4, tokens: 4 });
    } finally {
      await engine[Symbol.asyncDispose]();
    }
  });
});
