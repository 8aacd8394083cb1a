// The benchmark's reference point: plain node-llama-cpp (LlamaChat on one sequence, no queue, no
// engine bookkeeping) on the engine's own context, so the measured difference is our overhead.

import { LlamaChat, type ChatHistoryItem } from "node-llama-cpp";
import { generatedTokens, type LlamaEngine } from "./engine.js";

export interface RawRun {
  readonly tokens: number;
  readonly ms: number;
  readonly firstTokenMs: number;
}

export async function rawGenerate(
  engine: LlamaEngine,
  systemPrompt: string,
  question: string,
  options: { maxTokens: number; temperature: number; topP: number; seed: number },
): Promise<RawRun> {
  return engine.withRawSequence(async ({ sequence, chatWrapper, model }) => {
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
    const started = performance.now();
    let firstTokenMs = -1;
    let tokens = 0;
    try {
      const history = [
        { type: "system", text: systemPrompt },
        { type: "user", text: question },
        { type: "model", response: [] },
      ] satisfies ChatHistoryItem[];
      const promptTokens = chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
      const response = await chat.generateResponse(history, {
        maxTokens: options.maxTokens,
        temperature: options.temperature,
        topP: options.topP,
        seed: options.seed,
        onToken: (t) => {
          if (firstTokenMs < 0) firstTokenMs = performance.now() - started;
          tokens += t.length;
        },
      });
      const ms = performance.now() - started;
      return { tokens: Math.max(tokens, generatedTokens(sequence.contextTokens.length, promptTokens, response.metadata.stopReason)), ms, firstTokenMs };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  });
}
