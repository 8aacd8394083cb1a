import { describe, expect, it } from "vitest";
import { bootstrapMeanInterval, fisherExactTwoSided, mean, newcombeDifference, passHatK, seededRandom } from "../../src/probe/stats.js";

// Hand-computed: Wilson(10/10) = [0.722465, 1], Wilson(5/10) = [0.236594, 0.763406] (z = 1.959964).
describe("Newcombe's interval for a difference of proportions", () => {
  it("10/10 vs 0/10: [1 − √2·0.277535, 1]", () => {
    const [low, high] = newcombeDifference(10, 10, 0, 10);
    expect(low).toBeCloseTo(0.607505, 5);
    expect(high).toBe(1);
  });

  it("5/10 vs 5/10: ±√2·0.263406, centred on 0", () => {
    const [low, high] = newcombeDifference(5, 10, 5, 10);
    expect(low).toBeCloseTo(-0.372512, 5);
    expect(high).toBeCloseTo(0.372512, 5);
  });

  it("is antisymmetric when the arms are swapped", () => {
    const [l1, h1] = newcombeDifference(7, 10, 2, 10);
    const [l2, h2] = newcombeDifference(2, 10, 7, 10);
    expect(l1).toBeCloseTo(-h2, 12);
    expect(h1).toBeCloseTo(-l2, 12);
    expect(l1).toBeGreaterThan(0);
  });
});

describe("Fisher's exact test, two-sided", () => {
  it("10/10 vs 0/10: 2 / C(20,10)", () => {
    expect(fisherExactTwoSided(10, 10, 0, 10)).toBeCloseTo(2 / 184756, 12);
  });

  it("5/10 vs 5/10: 1", () => {
    expect(fisherExactTwoSided(5, 10, 5, 10)).toBeCloseTo(1, 12);
  });

  it("7/10 vs 2/10: (2·5400 + 2·450 + 2·10) / C(20,9)", () => {
    expect(fisherExactTwoSided(7, 10, 2, 10)).toBeCloseTo(11720 / 167960, 10);
  });
});

describe("pass^k", () => {
  it("is C(c,k)/C(n,k)", () => {
    expect(passHatK(7, 10, 3)).toBeCloseTo(35 / 120, 12);
    expect(passHatK(10, 10, 10)).toBe(1);
    expect(passHatK(9, 10, 10)).toBe(0);
    expect(passHatK(7, 10, 1)).toBeCloseTo(0.7, 12);
  });

  it("refuses k above the number of runs", () => {
    expect(() => passHatK(3, 4, 5)).toThrow(/k must be from 1 to the 4 runs/);
  });
});

describe("bootstrap interval of a mean", () => {
  const scores = [1, 2, 5, 4, 3, 1, 1, 2, 5, 3];

  it("is the same for the same seed and contains the mean", () => {
    const a = bootstrapMeanInterval(scores, { seed: 7 });
    const b = bootstrapMeanInterval(scores, { seed: 7 });
    expect(a).toEqual(b);
    expect(a[0]).toBeLessThan(mean(scores));
    expect(a[1]).toBeGreaterThan(mean(scores));
    expect(a[0]).toBeGreaterThanOrEqual(1);
    expect(a[1]).toBeLessThanOrEqual(5);
  });

  it("differs for another seed, and collapses when every score is equal", () => {
    expect(bootstrapMeanInterval(scores, { seed: 7, resamples: 50 })).not.toEqual(bootstrapMeanInterval(scores, { seed: 8, resamples: 50 }));
    expect(bootstrapMeanInterval([1, 1, 1, 1, 1])).toEqual([1, 1]);
  });

  it("uses a seeded generator in [0, 1)", () => {
    const r = seededRandom(42);
    const values = Array.from({ length: 1000 }, r);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(seededRandom(42)()).toBe(values[0]);
  });
});
