// Edit pacing per channel. Platforms limit edits per channel, not per message (Discord ~5 per 5 s,
// Slack ~1/s), so several answers streaming in one channel share one edit budget: each takes a
// slot here before editing. Final edits are forced through (the complete text is never held back)
// but still take the slot, so the others wait.

/** Above this many channels, ones idle for a while are forgotten so memory stays bounded. */
const SWEEP_ABOVE = 1_000;

export class ChannelPacer {
  /** Earliest time of the next edit, per channel. */
  private readonly next = new Map<string, number>();

  constructor(
    readonly intervalMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Takes the channel's next edit slot: returns 0 when the caller may edit now (the slot is then
   * taken), else how many ms to wait before asking again. `force` always takes the slot.
   */
  take(channelKey: string, force = false): number {
    const now = this.now();
    const next = this.next.get(channelKey) ?? -Infinity;
    if (!force && next > now) return next - now;
    if (this.next.size > SWEEP_ABOVE) this.sweep(now);
    this.next.set(channelKey, Math.max(now, next) + this.intervalMs);
    return 0;
  }

  private sweep(now: number): void {
    for (const [key, next] of this.next) if (next < now) this.next.delete(key);
  }
}
