import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTO_PARALLEL_MAX, chooseParallel } from "../../src/inference/auto-parallel.js";
import { LlamaEngine } from "../../src/inference/engine.js";
import { tinyModelPath } from "../helpers/test-model.js";

const GiB = 2 ** 30;

describe("chooseParallel (engine.parallel: auto)", () => {
  it("runs an 8B Q4_K_M on a 24 GB GPU with about 30 sequences of 4,096 tokens", () => {
    // 19 GB left after the 4.9 GB model; 512 MiB of KV cache per sequence (32 layers × 8 KV heads × 128 × 2 × F16).
    const choice = chooseParallel({ freeBytes: 19 * GiB, bytesPerSequence: 0.5 * GiB, fixedBytes: 0.3 * GiB, onGpu: true, cores: 16 });
    expect(choice.parallel).toBeGreaterThanOrEqual(28);
    expect(choice.parallel).toBeLessThanOrEqual(32);
    expect(choice.why).toMatch(/memory allows/);
  });

  it("keeps a small number on a 2-core CPU however much RAM there is", () => {
    expect(chooseParallel({ freeBytes: 20 * GiB, bytesPerSequence: 0.01 * GiB, fixedBytes: 0, onGpu: false, cores: 2 })).toMatchObject({
      parallel: 4,
      why: expect.stringMatching(/2 per CPU core/),
    });
  });

  it("never exceeds the cap on a huge GPU, and never goes below 1 when memory is short", () => {
    expect(chooseParallel({ freeBytes: 80 * GiB, bytesPerSequence: 0.1 * GiB, fixedBytes: 0, onGpu: true, cores: 8 }).parallel).toBe(AUTO_PARALLEL_MAX);
    expect(chooseParallel({ freeBytes: 0.2 * GiB, bytesPerSequence: 0.5 * GiB, fixedBytes: 0, onGpu: true, cores: 8 })).toMatchObject({
      parallel: 1,
      why: expect.stringMatching(/not even one/),
    });
  });
});

describe("LlamaEngine with parallel: auto on this machine", () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: "auto", contextSize: 256, batchSize: 256 });
  });
  afterAll(async () => {
    await engine?.[Symbol.asyncDispose]();
  });

  it("picks a number within bounds from the measured memory and says why", async () => {
    expect(engine.parallel).toBeGreaterThanOrEqual(1);
    expect(engine.parallel).toBeLessThanOrEqual(2); // the CPU cap: 2 per core, 1 thread given
    expect(engine.parallelReason).toMatch(/free RAM/);
    const result = await engine.generate({
      conversation: { systemPrompt: "", turns: [{ role: "user", text: "こんにちは" }] },
      sampling: { temperature: 0, topP: 1, maxTokens: 4 },
    });
    expect(result.completionTokens).toBeGreaterThan(0);
  });
});
