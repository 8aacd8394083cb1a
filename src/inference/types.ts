// The engine's surface, independent of node-llama-cpp so that the queue, the chat core and the
// probe runner can be tested with a scripted stand-in engine.

export type Role = "user" | "assistant";

export interface ChatTurn {
  readonly role: Role;
  readonly text: string;
}

/** A system prompt and the turns so far; the last turn is the user's question. */
export interface Conversation {
  readonly systemPrompt: string;
  readonly turns: readonly ChatTurn[];
}

export interface SamplingOptions {
  readonly temperature: number;
  readonly topP: number;
  /** Candidates kept before top-p; 0 = all. Default 50 (transformers', as in the article). */
  readonly topK?: number;
  /** Candidates below this share of the top one's probability dropped; 0 (default) = none. */
  readonly minP?: number;
  /** 1 (default) = none; above 1 penalises tokens among the last 64 generated. */
  readonly repeatPenalty?: number;
  /** Upper bound on new tokens for one answer. */
  readonly maxTokens: number;
  /** Seed for the sampler; recorded by probes so that a run can be replayed. */
  readonly seed?: number;
}

export type StopReason = "done" | "length" | "aborted" | "error";

/**
 * Where the time of one request went. The queue fills in `queueMs` and counts `firstTokenMs` from
 * submission, because that is what a person waiting in chat sees; an engine called directly reports
 * `queueMs: 0`, so both readings agree there.
 */
export interface GenerationTimings {
  /** From submission to the start of generation (time spent waiting for a sequence). */
  readonly queueMs: number;
  /** From submission to the first streamed token; null when nothing was streamed. */
  readonly firstTokenMs: number | null;
  /** From the start of generation to its end (prompt evaluation included). */
  readonly generationMs: number;
}

export interface GenerationResult {
  readonly text: string;
  readonly stopReason: StopReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /**
   * How many of the oldest turns were dropped to fit the context (by the engine's fit, or by an
   * openai backend resending after the server refused the length); the answer says so (core/history-notice.ts).
   */
  readonly trimmedTurns: number;
  /**
   * Prompt tokens found already evaluated in the sequence (a follow-up landing on the sequence that
   * holds its conversation, a probe run of a prompt evaluated before) and so not evaluated again.
   */
  readonly reusedPromptTokens?: number;
  readonly timings: GenerationTimings;
  /** Set when stopReason is "error". */
  readonly error?: string;
}

export interface GenerateOptions {
  readonly conversation: Conversation;
  readonly sampling: SamplingOptions;
  /** Aborting ends generation with stopReason "aborted" and the partial text. */
  readonly signal?: AbortSignal;
  readonly onTextChunk?: (chunk: string) => void;
}

/**
 * One loaded model able to run `parallel` generations at once (batched together). Disposing frees
 * it; a second dispose resolves once the first is done.
 */
export interface Engine extends AsyncDisposable {
  readonly parallel: number;
  /** Short model name for reports (file name or URI). */
  readonly modelName: string;
  /** Present when fewer than `parallel` generations can sometimes run (backends out of rotation). */
  readonly capacity?: EngineCapacity;
  generate(options: GenerateOptions): Promise<GenerationResult>;
}

/** How many generations an engine can take now; the queue runs no more than that. */
export interface EngineCapacity {
  /** Between 1 and `parallel`. */
  current(): number;
  /** Calls `listener` after every change of `current()`; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}
