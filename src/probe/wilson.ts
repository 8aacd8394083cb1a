// Wilson score interval for a pass rate: unlike the normal approximation it stays inside [0, 1]
// and is not degenerate at 0/n and n/n, which is exactly where probe tallies usually sit.

/** Two-sided 95 % normal quantile. */
export const Z95 = 1.959964;

/** The Wilson interval [low, high] of passed/total; [0, 1] when there is nothing to go on. */
export function wilson(passed: number, total: number, z: number = Z95): [number, number] {
  if (!(total > 0)) return [0, 1];
  if (passed < 0 || passed > total) throw new RangeError(`wilson: ${passed}/${total} is not a tally`);
  const p = passed / total;
  const z2 = z * z;
  const denom = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  // Pin the exact ends: floating point would give 0.9999999… at n/n and 1e-17 at 0/n.
  const low = passed === 0 ? 0 : Math.max(0, centre - half);
  const high = passed === total ? 1 : Math.min(1, centre + half);
  return [low, high];
}

/** Rounded to `digits` decimals, for JSON (`[0.722, 1]`). */
export function roundInterval(ci: readonly [number, number], digits = 3): [number, number] {
  const f = 10 ** digits;
  return [Math.round(ci[0] * f) / f, Math.round(ci[1] * f) / f];
}

/**
 * "72–100%": whole percents, the low end rounded down and the high end up so the shown interval
 * never claims more certainty than the computed one.
 */
export function formatInterval(ci: readonly [number, number]): string {
  // The epsilon keeps 0.72 * 100 = 72.00000000000001 from turning into 73.
  const low = Math.floor(ci[0] * 100 + 1e-9);
  const high = Math.ceil(ci[1] * 100 - 1e-9);
  return `${low}–${high}%`;
}

/** True when rate passed/total lies outside the interval (the test "shifted"). */
export function outsideInterval(passed: number, total: number, ci: readonly [number, number]): boolean {
  if (!(total > 0)) return false;
  const rate = passed / total;
  return rate < ci[0] || rate > ci[1];
}
