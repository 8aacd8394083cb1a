import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EditThrottle } from "../../src/core/edit-throttle.js";

/** A fake edit call that records (time, text) and resolves after `latencyMs`. */
function recorder(latencyMs = 0) {
  const edits: { at: number; text: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (text: string) => {
    edits.push({ at: Date.now(), text });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, latencyMs));
    inFlight--;
  };
  return { edits, send, maxInFlight: () => maxInFlight };
}

/** Awaits `p` while advancing the fake clock (the fake edits complete on timers). */
async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 1000 && !done; i++) await vi.advanceTimersByTimeAsync(10);
  return p;
}

describe("EditThrottle", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends the first change at once, coalesces the rest, the latest text wins", async () => {
    const r = recorder();
    const t = new EditThrottle({ intervalMs: 1000, send: r.send, initialText: "" });
    t.update("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(r.edits.map((e) => e.text)).toEqual(["a"]);
    for (const text of ["ab", "abc", "abcd"]) {
      t.update(text);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(r.edits).toHaveLength(1); // still inside the interval
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.edits.map((e) => e.text)).toEqual(["a", "abcd"]);
    expect(r.edits[1]!.at - r.edits[0]!.at).toBe(1000);
  });

  it("never exceeds one edit per interval and never has two edits in flight", async () => {
    const r = recorder(1500); // edits slower than the interval
    const t = new EditThrottle({ intervalMs: 1000, send: r.send, initialText: "" });
    let text = "";
    for (let i = 0; i < 100; i++) {
      text += "x";
      t.update(text);
      await vi.advanceTimersByTimeAsync(37);
    }
    await settle(t.flush());
    expect(r.maxInFlight()).toBe(1);
    for (let i = 1; i < r.edits.length; i++) expect(r.edits[i]!.at - r.edits[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    expect(r.edits.at(-1)!.text).toBe(text);
    expect(t.text).toBe(text);
  });

  it("waits for the interval after the post before the first edit", async () => {
    const r = recorder();
    const t = new EditThrottle({ intervalMs: 1000, send: r.send, initialText: "placeholder", lastWriteAt: Date.now() });
    t.update("x");
    await vi.advanceTimersByTimeAsync(999);
    expect(r.edits).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.edits.map((e) => e.text)).toEqual(["x"]);
  });

  it("flush() sends the final text at once, even inside the interval", async () => {
    const r = recorder();
    const t = new EditThrottle({ intervalMs: 1000, send: r.send, initialText: "" });
    t.update("a");
    await vi.advanceTimersByTimeAsync(10);
    t.update("final");
    await settle(t.flush());
    expect(r.edits.map((e) => e.text)).toEqual(["a", "final"]);
    expect(r.edits[1]!.at - r.edits[0]!.at).toBe(10);
    // Nothing is left scheduled.
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.edits).toHaveLength(2);
  });

  it("does not send an unchanged text", async () => {
    const r = recorder();
    const t = new EditThrottle({ intervalMs: 1000, send: r.send, initialText: "same" });
    t.update("same");
    await t.flush();
    expect(r.edits).toHaveLength(0);
  });

  it("reports a failed edit once, stops, and flush() rejects with it", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const t = new EditThrottle({
      intervalMs: 1000,
      initialText: "",
      send: () => {
        calls++;
        throw new Error("Unknown Message"); // even a synchronous throw
      },
      onError: (e) => errors.push(e),
    });
    t.update("a");
    await vi.advanceTimersByTimeAsync(0);
    t.update("b");
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    await expect(t.flush()).rejects.toThrow("Unknown Message");
  });
});
