// Makes a reused sequence hold only the prefix its next prompt shares, without waiting for the
// batch loop to go idle.
//
// Measured here (bench model, 4 sequences): a request started on a sequence that still held an
// earlier answer got its first token only when every OTHER generation had finished (4.4 s instead
// of ~0.1 s; 6.8 s for the last of 8 concurrent requests). node-llama-cpp 3.21.1's
// eraseContextTokenRanges takes the context lock, and its batch loop holds that lock for as long
// as any decode is queued — which, with other sequences generating, is until they are all done.
// So the erase is done here instead: between two batches, inside the loop (our after-batch hook in
// batch-order.ts, when no decode is running), or under the same lock when the loop is idle —
// whichever comes first. It calls the same native removal the library's erase calls and updates
// the same fields; if those internals ever change shape, the library's own erase is used (and the
// old wait comes back, nothing worse). The version is pinned exactly.

import { withLock } from "lifecycle-utils";
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";

interface SequenceInternals {
  _contextTokens: Token[];
  _nextTokenIndex: number;
  readonly _sequenceId: number;
  readonly _loadedTokenPredictions: readonly unknown[];
  readonly _checkpoints?: { pruneFromEndToIndex(index: number): void };
  readonly _context: { readonly _ctx: NativeContext };
}

interface NativeContext {
  removeTokenCellsFromSequence(sequenceId: number, start: number, end: number): boolean;
  disposeSequence(sequenceId: number): void;
}

interface Job {
  readonly sequence: LlamaContextSequence;
  readonly keep: number;
  done: boolean;
  resolve(ok: boolean): void;
}

export class SequenceTrimmer {
  readonly #pending: Job[] = [];

  constructor(private readonly context: LlamaContext) {}

  /** Cuts `sequence` down to its first `keep` tokens. */
  async trim(sequence: LlamaContextSequence, keep: number): Promise<void> {
    if (sequence.nextTokenIndex <= keep) return;
    const internal = sequence as unknown as SequenceInternals;
    if (!hasShape(internal)) {
      await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
      return;
    }
    const trimmed = new Promise<boolean>((resolve) => {
      const job: Job = { sequence, keep, done: false, resolve };
      this.#pending.push(job);
      // When the loop is idle, the lock is free at once; when it runs, the next batch end wins.
      void withLock([this.context, "context"], () => this.#run(job));
    });
    // A native removal that failed (its cache is gone): the library's erase rebuilds the sequence.
    if (!(await trimmed)) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  }

  /** Runs waiting trims; called between batches, while no decode is running. */
  runPending(): void {
    for (const job of this.#pending.splice(0)) this.#run(job);
  }

  #run(job: Job): void {
    if (job.done) return;
    job.done = true;
    const index = this.#pending.indexOf(job);
    if (index >= 0) this.#pending.splice(index, 1);
    job.resolve(removeTail(job.sequence as unknown as SequenceInternals, job.keep));
  }
}

function hasShape(s: SequenceInternals): boolean {
  return (
    Array.isArray(s._contextTokens) &&
    typeof s._nextTokenIndex === "number" &&
    typeof s._sequenceId === "number" &&
    Array.isArray(s._loadedTokenPredictions) &&
    typeof s._context?._ctx?.removeTokenCellsFromSequence === "function" &&
    typeof s._context._ctx.disposeSequence === "function"
  );
}

/** What the library's erase does for one tail range of a plain (non-recurrent) model. */
function removeTail(s: SequenceInternals, keep: number): boolean {
  if (s._loadedTokenPredictions.length > 0) return false;
  const end = s._nextTokenIndex;
  if (keep >= end) return true;
  if (keep === 0) s._context._ctx.disposeSequence(s._sequenceId);
  else if (!s._context._ctx.removeTokenCellsFromSequence(s._sequenceId, keep, end)) return false;
  s._contextTokens.splice(keep);
  s._nextTokenIndex = keep;
  s._checkpoints?.pruneFromEndToIndex(keep - 1);
  return true;
}
