import { describe, expect, it, vi } from "vitest";
import { latestWins } from "../../src/core/latest-wins.js";

describe("latestWins", () => {
  it("sends the first value at once, then only the newest per interval, one send at a time", async () => {
    vi.useFakeTimers();
    try {
      const sent: number[] = [];
      let inFlight = 0;
      let most = 0;
      const u = latestWins<number>(
        1000,
        async (v) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 10));
          sent.push(v);
          inFlight--;
        },
        () => {},
      );
      u.push(1);
      await vi.advanceTimersByTimeAsync(20);
      expect(sent).toEqual([1]);
      u.push(2);
      u.push(3);
      u.push(4);
      await vi.advanceTimersByTimeAsync(500);
      expect(sent).toEqual([1]); // still inside the interval
      await vi.advanceTimersByTimeAsync(600);
      expect(sent).toEqual([1, 4]); // 2 and 3 were replaced
      expect(most).toBe(1);
      u.push(5);
      await u.close(); // drops what is pending
      await vi.advanceTimersByTimeAsync(5000);
      expect(sent).toEqual([1, 4]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports a failed send and keeps going", async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    const u = latestWins<string>(
      0,
      async (v) => {
        if (v === "bad") throw new Error("nope");
        sent.push(v);
      },
      (e) => errors.push(e),
    );
    u.push("bad");
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    u.push("good");
    await vi.waitFor(() => expect(sent).toEqual(["good"]));
    expect((errors[0] as Error).message).toBe("nope");
    expect(sent).toEqual(["good"]);
    await u.close();
  });
});
