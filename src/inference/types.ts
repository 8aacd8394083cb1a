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
  /** Upper bound on new tokens for one answer. */
  readonly maxTokens: number;
  /** Seed for the sampler; recorded by probes so that a run can be replayed. */
  readonly seed?: number;
}

export type StopReason = "done" | "length" | "aborted" | "error";

export interface GenerationTimings {
  /** From the start of generation to the first streamed token. */
  readonly firstTokenMs: number | null;
  /** From the start of generation to its end. */
  readonly totalMs: number;
}

export interface GenerationResult {
  readonly text: string;
  readonly stopReason: StopReason;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** How many of the oldest turns were dropped to fit the context. */
  readonly trimmedTurns: number;
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

/** One loaded model able to run `parallel` generations at once (batched together). */
export interface Engine {
  readonly parallel: number;
  /** Short model name for reports (file name or URI). */
  readonly modelName: string;
  generate(options: GenerateOptions): Promise<GenerationResult>;
  dispose(): Promise<void>;
}
