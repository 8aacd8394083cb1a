import { describe, expect, it } from "vitest";
import { ConcurrencyLane } from "../../src/probe/lane.js";

/** A job the test finishes by hand. */
function controlled() {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const lane = new ConcurrencyLane<number>(2, (job) => {
    started.push(job);
    return new Promise<void>((resolve) => finish.set(job, resolve));
  });
  return { lane, started, finish: (job: number) => finish.get(job)?.() };
}

describe("ConcurrencyLane", () => {
  it("starts at most `limit` jobs at once, synchronously, and the next in order as one settles", async () => {
    const { lane, started, finish } = controlled();
    for (const job of [1, 2, 3, 4]) lane.add(job);
    expect(started).toEqual([1, 2]);
    finish(2);
    await expect.poll(() => started).toEqual([1, 2, 3]);
    finish(1);
    await expect.poll(() => started).toEqual([1, 2, 3, 4]);
  });

  it("clear() drops and returns the jobs that have not started; started ones run on", async () => {
    const { lane, started, finish } = controlled();
    for (const job of [1, 2, 3, 4]) lane.add(job);
    expect(lane.clear()).toEqual([3, 4]);
    finish(1);
    finish(2);
    // A job added afterwards starts: the lane is free again, nothing dropped comes back.
    lane.add(5);
    await expect.poll(() => started).toEqual([1, 2, 5]);
  });
});
