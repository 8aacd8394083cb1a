// Errors that callers (adapters, CLI) tell apart and turn into user-facing messages.

import { UserError } from "../errors.js";

/** The request was refused before it was queued; `reason` is safe to show to the user. */
export class QueueFullError extends UserError {
  override readonly name = "QueueFullError";
  constructor(
    readonly kind: "queue_full" | "user_limit",
    message: string,
  ) {
    super(message);
  }
}

export type TimeoutKind = "queue_wait" | "first_token" | "total";

export class InferenceTimeoutError extends UserError {
  override readonly name = "InferenceTimeoutError";
  constructor(
    readonly kind: TimeoutKind,
    readonly limitMs: number,
  ) {
    super(
      kind === "queue_wait"
        ? `waited more than ${limitMs} ms in the queue`
        : kind === "first_token"
          ? `no first token within ${limitMs} ms`
          : `generation took longer than ${limitMs} ms`,
    );
  }
}

/** The request was cancelled by its owner (user pressed Ctrl-C, message deleted, /probe cancel). */
export class CancelledError extends UserError {
  override readonly name = "CancelledError";
  constructor(message = "cancelled") {
    super(message);
  }
}

/** The question alone (with the system prompt) does not fit the context window. */
export class ContextOverflowError extends UserError {
  override readonly name = "ContextOverflowError";
  constructor(
    readonly neededTokens: number,
    readonly availableTokens: number,
  ) {
    super(`the question needs ${neededTokens} tokens but the context holds ${availableTokens}; shorten it`);
  }
}

/** A model file or URI that cannot be used; message names the path or URI. */
export class ModelFileError extends UserError {
  override readonly name = "ModelFileError";
}
