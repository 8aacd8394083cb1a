// Errors of the inference backends, carrying what the pool and the callers branch on: which backend,
// whether the backend itself is at fault (take it out of rotation, retry elsewhere) or the request
// is (tell the caller, keep the backend), and the text already streamed when it broke off.

import { ElyzaBotError } from "../../errors.js";

/**
 * How a backend failed:
 * - "unreachable": connection refused/reset, DNS, a time-out before any byte (the backend is down);
 * - "server": an HTTP 5xx, or a stream that broke off or was malformed (the backend is unwell);
 * - "request": an HTTP 4xx (this request is at fault; the backend stays in rotation).
 */
export type BackendFailureKind = "unreachable" | "server" | "request";

export class BackendError extends ElyzaBotError {
  override readonly name = "BackendError";
  constructor(
    readonly backend: string,
    readonly kind: BackendFailureKind,
    message: string,
    /** The HTTP status, when the server answered with one. */
    readonly status?: number,
  ) {
    super(`backend ${backend}: ${message}`);
  }

  /** Whether the backend (not the request) is at fault: it leaves rotation and the request may be retried elsewhere. */
  get backendFault(): boolean {
    return this.kind !== "request";
  }
}

/**
 * A generation that failed after text had been streamed to the caller: the answer ends visibly
 * with `partialText` and this error, never as a silent stop.
 */
export class BackendStreamError extends ElyzaBotError {
  override readonly name = "BackendStreamError";
  constructor(
    readonly failure: BackendError,
    readonly partialText: string,
  ) {
    super(`${failure.message} (after ${partialText.length} characters of the answer)`);
  }
}

/** No backend can take the request: every one is out of rotation. Refused at once, never left waiting. */
export class BackendsUnavailableError extends ElyzaBotError {
  override readonly name = "BackendsUnavailableError";
  constructor(
    /** Each backend with the reason it is out of rotation. */
    readonly reasons: readonly { readonly backend: string; readonly reason: string }[],
  ) {
    super(`no inference backend is available: ${reasons.map((r) => `${r.backend} (${r.reason})`).join("; ")}`);
  }
}
