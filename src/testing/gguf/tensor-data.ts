// Produces a planned tensor's bytes, a few rows at a time, so a 300 MB tensor never sits in memory.

import type { TensorPlan } from "./model-plan.js";
import { encode, roundTrip, rowBytes } from "./quantize.js";
import { Rng } from "./random.js";

/** Values generated per chunk (4 MB of float32 scratch). */
const CHUNK_VALUES = 1 << 20;

/**
 * The tensor's encoded bytes, chunk by chunk. The values come from the tensor's own PRNG stream in
 * row order, so they don't depend on the chunk size. Each yielded buffer is fresh (the consumer
 * may hold on to it while writing).
 */
export function* tensorChunks(t: TensorPlan): Generator<Buffer> {
  const rowLength = t.dims[0] ?? 1;
  const rows = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / rowLength));
  const rng = t.init.kind === "uniform" ? new Rng(t.init.seed) : null;
  let scratch = new Float32Array(0);
  for (let row = 0; row < rows; row += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - row);
    if (scratch.length !== n * rowLength) scratch = new Float32Array(n * rowLength);
    if (t.init.kind === "ones") {
      scratch.fill(1);
    } else {
      rng!.fillUniform(scratch, t.init.amplitude);
      const zeroFrom = t.init.zeroRowsFrom;
      // Values are drawn for zeroed rows too, so the stream stays aligned with the row index.
      if (zeroFrom !== undefined && row + n > zeroFrom) {
        scratch.fill(0, Math.max(0, zeroFrom - row) * rowLength);
      }
      const only = t.init.onlyRows;
      if (only) {
        for (let r = 0; r < n; r++) {
          const values = scratch.subarray(r * rowLength, (r + 1) * rowLength);
          if (!only.rows.includes(row + r)) values.fill(0);
          else for (let i = 0; i < values.length; i++) values[i] = values[i]! * only.gain;
        }
      }
      if (t.init.roundTripThrough !== undefined) scratch.set(roundTrip(t.init.roundTripThrough, scratch));
    }
    const out = Buffer.allocUnsafe(rowBytes(t.type, rowLength) * n);
    encode(t.type, scratch, out, 0);
    yield out;
  }
}
