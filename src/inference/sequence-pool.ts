// A fixed pool of context sequences, created once and reused. Disposing a sequence frees its id
// asynchronously (a getSequence() right after can throw "No sequences left"), and stable ids keep
// batches in sequence order; so sequences are cleared and handed out again instead.

import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

export class SequencePool {
  private readonly free: LlamaContextSequence[] = [];
  private readonly count: number;
  private readonly waiters: ((sequence: LlamaContextSequence) => void)[] = [];

  constructor(context: LlamaContext, count: number) {
    this.count = count;
    for (let i = 0; i < count; i++) this.free.push(context.getSequence());
  }

  get available(): number {
    return this.free.length;
  }

  /** Sequences handed out and not yet released: the generations under way. */
  get inUse(): number {
    return this.count - this.free.length;
  }

  /** A cleared sequence; waits when all are in use (the queue normally prevents that). */
  acquire(): Promise<LlamaContextSequence> {
    const sequence = this.free.shift();
    if (sequence) return Promise.resolve(sequence);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async release(sequence: LlamaContextSequence): Promise<void> {
    // Each request brings its whole conversation, so nothing in the KV cache is worth keeping.
    await sequence.clearHistory();
    const waiter = this.waiters.shift();
    if (waiter) waiter(sequence);
    else this.free.push(sequence);
  }
}
