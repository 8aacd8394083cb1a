// One answer generated straight on a context sequence: the prompt's tokens (the chat template
// applied once, by the engine) are evaluated after what the sequence already holds, then tokens
// are sampled until an end-of-generation token, a stop trigger, `maxTokens` or an abort.
//
// Why not node-llama-cpp's LlamaChat: per request it re-renders the chat history, compares and
// aligns the sequence's state (taking the batch loop's lock, which waits for every other
// generation: sequence-trim.ts), and per token it runs its segment, function-call and stop-trigger
// machinery in JS. With 8 answers streaming that work sits between every decode step of the shared
// batch, where llama-server does none of it. It also applies a repeat penalty by default (64 tokens,
// 1.1), which neither the article's transformers settings nor llama-server use. What this path
// does not do (function calls, grammars, context shift) the bot never asks for: context-fit.ts
// makes prompt + maxTokens fit before a request starts.

import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { StopText } from "./stop-text.js";

export interface SequenceSampling {
  readonly temperature: number;
  readonly topP: number;
  /** 0: no top-k cut. */
  readonly topK: number;
  /** 0: no min-p cut. */
  readonly minP: number;
  /** 1: none; above 1 penalises tokens among the last 64 generated. */
  readonly repeatPenalty: number;
  readonly seed?: number;
}

export interface SequenceGenerateOptions {
  readonly sequence: LlamaContextSequence;
  readonly model: LlamaModel;
  /** Tokens to evaluate after what the sequence holds (the prompt minus the reused prefix). */
  readonly tokens: readonly Token[];
  readonly maxTokens: number;
  readonly sampling: SequenceSampling;
  /** Stop triggers written out as text. */
  readonly stopTexts: readonly string[];
  /** Stop triggers that are one token the model does not flag as end of generation. */
  readonly stopTokens: ReadonlySet<Token>;
  readonly signal?: AbortSignal;
  readonly onTextChunk?: (chunk: string) => void;
}

export interface SequenceGeneration {
  readonly text: string;
  /** Tokens sampled (those of a stop trigger included). */
  readonly completionTokens: number;
  /** "eog": end-of-generation token or stop trigger; "maxTokens"; "abort". */
  readonly stopReason: "eog" | "maxTokens" | "abort";
}

const REPEAT_PENALTY_TOKENS = 64;

export async function generateOnSequence(options: SequenceGenerateOptions): Promise<SequenceGeneration> {
  const { sequence, model, sampling, signal } = options;
  const generated: Token[] = [];
  const stream = new StopText<Token>((tokens, before) => model.detokenize(tokens, false, before), options.stopTexts);
  let text = "";
  const emit = (chunk: string) => {
    if (chunk === "") return;
    text += chunk;
    options.onTextChunk?.(chunk);
  };
  const tokens = sequence.evaluate([...options.tokens], {
    temperature: sampling.temperature,
    topP: sampling.topP,
    // Always given: left out, node-llama-cpp cuts at 40. Its 0 means the whole vocabulary.
    topK: sampling.topK,
    ...(sampling.minP > 0 ? { minP: sampling.minP } : {}),
    ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
    ...(sampling.repeatPenalty > 1 ? { repeatPenalty: { penalty: sampling.repeatPenalty, punishTokens: () => generated.slice(-REPEAT_PENALTY_TOKENS) } } : {}),
  });
  let stopReason: SequenceGeneration["stopReason"] | undefined;
  try {
    // An abort is seen between tokens: the step under way (a prompt batch at most) completes first,
    // so the sequence is never left half-evaluated.
    for await (const token of tokens) {
      if (options.stopTokens.has(token)) break;
      generated.push(token);
      const step = stream.push(token);
      emit(step.text);
      if (step.stopped) stopReason = "eog";
      else if (signal?.aborted) stopReason = "abort";
      else if (generated.length >= options.maxTokens) stopReason = "maxTokens";
      if (stopReason) break;
    }
  } finally {
    await tokens.return();
  }
  emit(stream.flush());
  // Ended by an end-of-generation token or a stop token, which counts as generated.
  if (stopReason === undefined) return { text, completionTokens: generated.length + 1, stopReason: "eog" };
  return { text, completionTokens: generated.length, stopReason };
}
