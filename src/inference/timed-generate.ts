// One engine generation under the queue's time limits. A limit that trips aborts the engine, WAITS for
// it to stop (so its sequence is free for the next request) and then rejects with its own kind.
// The caller's signal is a cancel: it ends the generation with the partial text, stopReason "aborted".

import { InferenceTimeoutError } from "./errors.js";
import type { Engine, GenerateOptions, GenerationResult } from "./types.js";

export interface GenerationLimits {
  /** From the start of generation to the first streamed chunk; not finite = no limit. */
  readonly firstTokenMs: number;
  /** From the start of generation to its end; not finite = no limit. */
  readonly totalMs: number;
}

export async function generateWithLimits(engine: Engine, options: GenerateOptions, limits: GenerationLimits): Promise<GenerationResult> {
  const stop = new AbortController();
  let timedOut: InferenceTimeoutError | undefined;
  const end = (timeout?: InferenceTimeoutError) => {
    if (stop.signal.aborted) return; // the first cause wins
    timedOut = timeout;
    stop.abort(timeout);
  };
  const onCancel = () => end();
  options.signal?.addEventListener("abort", onCancel, { once: true });
  if (options.signal?.aborted) end();

  const started = Date.now();
  let firstTokenMs: number | null = null;
  let text = "";
  const firstTimer = startTimer(limits.firstTokenMs, () => end(new InferenceTimeoutError("first_token", limits.firstTokenMs)));
  const totalTimer = startTimer(limits.totalMs, () => end(new InferenceTimeoutError("total", limits.totalMs)));
  try {
    let result: GenerationResult;
    try {
      result = await engine.generate({
        ...options,
        signal: stop.signal,
        onTextChunk: (chunk) => {
          if (firstTokenMs === null) {
            firstTokenMs = Date.now() - started;
            clearTimeout(firstTimer);
          }
          text += chunk;
          options.onTextChunk?.(chunk);
        },
      });
    } catch (error) {
      if (timedOut) throw timedOut;
      // Cancelled: an abort during prompt evaluation rejects instead of returning the partial text.
      if (stop.signal.aborted) return partial(text, firstTokenMs, Date.now() - started);
      throw error;
    }
    if (timedOut) throw timedOut;
    if (result.stopReason === "error") throw new Error(result.error ?? "the engine reported an error");
    return result;
  } finally {
    clearTimeout(firstTimer);
    clearTimeout(totalTimer);
    options.signal?.removeEventListener("abort", onCancel);
  }
}

/** A timer for `ms`, or none when `ms` is not finite. */
export function startTimer(ms: number, fire: () => void): NodeJS.Timeout | undefined {
  if (!Number.isFinite(ms)) return undefined;
  // setTimeout treats anything above 2^31-1 ms as 1 ms.
  return setTimeout(fire, Math.min(Math.max(ms, 0), 2 ** 31 - 1));
}

function partial(text: string, firstTokenMs: number | null, totalMs: number): GenerationResult {
  // Token counts are unknown when the engine gave up without a result.
  return { text, stopReason: "aborted", promptTokens: 0, completionTokens: 0, trimmedTurns: 0, timings: { queueMs: 0, firstTokenMs, generationMs: totalMs } };
}
