// The node-llama-cpp engine: one model, one context with `parallel` sequences reused from a pool,
// the chat wrapper resolved once. Several generations running at once share the context and are
// decoded in the same batches.

import os from "node:os";
import path from "node:path";
import {
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { chooseParallel, type AutoParallelChoice } from "./auto-parallel.js";
import { gatherAllDispatch, sequenceOrderedStrategy, type BatchShape, type BatchTuning } from "./batch-order.js";
import { fitConversation } from "./context-fit.js";
import { ModelFileError } from "./errors.js";
import { binaryOf, loadRuntime, type GpuSetting } from "./llama-runtime.js";
import { DEFAULT_TOP_K } from "./sampling-defaults.js";
import { sampleBehindDecode } from "./sample-behind-decode.js";
import { generateOnSequence, type SequenceSampling } from "./sequence-generate.js";
import { SequencePool } from "./sequence-pool.js";
import { SequenceTrimmer } from "./sequence-trim.js";
import type { ChatTurn, Engine, GenerateOptions, GenerationResult, StopReason } from "./types.js";

export interface LlamaEngineOptions {
  readonly modelPath: string;
  /** Name shown in reports; defaults to the file name. */
  readonly modelName?: string;
  readonly gpu: GpuSetting;
  readonly threads: number;
  /** Sequences; "auto" sizes them from free memory (auto-parallel.ts). */
  readonly parallel: number | "auto";
  /** Tokens per sequence. */
  readonly contextSize: number;
  readonly batchSize: number;
  readonly log?: (level: "warn" | "error", message: string) => void;
  /** Observes every batch decoded (sequences advanced, tokens): tests and the bench. */
  readonly onBatch?: (batch: BatchShape) => void;
  /** Queue each step's samplings behind its decode (sample-behind-decode.ts); default true. */
  readonly sampleBehindDecode?: boolean;
}

export interface RawSequence {
  readonly sequence: LlamaContextSequence;
  readonly chatWrapper: ChatWrapper;
  readonly model: LlamaModel;
}

export class LlamaEngine implements Engine {
  readonly parallel: number;
  readonly modelName: string;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly chatWrapper: ChatWrapper,
    private readonly pool: SequencePool,
    private readonly trimmer: SequenceTrimmer,
    private readonly stops: StopTriggers,
    readonly contextSize: number,
    options: LlamaEngineOptions & { readonly parallel: number },
    /** Why `parallel` is what it is (configured, or what limited engine.parallel: auto). */
    readonly parallelReason: string,
  ) {
    this.parallel = options.parallel;
    this.modelName = options.modelName ?? path.basename(options.modelPath);
  }

  static async load(options: LlamaEngineOptions): Promise<LlamaEngine> {
    const llama = await loadRuntime(options);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: options.modelPath });
    } catch (error) {
      await llama.dispose();
      throw new ModelFileError(`cannot load model ${options.modelPath}: ${errorText(error)}`);
    }
    let sizing: AutoParallelChoice;
    try {
      sizing = options.parallel === "auto" ? await autoParallel(llama, model, options) : { parallel: options.parallel, why: "configured" };
    } catch (error) {
      await model.dispose();
      await llama.dispose();
      throw error;
    }
    const parallel = sizing.parallel;
    let context: LlamaContext | undefined;
    let pool: SequencePool | undefined;
    let trimmer: SequenceTrimmer | undefined;
    const tuning: BatchTuning = {
      context: () => context,
      generating: () => pool?.inUse ?? 0,
      betweenBatches: () => trimmer?.runPending(),
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    };
    try {
      context = await model.createContext({
        sequences: parallel,
        contextSize: options.contextSize,
        batchSize: options.batchSize,
        threads: options.threads,
        batching: {
          itemPrioritizationStrategy: sequenceOrderedStrategy(tuning),
          dispatchSchedule: gatherAllDispatch(tuning),
        },
      });
    } catch (error) {
      await model.dispose();
      await llama.dispose();
      throw error;
    }
    if (options.sampleBehindDecode !== false) sampleBehindDecode(context);
    // Resolving per session costs ~60 ms of blocking work; the model's template decides it once.
    const chatWrapper = resolveChatWrapper(model);
    pool = new SequencePool(context, parallel);
    trimmer = new SequenceTrimmer(context);
    const stops = stopTriggers(chatWrapper, model);
    return new LlamaEngine(llama, model, context, chatWrapper, pool, trimmer, stops, context.contextSize, { ...options, parallel }, sizing.why);
  }

  /** Whether llama.cpp runs on a GPU ("cuda", "vulkan", "metal") or the CPU (false). */
  get gpu(): string | false {
    return this.llama.gpu;
  }

  /** "native": llama.cpp built on this host (npm run build:native); "prebuilt": node-llama-cpp's binary. */
  get binary(): "native" | "prebuilt" {
    return binaryOf(this.llama);
  }

  get chatWrapperName(): string {
    return this.chatWrapper.wrapperName;
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /** Tokens of the full prompt (template and system prompt included) for these turns. */
  countPrompt(systemPrompt: string, turns: readonly ChatTurn[]): number {
    return this.promptTokens(systemPrompt, turns).length;
  }

  /** The prompt as it is evaluated: the chat template applied once, ending with the answer's header. */
  promptTokens(systemPrompt: string, turns: readonly ChatTurn[]): Token[] {
    const { contextText } = this.chatWrapper.generateContextState({ chatHistory: toHistory(systemPrompt, turns) });
    return contextText.tokenize(this.model.tokenizer);
  }

  /** Prompt (input) tokens node-llama-cpp has evaluated so far, over every sequence: its own meters. */
  get evaluatedPromptTokens(): number {
    return this.pool.sequences.reduce((sum, sequence) => sum + sequence.tokenMeter.usedInputTokens, 0);
  }

  async generate(options: GenerateOptions): Promise<GenerationResult> {
    const { conversation, sampling, signal } = options;
    // Throws ContextOverflowError for a question that cannot fit even alone: the caller's error.
    // Fitting tokenizes candidate prompts (newest turns kept); the chosen one is reused below to
    // find the sequence holding its prefix, not tokenized again. Candidates differ by length only.
    const tokenized = new Map<number, Token[]>();
    const fit = fitConversation(
      conversation,
      (turns) => {
        const tokens = this.promptTokens(conversation.systemPrompt, turns);
        tokenized.set(turns.length, tokens);
        return tokens.length;
      },
      this.contextSize,
      sampling.maxTokens,
    );
    const started = performance.now();
    let firstTokenMs: number | null = null;
    let text = "";
    let completionTokens = 0;
    let reused = 0;
    const finish = (stopReason: StopReason, error?: unknown): GenerationResult => ({
      text,
      stopReason,
      promptTokens: fit.promptTokens,
      completionTokens,
      trimmedTurns: fit.trimmedTurns,
      reusedPromptTokens: reused,
      timings: { queueMs: 0, firstTokenMs, generationMs: performance.now() - started },
      ...(error === undefined ? {} : { error: errorText(error) }),
    });
    if (signal?.aborted) return finish("aborted");

    const prompt = tokenized.get(fit.turns.length) ?? this.promptTokens(conversation.systemPrompt, fit.turns);
    const { sequence, reusedTokens } = await this.pool.acquire(prompt);
    reused = reusedTokens;
    try {
      // What the sequence holds beyond the shared prefix is erased between batches (sequence-trim.ts).
      await this.trimmer.trim(sequence, reused);
      const generation = await generateOnSequence({
        sequence,
        model: this.model,
        tokens: prompt.slice(reused),
        maxTokens: fit.maxTokens,
        sampling: sequenceSampling(sampling),
        stopTexts: this.stops.texts,
        stopTokens: this.stops.tokens,
        ...(signal ? { signal } : {}),
        onTextChunk: (chunk) => {
          firstTokenMs ??= performance.now() - started;
          options.onTextChunk?.(chunk);
        },
      });
      text = generation.text;
      completionTokens = generation.completionTokens;
      return finish(generation.stopReason === "abort" ? "aborted" : generation.stopReason === "maxTokens" ? "length" : "done");
    } catch (error) {
      if (signal?.aborted) return finish("aborted");
      return finish("error", error);
    } finally {
      await this.pool.release(sequence);
    }
  }

  /**
   * Lends a pooled sequence to `use` with the engine's model and chat wrapper, bypassing
   * `generate`: the benchmark's raw node-llama-cpp baseline runs on the very same context.
   */
  async withRawSequence<T>(use: (raw: RawSequence) => Promise<T>): Promise<T> {
    const { sequence } = await this.pool.acquire();
    try {
      await sequence.clearHistory(); // the baseline evaluates its whole prompt, like a cold request
      return await use({ sequence, chatWrapper: this.chatWrapper, model: this.model });
    } finally {
      await this.pool.release(sequence);
    }
  }

  #disposed: Promise<void> | undefined;

  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      await this.context.dispose();
      await this.model.dispose();
      await this.llama.dispose();
    })();
    return this.#disposed;
  }
}

