// A TTL set of recently seen event ids. Slack redelivers an event when the ack is late (at once,
// after 1 min, after 5 min); the adapter asks `firstSeen(event_id)` so each event is answered
// exactly once. Bounded in size so a flood of events cannot grow memory without limit.

export interface RecentIdsOptions {
  /** How long an id is remembered; Slack retries for ~5 min, so the default is 10 min. */
  readonly ttlMs?: number;
  /** At most this many ids are remembered; the oldest are forgotten first. */
  readonly maxSize?: number;
  readonly now?: () => number;
}

export class RecentIds {
  // Insertion order is arrival order and the TTL is fixed, so expired ids are always at the front.
  private readonly expiries = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxSize: number;
  private readonly now: () => number;

  constructor(options: RecentIdsOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.maxSize = Math.max(1, options.maxSize ?? 10_000);
    this.now = options.now ?? (() => Date.now());
  }

  /** True the first time `id` is seen within the TTL (and remembers it); false for a repeat. */
  firstSeen(id: string): boolean {
    const now = this.now();
    this.prune(now);
    if (this.expiries.has(id)) return false;
    this.expiries.set(id, now + this.ttlMs);
    while (this.expiries.size > this.maxSize) {
      const oldest = this.expiries.keys().next().value as string;
      this.expiries.delete(oldest);
    }
    return true;
  }

  /** Whether `id` is remembered, without recording it. */
  has(id: string): boolean {
    this.prune(this.now());
    return this.expiries.has(id);
  }

  get size(): number {
    return this.expiries.size;
  }

  private prune(now: number): void {
    for (const [id, expiry] of this.expiries) {
      if (expiry > now) break;
      this.expiries.delete(id);
    }
  }
}
