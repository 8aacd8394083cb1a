// The samplings of a step queued behind its decode (src/inference/sample-behind-decode.ts), on
// the real engine: they are queued while the decode still runs, they sample exactly what the
// library's own order samples, and where the pool could run two jobs at once nothing changes.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import { loadRuntime } from "../../src/inference/llama-runtime.js";
import { poolRunsInOrder, sampleBehindDecode } from "../../src/inference/sample-behind-decode.js";
import { generateOnSequence, type SequenceGeneration } from "../../src/inference/sequence-generate.js";
import { tinyModelPath } from "../helpers/test-model.js";

const PROMPTS = ["日本の首都はどこですか？", "富士山の高さは？", "サリーはどこを探しますか？"];

interface NativeInternals {
  decodeBatch: (this: NativeInternals) => Promise<void>;
  sampleToken: (this: NativeInternals, ...args: unknown[]) => Promise<unknown>;
}

const nativeOf = (context: LlamaContext) => (context as unknown as { _ctx: NativeInternals })._ctx;

describe("poolRunsInOrder", () => {
  it("holds only for a libuv pool of exactly one worker", () => {
    expect(poolRunsInOrder({ UV_THREADPOOL_SIZE: "1" })).toBe(true);
    expect(poolRunsInOrder({ UV_THREADPOOL_SIZE: "4" })).toBe(false);
    expect(poolRunsInOrder({ UV_THREADPOOL_SIZE: "01x" })).toBe(false);
    // Unset: libuv's default of 4.
    expect(poolRunsInOrder({})).toBe(false);
  });
});

describe("sampleBehindDecode on the real engine", () => {
  let llama: Llama;
  let model: LlamaModel;
  const contexts: LlamaContext[] = [];
  const newContext = async () => {
    const context = await model.createContext({ sequences: PROMPTS.length, contextSize: 256 * PROMPTS.length, batchSize: 512, threads: 1 });
    contexts.push(context);
    return context;
  };

  beforeAll(async () => {
    llama = await loadRuntime({ gpu: false, threads: 1 });
    model = await llama.loadModel({ modelPath: await tinyModelPath() });
  });
  afterAll(async () => {
    for (const context of contexts) await context.dispose();
    await model?.dispose();
    await llama?.dispose();
  });

  /** The three prompts generated at once, one per sequence, with fixed seeds. */
  const generateAll = (context: LlamaContext, options: { repeatPenalty?: number; abortFirstAfter?: number } = {}) =>
    Promise.all(
      PROMPTS.map(async (prompt, i) => {
        const abort = new AbortController();
        let chunks = 0;
        const sequence = context.getSequence();
        return generateOnSequence({
          sequence,
          model,
          tokens: model.tokenize(prompt),
          maxTokens: 12,
          sampling: { temperature: 0.8, topP: 0.95, topK: 40, minP: 0, repeatPenalty: options.repeatPenalty ?? 1, seed: 7 + i },
          stopTexts: [],
          stopTokens: new Set(),
          signal: abort.signal,
          onTextChunk: () => {
            chunks++;
            if (i === 0 && options.abortFirstAfter !== undefined && chunks >= options.abortFirstAfter) abort.abort();
          },
        }).finally(() => sequence.dispose());
      }),
    );

  it("queues each step's samplings while the step's decode is still running", async () => {
    const context = await newContext();
    expect(sampleBehindDecode(context, true)).toBe(true);
    const native = nativeOf(context);
    let decoding = 0;
    const atSampling: boolean[] = [];
    const { decodeBatch, sampleToken } = native;
    Object.defineProperty(native, "decodeBatch", {
      configurable: true,
      value: () => {
        decoding++;
        return decodeBatch.call(native).finally(() => decoding--);
      },
    });
    Object.defineProperty(native, "sampleToken", {
      configurable: true,
      value: (...args: unknown[]) => {
        atSampling.push(decoding > 0);
        return sampleToken.apply(native, args);
      },
    });
    const results = await generateAll(context);
    expect(results.every((r) => r.completionTokens > 0)).toBe(true);
    expect(atSampling.length).toBeGreaterThanOrEqual(PROMPTS.length);
    // Every sampling was queued behind a decode that had not yet answered.
    expect(atSampling.every(Boolean)).toBe(true);
  });

  it("samples exactly what the library's own order samples, repeat penalty included", async () => {
    const texts = async (install: boolean, repeatPenalty: number) => {
      const context = await newContext();
      expect(sampleBehindDecode(context, install)).toBe(install);
      const results: SequenceGeneration[] = await generateAll(context, { repeatPenalty });
      return results.map((r) => [r.text, r.completionTokens, r.stopReason]);
    };
    for (const repeatPenalty of [1, 1.3]) {
      const reference = await texts(false, repeatPenalty);
      expect(await texts(true, repeatPenalty)).toEqual(reference);
    }
  });

  it("changes nothing where the pool could run two jobs at once", async () => {
    const context = await newContext();
    expect(sampleBehindDecode(context, false)).toBe(false);
    // No own properties shadow the native methods.
    expect(Object.getOwnPropertyNames(nativeOf(context))).toEqual([]);
  });

  it("survives an abort while that sequence's sampling is already queued: the others finish, the sequence is used again", async () => {
    const context = await newContext();
    sampleBehindDecode(context, true);
    const results = await generateAll(context, { abortFirstAfter: 2 });
    expect(results[0]!.stopReason).toBe("abort");
    expect(results.slice(1).every((r) => r.stopReason !== "abort" && r.completionTokens > 0)).toBe(true);
    // Every sequence went back to the context and generates again.
    const again = await generateAll(context);
    expect(again.every((r) => r.completionTokens > 0)).toBe(true);
  });
});
