// A stand-in Engine for tests where the engine is NOT under test (queue, chat core, probe runner).
// It streams scripted text chunk by chunk with a delay, honours AbortSignal like the real engine
// (partial text, stopReason "aborted"), and records what it was asked and how many ran at once.

import type { Engine, GenerateOptions, GenerationResult } from "../../src/inference/types.js";

export interface ScriptedAnswer {
  /** Chunks streamed one after another. */
  readonly chunks: readonly string[];
  /** Delay before each chunk, ms. */
  readonly chunkDelayMs?: number;
  /** Delay before the first chunk (prompt evaluation), ms. */
  readonly firstChunkDelayMs?: number;
  /** Throw this error instead of answering. */
  readonly fail?: Error;
  /** After streaming this many chunks, wait until aborted (a long answer in progress). */
  readonly hangAfterChunks?: number;
  /** Report this many older turns as dropped to fit the context (GenerationResult.trimmedTurns). */
  readonly trimmedTurns?: number;
}

export type Script = (options: GenerateOptions, callIndex: number) => ScriptedAnswer;

export class ScriptedEngine implements Engine {
  readonly modelName = "scripted";
  readonly calls: GenerateOptions[] = [];
  running = 0;
  maxRunning = 0;
  disposed = false;

  constructor(
    readonly parallel: number,
    private readonly script: Script = () => ({ chunks: ["はい", "。"], chunkDelayMs: 5 }),
  ) {}

  async generate(options: GenerateOptions): Promise<GenerationResult> {
    const index = this.calls.length;
    this.calls.push(options);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    if (this.running > this.parallel) throw new Error(`ScriptedEngine: ${this.running} generations at once, parallel is ${this.parallel}`);
    const started = Date.now();
    let firstTokenMs: number | null = null;
    let text = "";
    let tokens = 0;
    try {
      const answer = this.script(options, index);
      await sleep(answer.firstChunkDelayMs ?? 0, options.signal);
      if (answer.fail) throw answer.fail;
      for (const [i, chunk] of answer.chunks.entries()) {
        if (i > 0) await sleep(answer.chunkDelayMs ?? 0, options.signal);
        if (i === answer.hangAfterChunks) await sleep(Infinity, options.signal);
        if (options.signal?.aborted) break;
        firstTokenMs ??= Date.now() - started;
        text += chunk;
        tokens++;
        options.onTextChunk?.(chunk);
      }
      const aborted = options.signal?.aborted ?? false;
      return {
        text,
        stopReason: aborted ? "aborted" : tokens >= options.sampling.maxTokens ? "length" : "done",
        promptTokens: options.conversation.turns.reduce((n, t) => n + t.text.length, 0),
        completionTokens: tokens,
        trimmedTurns: answer.trimmedTurns ?? 0,
        timings: { queueMs: 0, firstTokenMs, generationMs: Date.now() - started },
      };
    } finally {
      this.running--;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
  }
}

/** Resolves after ms, or early when the signal aborts (never rejects: the caller checks the signal). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
