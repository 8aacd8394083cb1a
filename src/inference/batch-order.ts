// How the engine's batches are put together. Two measured problems with node-llama-cpp 3.21.1's
// defaults, both fixed here through its `batching` options:
//
// 1. Order. Batch items come in the order sampling finished (seq 6,7,0,1,…); llama.cpp splits a
//    batch at every break in increasing sequence ids, so one step became several decodes
//    (57.8 ms vs 41.5 ms per step at 8 sequences). Items are sorted by sequence id.
// 2. Phase. After a decode, the batch loop starts the next batch as soon as the samplings are
//    done, before the last-sampled sequence's continuation has queued its next token; that
//    sequence then misses every other step (measured: 8 sequences ran as batches of 7, the 8th
//    alternating). Each batch now waits, for a few ms at most, until every generating sequence
//    has queued its next token.
//
// The strategy callback is not told which sequence an item belongs to, but node-llama-cpp builds
// the item list from its queued decodes, in order, just before calling it; those internal
// records give the ids and the after-batch hook. If that internal shape ever changes, both
// fixes switch themselves off and the library's default behaviour remains.

import type { BatchItem, LlamaContext, PrioritizedBatchItem } from "node-llama-cpp";

interface QueuedDecodeView {
  readonly sequenceId: number;
  readonly tokens: readonly number[];
  afterBatchAction?: (sequenceStateLength: number) => void | Promise<void>;
}

interface ContextInternals {
  readonly _queuedDecodes?: QueuedDecodeView[];
  readonly _queuedDecodeSequenceIds?: ReadonlySet<number>;
}

export type BatchStrategy = (options: { items: readonly BatchItem[]; size: number }) => PrioritizedBatchItem[];
export type DispatchSchedule = (dispatch: () => void) => void;

export interface BatchTuning {
  /** The context, once created (the strategy is needed to create it). */
  readonly context: () => LlamaContext | undefined;
  /** Sequences currently generating (handed out by the pool). */
  readonly generating: () => number;
  /** Longest wait for stragglers before a batch goes anyway. */
  readonly gatherMs?: number;
  /** Work that must run between two batches, while no decode runs (sequence-trim.ts). */
  readonly betweenBatches?: () => void;
  /** Told of every batch put together: how many sequences it advances and how many tokens it holds. */
  readonly onBatch?: (batch: BatchShape) => void;
}

export interface BatchShape {
  readonly sequences: number;
  readonly tokens: number;
}

export function sequenceOrderedStrategy(tuning: BatchTuning): BatchStrategy {
  const strategy = orderedStrategy(tuning);
  if (!tuning.onBatch) return strategy;
  return (options) => {
    const batch = strategy(options);
    tuning.onBatch?.({ sequences: batch.length, tokens: batch.reduce((sum, b) => sum + b.processAmount, 0) });
    return batch;
  };
}

function orderedStrategy(tuning: BatchTuning): BatchStrategy {
  return ({ items, size }) => {
    const queued = internals(tuning)?._queuedDecodes;
    if (!queued || queued.length !== items.length || !queued.every((q, i) => q.tokens === items[i]?.tokens)) {
      return shareBatch(items, size);
    }
    const paired = items.map((item, i) => ({ item, decode: queued[i]! })).sort((a, b) => a.decode.sequenceId - b.decode.sequenceId);
    // The loop awaits each item's after-batch hook before the next batch: one hook that waits for
    // the stragglers keeps every sequence in the same step.
    const last = paired.at(-1)?.decode;
    if (last) {
      const previous = last.afterBatchAction;
      last.afterBatchAction = async (length) => {
        await previous?.(length);
        tuning.betweenBatches?.();
        await gathered(tuning, "now");
      };
    }
    return shareBatch(
      paired.map((p) => p.item),
      size,
    );
  };
}

/** The first batch after the loop went idle waits for stragglers the same way. */
export function gatherAllDispatch(tuning: BatchTuning): DispatchSchedule {
  return (dispatch) => void gathered(tuning).then(dispatch);
}

/**
 * Resolves once every generating sequence has a decode queued, or after `gatherMs`. "now": look
 * at once (between batches, where the samplings have usually all been answered and every
 * sequence has queued already); "nextTurn": first give requests that arrive together a macrotask
 * to queue theirs.
 */
function gathered(tuning: BatchTuning, first: "now" | "nextTurn" = "nextTurn"): Promise<void> {
  const deadline = performance.now() + (tuning.gatherMs ?? 3);
  const ready = () => {
    const ids = internals(tuning)?._queuedDecodeSequenceIds;
    return !ids || ids.size >= tuning.generating() || performance.now() >= deadline;
  };
  if (first === "now" && ready()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => (ready() ? resolve() : setImmediate(check));
    setImmediate(check);
  });
}

function internals(tuning: BatchTuning): ContextInternals | undefined {
  return tuning.context() as unknown as ContextInternals | undefined;
}

/**
 * Splits `size` batch slots between items as evenly as possible, keeping their order: every item
 * gets its fair share first (so all sequences advance each step), leftovers go to the longest
 * prompts, higher evaluation priority first. Same policy as node-llama-cpp's "maximumParallelism".
 */
export function shareBatch(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  if (items.length === 0) return [];
  let free = size;
  const share = Math.max(1, Math.floor(size / items.length));
  const result: PrioritizedBatchItem[] = [];
  for (const item of items) {
    if (free <= 0) break;
    const amount = Math.min(item.tokens.length, share, free);
    result.push({ item, processAmount: amount });
    free -= amount;
  }
  const clipped = result.filter((r) => r.processAmount < r.item.tokens.length).sort((a, b) => b.item.evaluationPriority - a.item.evaluationPriority);
  for (const r of clipped) {
    if (free <= 0) break;
    const more = Math.min(r.item.tokens.length - r.processAmount, free);
    r.processAmount += more;
    free -= more;
  }
  return result;
}
