// A fixed pool of context sequences, created once and reused. Disposing a sequence frees its id
// asynchronously (a getSequence() right after can throw "No sequences left"), and stable ids keep
// batches in sequence order; so sequences are handed out again instead.
//
// A released sequence KEEPS what it evaluated: a follow-up in the same thread (its prompt starts
// with the previous prompt and answer) or another probe run of the same prompt is given the free
// sequence holding the longest common prefix; the engine erases what differs after it
// (sequence-trim.ts) and evaluates only the prompt's tokens beyond it (sequence-generate.ts).

import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";

/** Tokens a sequence may hold beyond the shared prefix and still count as continued by a prompt. */
const CONTINUATION_SLACK = 2;

export interface Lease {
  readonly sequence: LlamaContextSequence;
  /** Tokens of the prompt already in the sequence (at most the prompt's length − 1: one must be evaluated). */
  readonly reusedTokens: number;
}

export class SequencePool {
  /** Free sequences, least recently released first. */
  private readonly free: LlamaContextSequence[] = [];
  private readonly count: number;
  /** Every sequence of the pool, in id order. */
  readonly sequences: readonly LlamaContextSequence[];
  private readonly waiters: { readonly tokens: readonly Token[]; readonly resolve: (lease: Lease) => void }[] = [];

  constructor(context: LlamaContext, count: number) {
    this.count = count;
    for (let i = 0; i < count; i++) this.free.push(context.getSequence());
    this.sequences = [...this.free];
  }

  get available(): number {
    return this.free.length;
  }

  /** Sequences handed out and not yet released: the generations under way. */
  get inUse(): number {
    return this.count - this.free.length;
  }

  /**
   * A free sequence for `prompt`, chosen to evaluate least now without throwing away a conversation
   * that may continue: (1) one whose whole content continues into the prompt (a follow-up, the same
   * probe prompt again), longest first; else (2) an empty one; else (3) the one sharing the longest
   * prefix (at least the system prompt), least recently used first. Waits when all are in use (the
   * queue normally prevents that).
   */
  acquire(prompt: readonly Token[] = []): Promise<Lease> {
    if (this.free.length === 0) return new Promise((resolve) => this.waiters.push({ tokens: prompt, resolve }));
    const scored = this.free.map((sequence, index) => {
      const shared = sharedPrefix(sequence, prompt);
      // The answer's last token is never evaluated into the sequence; allow that much difference.
      const continues = shared > 0 && sequence.contextTokens.length - shared <= CONTINUATION_SLACK;
      return { index, shared, continues, empty: sequence.contextTokens.length === 0 };
    });
    const longest = (items: typeof scored) => items.reduce((a, b) => (b.shared > a.shared ? b : a));
    const continuations = scored.filter((s) => s.continues);
    const pick = continuations.length > 0 ? longest(continuations) : (scored.find((s) => s.empty) ?? longest(scored));
    const [sequence] = this.free.splice(pick.index, 1) as [LlamaContextSequence];
    return Promise.resolve({ sequence, reusedTokens: pick.shared });
  }

  release(sequence: LlamaContextSequence): Promise<void> {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ sequence, reusedTokens: sharedPrefix(sequence, waiter.tokens) });
    else this.free.push(sequence);
    return Promise.resolve();
  }

  /** Forgets every sequence's contents (e.g. before a benchmark's cold runs). */
  async clear(): Promise<void> {
    await Promise.all(this.free.map((sequence) => sequence.clearHistory()));
  }
}

function sharedPrefix(sequence: LlamaContextSequence, prompt: readonly Token[]): number {
  if (prompt.length === 0 || sequence.contextTokens.length === 0) return 0;
  const { firstDifferentIndex } = sequence.compareContextTokens(prompt as Token[]);
  return Math.min(firstDifferentIndex, prompt.length - 1);
}