/** Measures what `chooseParallel` needs: free memory after the model, and what a sequence costs. */
async function autoParallel(llama: Llama, model: LlamaModel, options: LlamaEngineOptions): Promise<AutoParallelChoice> {
  const onGpu = llama.gpu !== false;
  const estimate = (sequences: number) =>
    model.fileInsights.estimateContextResourceRequirements({
      contextSize: options.contextSize * sequences,
      sequences,
      batchSize: options.batchSize,
      modelGpuLayers: model.gpuLayers,
    });
  const one = estimate(1);
  const two = estimate(2);
  const pick = (r: { gpuVram: number; cpuRam: number }) => (onGpu ? r.gpuVram : r.cpuRam);
  const bytesPerSequence = Math.max(1, pick(two) - pick(one));
  const freeBytes = onGpu ? (await llama.getVramState()).free : os.freemem();
  return chooseParallel({ freeBytes, bytesPerSequence, fixedBytes: Math.max(0, pick(one) - bytesPerSequence), onGpu, cores: options.threads });
}

interface StopTriggers {
  readonly texts: readonly string[];
  readonly tokens: ReadonlySet<Token>;
}

/**
 * The chat template's stop triggers, sorted for generateOnSequence: plain text ones are matched in
 * the text; a single special token is a stop token unless the model already ends on it (EOS, EOT).
 * The template's triggers do not depend on the conversation, so they are read once.
 */
