// Per-run sampler seeds. Same seed + same settings → same text, so every run gets its own seed,
// recorded with the run so that a surprising answer can be replayed.

const MASK31 = 0x7fffffff;

/**
 * A bijection on [0, 2^31): xor-shifts and odd multipliers mod 2^31 are each invertible, so
 * distinct inputs give distinct seeds. 31 bits keep seeds clear of llama.cpp's 0xFFFFFFFF
 * ("random seed", which would make a run unreplayable) and inside a signed 32-bit integer.
 */
export function mix31(x: number): number {
  let h = x & MASK31;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) & MASK31;
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39) & MASK31;
  h ^= h >>> 15;
  return h;
}

/** A base seed from the clock (ms). */
export function baseSeedFromClock(nowMs: number): number {
  return mix31(Math.floor(nowMs) % 2 ** 31);
}

/** Runs per test that still get distinct seeds (run numbers are packed into 16 bits). */
export const MAX_SEEDED_RUNS = 1 << 16;

/**
 * The seed of run `run` (1-based) of the test at `testIndex` in its suite. It depends only on the
 * base seed and that position — not on how many runs or which subset of tests was asked for — so a
 * recorded base seed replays any single run. Distinct for testIndex < 2^15 and run ≤ 2^16.
 */
export function runSeed(base: number, testIndex: number, run: number): number {
  if (run < 1 || run > MAX_SEEDED_RUNS || testIndex < 0 || testIndex >= 1 << 15) {
    throw new RangeError(`runSeed: test ${testIndex}, run ${run} out of range`);
  }
  return mix31((base + testIndex * MAX_SEEDED_RUNS + (run - 1)) % 2 ** 31);
}
