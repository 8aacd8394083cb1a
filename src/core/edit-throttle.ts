// Per-message edit scheduler. Platforms rate-limit edits (Discord ~5 per 5 s per channel, Slack
// ~1/s), and a token stream changes the text many times a second, so: the first change is sent at
// once (leading), later ones are coalesced and the latest text is sent when the interval has
// passed (trailing). Edits to one message are serialised — never two in flight, so they cannot
// land out of order. flush() sends the latest text at once, ignoring the interval, so the final
// text is never held back.

export interface EditThrottleOptions {
  readonly intervalMs: number;
  /** Performs one edit. */
  readonly send: (text: string) => Promise<void>;
  /** The text the message shows now (as posted). */
  readonly initialText: string;
  /** When the message was last written (posted), in `now()` time; the first edit waits for the interval from then. */
  readonly lastWriteAt?: number;
  /**
   * Shared per-channel budget (ChannelPacer.take bound to the channel): returns 0 when an edit may
   * go now (taking the slot), else ms to wait. Called with force=true for flush(), which never waits.
   */
  readonly gate?: (force: boolean) => number;
  /** Called once when an edit fails; later updates are ignored. */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

export class EditThrottle {
  private shown: string;
  private latest: string;
  private lastWriteAt: number;
  private inFlight: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failure: { error: unknown } | null = null;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: EditThrottleOptions) {
    this.now = options.now ?? (() => Date.now());
    this.shown = options.initialText;
    this.latest = options.initialText;
    this.lastWriteAt = options.lastWriteAt ?? -Infinity;
  }

  /** The text last confirmed by the platform. */
  get text(): string {
    return this.shown;
  }

  get error(): unknown {
    return this.failure?.error;
  }

  /** Sets the text the message should show; the edit happens now or when the interval allows. */
  update(text: string): void {
    if (this.failure || this.closed) return;
    this.latest = text;
    this.schedule();
  }

  /** Sends the latest text now (after any edit in flight) and resolves once it is shown; rejects if an edit failed. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (!this.failure && (this.inFlight || this.latest !== this.shown)) {
      if (this.inFlight) await this.inFlight;
      else {
        this.options.gate?.(true);
        this.sendLatest();
      }
    }
    this.clearTimer();
    if (this.failure) throw this.failure.error;
  }

  /** Stops pending edits (an edit in flight still completes). */
  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  private schedule(): void {
    // While an edit is in flight its completion schedules the next one.
    if (this.inFlight || this.timer || this.latest === this.shown || this.closed) return;
    let wait = this.lastWriteAt + this.options.intervalMs - this.now();
    // The channel's budget is asked only once this message may edit, so a slot is never wasted.
    if (wait <= 0) wait = this.options.gate?.(false) ?? 0;
    if (wait <= 0) this.sendLatest();
    else
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, wait);
  }

  private sendLatest(): void {
    const text = this.latest;
    this.lastWriteAt = this.now();
    // Started from a microtask so that even a send() that throws synchronously settles through
    // the same path, after `inFlight` is set.
    const edit: Promise<void> = Promise.resolve()
      .then(() => this.options.send(text))
      .then(
        () => {
          this.shown = text;
        },
        (error: unknown) => {
          this.failure = { error };
          this.clearTimer();
          this.options.onError?.(error);
        },
      )
      .finally(() => {
        if (this.inFlight === edit) this.inFlight = null;
        if (!this.failure) this.schedule();
      });
    this.inFlight = edit;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
