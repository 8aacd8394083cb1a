// Per-user sliding-window rate limit: at most `perMinute` accepted questions in any 60 s window.
// A sliding log (not a fixed bucket) so that a burst at the end of one minute and the start of
// the next cannot double the allowance.

const WINDOW_MS = 60_000;
/** Above this many tracked keys, idle ones are swept so memory stays bounded. */
const SWEEP_ABOVE = 1_000;

export type RateResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

export class RateLimiter {
  private readonly log = new Map<string, number[]>();

  constructor(
    /** 0 (or less) turns the limit off. */
    readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Counts one question for `key` when allowed; refused attempts are not counted. */
  take(key: string): RateResult {
    if (this.perMinute <= 0) return { ok: true };
    const now = this.now();
    if (this.log.size > SWEEP_ABOVE) this.sweep(now);
    const times = (this.log.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    if (times.length >= this.perMinute) {
      this.log.set(key, times);
      // The oldest entry leaving the window frees a slot.
      return { ok: false, retryAfterMs: Math.max(1, times[0]! + WINDOW_MS - now) };
    }
    times.push(now);
    this.log.set(key, times);
    return { ok: true };
  }

  /** Number of keys tracked (for tests of the bounded memory). */
  get size(): number {
    return this.log.size;
  }

  private sweep(now: number): void {
    for (const [key, times] of this.log) {
      if (times.every((t) => t <= now - WINDOW_MS)) this.log.delete(key);
    }
  }
}
