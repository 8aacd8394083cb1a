import type { Conversation, GenerationResult, SamplingOptions } from "./types.js";

/** Interactive answers always go before probe runs. */
export type Priority = "interactive" | "probe";

/** Overrides of the configured sampling, field by field; a field set to undefined keeps the default. */
export type SamplingOverrides = { readonly [K in keyof SamplingOptions]?: SamplingOptions[K] | undefined };

export interface InferenceRequest {
  /** Who asked: fairness and the per-user cap are per user id (prefix it with the platform). */
  readonly userId: string;
  readonly priority: Priority;
  readonly conversation: Conversation;
  /** Overrides of the configured sampling defaults. */
  readonly sampling?: SamplingOverrides;
  readonly signal?: AbortSignal;
  readonly onTextChunk?: (chunk: string) => void;
  /** Called with the 1-based position while queued (on every change), and 0 when it starts. */
  readonly onPosition?: (position: number) => void;
  /**
   * May this request be stopped while running to make room for an interactive one, and started again
   * from the beginning later (same seed, so the same answer)? Default: probe priority without
   * `onTextChunk` — text already streamed to someone cannot be taken back.
   */
  readonly preemptible?: boolean;
}

export interface InferenceTicket {
  readonly id: number;
  /** 1-based position among waiting requests, 0 once running, -1 once finished. */
  position(): number;
  /** Cancels while queued or running; `result` then rejects with CancelledError (queued) or resolves with stopReason "aborted" (running). */
  cancel(reason?: string): void;
  /**
   * Resolves with the answer (possibly partial, stopReason "aborted"), rejects with
   * InferenceTimeoutError, CancelledError (cancelled before it started) or ContextOverflowError.
   */
  readonly result: Promise<GenerationResult>;
}

export interface QueueStats {
  readonly waiting: number;
  readonly running: number;
}

export interface InferenceQueueLike {
  /** Throws QueueFullError at once when the queue or the user's share of it is full. */
  submit(request: InferenceRequest): InferenceTicket;
  stats(): QueueStats;
  /** Resolves when nothing is waiting or running. */
  onIdle(): Promise<void>;
}
