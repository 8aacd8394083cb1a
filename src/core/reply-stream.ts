// The messages of one answer on the platform: a placeholder that becomes the first part, then
// continuation messages as the answer outgrows it. Callers set the wanted texts at any time
// (synchronously, from stream callbacks); one pump applies them in order — finalise earlier
// parts, post the next, edit the growing last one through its throttle — so posts and edits of
// one answer never race each other. Every platform call has a timeout, so a platform that never
// answers cannot hang the answer.

import { ElyzaBotError } from "../errors.js";
import pTimeout from "p-timeout";
import { EditThrottle } from "./edit-throttle.js";
import type { PostedMessage, ReplyChannel } from "./types.js";

export interface ReplyStreamOptions {
  readonly editIntervalMs: number;
  /** A post or edit taking longer than this counts as failed. */
  readonly callTimeoutMs: number;
  /** The channel's shared edit budget (see ChannelPacer, EditThrottleOptions.gate). */
  readonly gate?: (force: boolean) => number;
  /** Called once, at the first failed post or edit (the answer should then be stopped). */
  readonly onFailure?: (error: PlatformCallError) => void;
}

/** A post or edit failed (rejected or timed out); `cause` is the platform's error. */
export class PlatformCallError extends ElyzaBotError {
  override readonly name = "PlatformCallError";
  constructor(
    readonly operation: "post" | "edit",
    override readonly cause: unknown,
  ) {
    super(`${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

interface Shown {
  readonly message: PostedMessage;
  readonly throttle: EditThrottle;
  finished: boolean;
}

export class ReplyStream {
  private parts: readonly string[] = [];
  private finalCount = 0;
  private readonly shown: Shown[] = [];
  private pumping: Promise<void> | null = null;
  /** Set by show(); the pump clears it whenever it reads the state, and runs again if it is set. */
  private dirty = false;
  private failure: PlatformCallError | null = null;

  constructor(
    private readonly reply: ReplyChannel,
    private readonly options: ReplyStreamOptions,
  ) {}

  get messageCount(): number {
    return this.shown.length;
  }

  get error(): PlatformCallError | null {
    return this.failure;
  }

  /** The wanted text of every message; the first `finalCount` will not change any more. */
  show(parts: readonly string[], finalCount: number): void {
    if (this.failure) return;
    this.parts = parts;
    this.finalCount = finalCount;
    this.dirty = true;
    this.kick();
  }

  /** Shows `parts` as final and resolves once every message shows its final text; rejects with the first failure. */
  async finish(parts: readonly string[]): Promise<void> {
    // Messages already posted beyond the final parts (not expected) keep what they show.
    const all = [...parts, ...this.shown.slice(parts.length).map((s) => s.throttle.text)];
    this.show(all, all.length);
    // The pump re-runs itself while show() calls keep coming; wait until it has settled.
    while (this.pumping) await this.pumping;
    if (this.failure) throw this.failure;
  }

  /** Stops pending edits (after a failure, or when the answer is abandoned). */
  close(): void {
    for (const s of this.shown) s.throttle.close();
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      // A show() after the pump's last read of the state (it reads, then returns) still counts.
      if (this.dirty && !this.failure) this.kick();
    });
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.failure) return;
        this.dirty = false;
        const toFinish = this.shown.findIndex((s, i) => !s.finished && i < this.finalCount);
        if (toFinish >= 0) {
          const s = this.shown[toFinish]!;
          s.throttle.update(this.parts[toFinish]!);
          await s.throttle.flush();
          s.finished = true;
          continue;
        }
        if (this.shown.length < this.parts.length) {
          await this.postNext();
          continue;
        }
        const last = this.shown.length - 1;
        const current = this.shown[last];
        if (current && !current.finished) current.throttle.update(this.parts[last]!);
        return;
      }
    } catch (error) {
      this.fail(error instanceof PlatformCallError ? error : new PlatformCallError("edit", error));
    }
  }

  private async postNext(): Promise<void> {
    const index = this.shown.length;
    const text = this.parts[index]!;
    const startedAt = Date.now();
    let message: PostedMessage;
    try {
      message = await withTimeout(this.reply.post(text), this.options.callTimeoutMs, "post");
    } catch (error) {
      throw new PlatformCallError("post", error);
    }
    this.shown.push({
      message,
      finished: false,
      throttle: new EditThrottle({
        intervalMs: this.options.editIntervalMs,
        initialText: text,
        lastWriteAt: startedAt,
        send: (t) => withTimeout(this.reply.edit(message, t), this.options.callTimeoutMs, "edit"),
        onError: (error) => this.fail(new PlatformCallError("edit", error)),
        ...(this.options.gate ? { gate: this.options.gate } : {}),
      }),
    });
  }

  private fail(error: PlatformCallError): void {
    if (this.failure) return;
    this.failure = error;
    this.close();
    this.options.onFailure?.(error);
  }
}

/** Rejects when `promise` takes longer than `ms` (the underlying call may still finish later). */
/** `promise`, or a rejection naming `what` after `ms` (p-timeout clears its timer either way). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return promise;
  return pTimeout(promise, { milliseconds: ms, message: `${what} timed out after ${ms} ms` });
}