function stopTriggers(chatWrapper: ChatWrapper, model: LlamaModel): StopTriggers {
  const { stopGenerationTriggers } = chatWrapper.generateContextState({ chatHistory: toHistory("", []) });
  const texts = new Set<string>();
  const tokens = new Set<Token>();
  for (const trigger of stopGenerationTriggers) {
    if (trigger.values.every((value) => typeof value === "string")) {
      const text = trigger.values.join("");
      if (text !== "") texts.add(text);
      continue;
    }
    const triggerTokens = trigger.tokenize(model.tokenizer);
    if (triggerTokens.length === 1 && !model.isEogToken(triggerTokens[0])) tokens.add(triggerTokens[0]!);
  }
  return { texts: [...texts], tokens };
}

function sequenceSampling(sampling: GenerateOptions["sampling"]): SequenceSampling {
  return {
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK: sampling.topK ?? DEFAULT_TOP_K,
    minP: sampling.minP ?? 0,
    repeatPenalty: sampling.repeatPenalty ?? 1,
    ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
  };
}

/** Our turns as node-llama-cpp chat history, ending with the (empty) answer to generate. */
function toHistory(systemPrompt: string, turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  if (systemPrompt) history.push({ type: "system", text: systemPrompt });
  for (const turn of turns) {
    history.push(turn.role === "user" ? { type: "user", text: turn.text } : { type: "model", response: [turn.text] });
  }
  // generateResponse continues the last model turn; counting includes its header too.
  history.push({ type: "model", response: [] });
  return history;
}

/**
 * Tokens generated, read from the sequence: `onToken` holds back tokens that end inside a UTF-8
 * character, so it undercounts. The last sampled token (the one that hit the limit, or the end
 * of generation) is not evaluated into the sequence, hence +1 unless aborted.
 */
export function generatedTokens(contextTokens: number, promptTokens: number, stopReason: string): number {
  return Math.max(0, contextTokens - promptTokens + (stopReason === "abort" ? 0 : 1));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
