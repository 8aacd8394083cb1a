// The benchmark's reference point: plain node-llama-cpp (LlamaChat on one sequence, no queue, no
// engine bookkeeping) on the engine's own context, so the measured difference is our overhead.

import { LlamaChat } from "node-llama-cpp";
import type { LlamaEngine } from "./engine.js";

export interface RawRun {
  readonly tokens: number;
  readonly ms: number;
  readonly firstTokenMs: number;
}

export async function rawGenerate(
  engine: LlamaEngine,
  systemPrompt: string,
  question: string,
  options: { maxTokens: number; temperature: number; topP: number; seed: number; fixedLength: boolean },
): Promise<RawRun> {
  return engine.withRawSequence(async ({ sequence, chatWrapper, endOfGenerationBias }) => {
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
    const started = performance.now();
    let firstTokenMs = -1;
    let tokens = 0;
    try {
      await chat.generateResponse(
        [
          { type: "system", text: systemPrompt },
          { type: "user", text: question },
          { type: "model", response: [] },
        ],
        {
          maxTokens: options.maxTokens,
          temperature: options.temperature,
          topP: options.topP,
          seed: options.seed,
          ...(options.fixedLength ? { tokenBias: endOfGenerationBias } : {}),
          onToken: (t) => {
            if (firstTokenMs < 0) firstTokenMs = performance.now() - started;
            tokens += t.length;
          },
        },
      );
      return { tokens, ms: performance.now() - started, firstTokenMs };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  });
}
