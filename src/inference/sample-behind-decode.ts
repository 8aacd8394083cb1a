// Queues each step's sampling jobs right behind its decode, so that the libuv worker goes from
// the decode straight into the samplings instead of sleeping in between.
//
// node-llama-cpp 3.21.1 runs a step as: decode (worker job) → back on the main thread, one
// sampling job per sequence → the next decode. Every hand-off wakes a sleeping thread, which on
// this 2-vCPU KVM machine costs ~0.15–0.25 ms. Measured on the bench model, 1 thread, 8 sequences,
// per step: decode end → first sampling queued 0.15 ms, → all eight sampled 0.9–1.2 ms (each
// sampling itself takes ~0.02 ms: the rest is the worker waking up), → next decode 0.3 ms; a whole
// step's hand-offs ~1.5 ms against a 27 ms decode. llama-server samples in the thread that decoded.
//
// The samplings can be queued before the decode has finished because the pool has one worker
// (UV_THREADPOOL_SIZE=1, set by bin/): its jobs run one after the other in the order they were
// queued, so a sampling queued after a decode reads that decode's logits. With a larger pool two
// jobs could run at once and the sampling could read logits being written, so then — or if the
// library's internals below change shape — nothing is changed and the library's own order remains.
//
// How: when node-llama-cpp adds a sequence's tokens to a batch, the queued decode it belongs to
// is still in the context's list; its `logitDataMapper` (the function that samples) is started as
// soon as the batch's decode is queued, and the library's own later call gets that started job.
// The sampler configuration and the repeat-penalty window are read at that moment, as they are
// later: the sequence's generation is suspended until its decode is done, so they are the same.

import type { LlamaContext } from "node-llama-cpp";

type LogitDataMapper = (batchLogitIndex: number, tokenIndex: number) => unknown;

interface QueuedDecodeInternals {
  readonly sequenceId: number;
  readonly firstTokenSequenceIndex: number;
  logitDataMapper: LogitDataMapper;
}

interface NativeBatching {
  initBatch(size: number): void;
  addToBatch(sequenceId: number, firstTokenIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array): ArrayLike<number>;
  decodeBatch(): Promise<void>;
}

interface ContextInternals {
  readonly _ctx?: Partial<NativeBatching>;
  readonly _queuedDecodes?: readonly QueuedDecodeInternals[];
}

/** Whether the pool runs one job at a time, in order: read once, as libuv reads it once. */
export function poolRunsInOrder(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.UV_THREADPOOL_SIZE === "1";
}

/** Installs the reordering on `context`; returns false (and changes nothing) where it is unsafe. */
export function sampleBehindDecode(context: LlamaContext, inOrder = poolRunsInOrder()): boolean {
  const internals = context as unknown as ContextInternals;
  const native = internals._ctx;
  if (!inOrder || !native || !Array.isArray(internals._queuedDecodes)) return false;
  const { initBatch, addToBatch, decodeBatch } = native;
  if (typeof initBatch !== "function" || typeof addToBatch !== "function" || typeof decodeBatch !== "function") return false;
  if (!Object.isExtensible(native)) return false;

  const starters = new WeakMap<QueuedDecodeInternals, LogitDataMapper>();
  let pending: (() => void)[] = [];
  // The native methods are read-only on the prototype; own properties shadow them.
  const replace = <K extends keyof NativeBatching>(name: K, value: NativeBatching[K]) =>
    Object.defineProperty(native, name, { value, configurable: true, enumerable: false, writable: false });
  replace("initBatch", (size) => {
    pending = [];
    initBatch.call(native, size);
  });
  replace("addToBatch", (sequenceId, firstTokenIndex, tokens, logitIndexes) => {
    const batchLogitIndexes = addToBatch.call(native, sequenceId, firstTokenIndex, tokens, logitIndexes);
    const owner = onlyOwner(internals._queuedDecodes ?? [], sequenceId, firstTokenIndex);
    if (owner && typeof owner.logitDataMapper === "function" && batchLogitIndexes.length === logitIndexes.length) {
      const start = starterFor(owner, starters);
      for (let i = 0; i < batchLogitIndexes.length; i++) {
        const batchLogitIndex = batchLogitIndexes[i]!;
        const tokenIndex = logitIndexes[i]! + firstTokenIndex;
        pending.push(() => start(batchLogitIndex, tokenIndex));
      }
    }
    return batchLogitIndexes;
  });
  replace("decodeBatch", () => {
    const decoding = decodeBatch.call(native);
    const queued = pending;
    pending = [];
    for (const start of queued) start();
    return decoding;
  });
  return true;
}

/** The one queued decode these tokens belong to; none when there is none or more than one. */
function onlyOwner(decodes: readonly QueuedDecodeInternals[], sequenceId: number, firstTokenIndex: number): QueuedDecodeInternals | undefined {
  let owner: QueuedDecodeInternals | undefined;
  // Runs for every sequence of every step: a loop, not a filtered copy.
  for (const decode of decodes) {
    if (decode.sequenceId !== sequenceId || decode.firstTokenSequenceIndex !== firstTokenIndex) continue;
    if (owner) return undefined;
    owner = decode;
  }
  return owner;
}

/**
 * Wraps the decode's mapper once: the returned starter runs it early and keeps what it returned;
 * the library's own call for that logit then gets the kept result instead of sampling again.
 */
function starterFor(decode: QueuedDecodeInternals, starters: WeakMap<QueuedDecodeInternals, LogitDataMapper>): LogitDataMapper {
  const known = starters.get(decode);
  if (known) return known;
  const original = decode.logitDataMapper;
  const started = new Map<number, unknown>();
  decode.logitDataMapper = (batchLogitIndex, tokenIndex) => {
    if (!started.has(batchLogitIndex)) return original(batchLogitIndex, tokenIndex);
    const result = started.get(batchLogitIndex);
    started.delete(batchLogitIndex);
    return result;
  };
  const start: LogitDataMapper = (batchLogitIndex, tokenIndex) => {
    const result = original(batchLogitIndex, tokenIndex);
    // If the decode fails, the library never asks for this result: its rejection is not unhandled.
    if (result instanceof Promise) result.catch(() => undefined);
    started.set(batchLogitIndex, result);
    return result;
  };
  starters.set(decode, start);
  return start;
}
