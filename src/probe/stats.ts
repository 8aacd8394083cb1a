// The statistics behind A/B probes, pass^k and dataset scores. Small samples (n = 10) are the
// normal case here, so every method is one that stays honest there: Newcombe's interval for a
// difference of proportions (built from Wilson intervals, so it is not degenerate at 0/n or n/n),
// Fisher's exact test instead of a chi-squared approximation, and a percentile bootstrap with a
// seeded generator so the same scores always give the same interval.

import { wilson, Z95 } from "./wilson.js";

/**
 * Newcombe's hybrid score interval (his method 10) for p1 − p2, from the Wilson intervals of both
 * proportions. Returns [low, high] within [−1, 1].
 */
export function newcombeDifference(passed1: number, total1: number, passed2: number, total2: number, z: number = Z95): [number, number] {
  if (!(total1 > 0) || !(total2 > 0)) return [-1, 1];
  const p1 = passed1 / total1;
  const p2 = passed2 / total2;
  const [l1, u1] = wilson(passed1, total1, z);
  const [l2, u2] = wilson(passed2, total2, z);
  const d = p1 - p2;
  const low = d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2);
  const high = d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2);
  return [Math.max(-1, low), Math.min(1, high)];
}

/** ln(n!) by summation: exact enough for the tallies of a probe (n up to a few thousand). */
function logFactorial(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

/**
 * Two-sided Fisher's exact test for the 2×2 table [[passed1, failed1], [passed2, failed2]]: the
 * sum of the probabilities (hypergeometric, margins fixed) of every table no more likely than the
 * observed one. 1 when there is nothing to compare.
 */
export function fisherExactTwoSided(passed1: number, total1: number, passed2: number, total2: number): number {
  if (!(total1 > 0) || !(total2 > 0)) return 1;
  const n = total1 + total2;
  const passes = passed1 + passed2;
  const logDenominator = logFactorial(n) - logFactorial(passes) - logFactorial(n - passes);
  const logP = (a: number) =>
    logFactorial(total1) -
    logFactorial(a) -
    logFactorial(total1 - a) +
    logFactorial(total2) -
    logFactorial(passes - a) -
    logFactorial(total2 - passes + a) -
    logDenominator;
  const observed = logP(passed1);
  const lo = Math.max(0, passes - total2);
  const hi = Math.min(total1, passes);
  let p = 0;
  // The relative tolerance keeps tables exactly as likely as the observed one (symmetric cases)
  // from being dropped by rounding, as R's fisher.test does.
  for (let a = lo; a <= hi; a++) {
    const lp = logP(a);
    if (lp <= observed + 1e-7) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/** mulberry32: a small, fast, seedable 32-bit generator; the same seed gives the same stream. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly seed?: number;
}

/**
 * Percentile bootstrap 95 % interval of the mean. Deterministic for a given seed. One value (or
 * all equal) gives [mean, mean]: the data say nothing about the spread, and the report says n.
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions = {}): [number, number] {
  const n = values.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const resamples = options.resamples ?? 2000;
  const random = seededRandom(options.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return [at(0.025), at(0.975)];
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * The unbiased estimate of pass^k — the chance that k fresh runs all pass — from `passed` of
 * `total` runs: C(passed, k) / C(total, k) (as τ-bench defines it). Needs k ≤ total.
 */
export function passHatK(passed: number, total: number, k: number): number {
  if (k < 1 || k > total) throw new RangeError(`pass^k: k must be from 1 to the ${total} runs, not ${k}`);
  return binomial(passed, k) / binomial(total, k);
}
