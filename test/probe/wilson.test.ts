import { describe, expect, it } from "vitest";
import { formatInterval, outsideInterval, roundInterval, wilson } from "../../src/probe/wilson.js";

describe("wilson", () => {
  it("matches known 95 % intervals", () => {
    expect(roundInterval(wilson(10, 10))).toEqual([0.722, 1]);
    expect(roundInterval(wilson(0, 10))).toEqual([0, 0.278]);
    expect(roundInterval(wilson(5, 10))).toEqual([0.237, 0.763]);
    expect(roundInterval(wilson(9, 10))).toEqual([0.596, 0.982]);
    expect(roundInterval(wilson(7, 10))).toEqual([0.397, 0.892]);
    expect(roundInterval(wilson(1, 1))).toEqual([0.207, 1]);
    expect(roundInterval(wilson(50, 100))).toEqual([0.404, 0.596]);
  });

  it("is exact at the ends and symmetric", () => {
    expect(wilson(10, 10)[1]).toBe(1);
    expect(wilson(0, 10)[0]).toBe(0);
    expect(wilson(10, 10)[0]).toBeCloseTo(1 / (1 + 1.959964 ** 2 / 10), 12);
    const [lo, hi] = wilson(3, 10);
    const [lo2, hi2] = wilson(7, 10);
    expect(lo).toBeCloseTo(1 - hi2, 12);
    expect(hi).toBeCloseTo(1 - lo2, 12);
  });

  it("says nothing without runs and refuses impossible tallies", () => {
    expect(wilson(0, 0)).toEqual([0, 1]);
    expect(() => wilson(11, 10)).toThrow(RangeError);
  });

  it("formats whole percents, rounding outward", () => {
    expect(formatInterval(wilson(10, 10))).toBe("72–100%");
    expect(formatInterval(wilson(0, 10))).toBe("0–28%");
    expect(formatInterval(wilson(5, 10))).toBe("23–77%");
    expect(formatInterval([0.72, 1])).toBe("72–100%");
  });

  it("detects a rate outside an interval", () => {
    const previous = wilson(10, 10);
    expect(outsideInterval(7, 10, previous)).toBe(true);
    expect(outsideInterval(8, 10, previous)).toBe(false);
    expect(outsideInterval(0, 0, previous)).toBe(false);
  });
});
