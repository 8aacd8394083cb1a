import { describe, expect, it, vi } from "vitest";
import { CancelledError, ContextOverflowError, QueueFullError } from "../../src/inference/errors.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { Engine } from "../../src/inference/types.js";
import { HANG, SAMPLING, ask, positions, rejection, setup } from "./queue-fixtures.js";

describe("InferenceQueue: concurrency, order, bounds", () => {
  it("runs up to engine.parallel at once, never more", async () => {
    const { engine, queue } = setup({ parallel: 3, answers: {} });
    const tickets = Array.from({ length: 8 }, (_, i) => queue.submit(ask(`q${i}`)));
    expect(queue.stats()).toEqual({ waiting: 5, running: 3 });
    expect(engine.running).toBe(3);
    const results = await Promise.all(tickets.map((t) => t.result));
    expect(results.map((r) => r.text)).toEqual(Array(8).fill("はい。"));
    expect(engine.maxRunning).toBe(3);
    expect(engine.calls).toHaveLength(8);
  });

  it("starts interactive requests before probes queued earlier", async () => {
    const { queue, started } = setup({ parallel: 1 });
    queue.submit(ask("p1", "probe", "probe"));
    queue.submit(ask("p2", "probe", "probe"));
    queue.submit(ask("p3", "probe", "probe"));
    queue.submit(ask("i1", "alice"));
    queue.submit(ask("i2", "bob"));
    await queue.onIdle();
    // p1 took the free slot at once and was stopped for i1; everything interactive goes before the
    // probes, and the stopped p1 starts again before the probes behind it.
    expect(started()).toEqual(["p1", "i1", "i2", "p1", "p2", "p3"]);
  });

  it("does not count probe runs against the interactive bounds (the probe runner bounds itself)", async () => {
    const { queue } = setup({ parallel: 1, maxWaiting: 1, maxPerUser: 1, answers: { run: HANG } });
    const running = queue.submit(ask("run", "alice"));
    const probes = [1, 2, 3].map((i) => queue.submit(ask(`p${i}`, "probe", "probe")));
    expect(queue.stats()).toEqual({ waiting: 3, running: 1 });
    // One interactive request may still wait; the next one is refused.
    queue.submit(ask("w1", "bob"));
    expect(() => queue.submit(ask("w2", "carol"))).toThrow(QueueFullError);
    expect(() => queue.submit(ask("again", "alice"))).toThrow(/limit is 1/);
    running.cancel();
    for (const p of probes) p.cancel();
    await queue.onIdle();
  });

  it("takes users in turn: B's two requests start before A's last ones", async () => {
    const { queue, started } = setup({ parallel: 1 });
    const b = positions();
    for (let i = 1; i <= 6; i++) queue.submit(ask(`A${i}`, "A"));
    const b1 = queue.submit(ask("B1", "B", "interactive", { onPosition: b.onPosition }));
    const b2 = queue.submit(ask("B2", "B"));
    // A1 runs; waiting: A2 B1 A3 B2 A4 A5 A6.
    expect([b1.position(), b2.position()]).toEqual([2, 4]);
    expect(b.seen).toEqual([2]);
    await queue.onIdle();
    expect(started()).toEqual(["A1", "A2", "B1", "A3", "B2", "A4", "A5", "A6"]);
    expect(b.seen).toEqual([2, 1, 0]);
  });

  it("refuses at once with queue_full when maxWaiting requests wait", async () => {
    const { queue, engine } = setup({ parallel: 1, maxWaiting: 2, answers: { run: HANG } });
    const running = queue.submit(ask("run"));
    queue.submit(ask("w1"));
    queue.submit(ask("w2"));
    let error: unknown;
    try {
      queue.submit(ask("w3"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).kind).toBe("queue_full");
    expect((error as QueueFullError).message).toMatch(/busy/);
    expect(queue.stats()).toEqual({ waiting: 2, running: 1 });
    running.cancel();
    await queue.onIdle();
    expect(engine.calls).toHaveLength(3);
  });

  it("does not count a request that starts at once as waiting (maxWaiting 0)", async () => {
    const { queue } = setup({ parallel: 1, maxWaiting: 0 });
    const first = queue.submit(ask("now"));
    expect(() => queue.submit(ask("later"))).toThrow(expect.objectContaining({ kind: "queue_full" }));
    await first.result;
  });

  it("refuses at once with user_limit when the user is at maxPerUser, running ones included", async () => {
    const { queue } = setup({ parallel: 1, maxPerUser: 2 });
    const a1 = queue.submit(ask("a1", "alice")); // running
    queue.submit(ask("a2", "alice")); // waiting
    expect(() => queue.submit(ask("a3", "alice"))).toThrow(expect.objectContaining({ name: "QueueFullError", kind: "user_limit" }));
    queue.submit(ask("b1", "bob")); // others are not affected
    await a1.result;
    queue.submit(ask("a3", "alice")); // a slot of hers freed
    await queue.onIdle();
  });

  it("reports positions and updates them when an earlier request starts", async () => {
    const { queue } = setup({ parallel: 1, answers: { r1: HANG } });
    const rec = [positions(), positions(), positions(), positions()];
    const [t0, t1, t2, t3] = ["r0", "r1", "r2", "r3"].map((q, i) => queue.submit(ask(q, `user${i}`, "interactive", { onPosition: rec[i]!.onPosition })));
    expect([t0!.position(), t1!.position(), t2!.position(), t3!.position()]).toEqual([0, 1, 2, 3]);
    expect(rec.map((r) => r.seen)).toEqual([[0], [1], [2], [3]]);

    await t0!.result; // r0 finishes, r1 starts
    await rec[1]!.reached(0);
    expect([t0!.position(), t1!.position(), t2!.position(), t3!.position()]).toEqual([-1, 0, 1, 2]);
    expect(rec.map((r) => r.seen)).toEqual([[0], [1, 0], [2, 1], [3, 2]]);

    queue.cancelAll();
    await queue.onIdle();
  });

  it("merges sampling overrides field by field over the defaults", async () => {
    const { queue, engine } = setup();
    await queue.submit(ask("plain")).result;
    await queue.submit(ask("probe", "p", "probe", { sampling: { temperature: 0, seed: 42, topP: undefined } })).result;
    expect(engine.calls[0]!.sampling).toEqual(SAMPLING);
    expect(engine.calls[1]!.sampling).toEqual({ temperature: 0, topP: 0.9, maxTokens: 1200, seed: 42 });
  });

  it("streams chunks to the request's onTextChunk", async () => {
    const { queue } = setup();
    const chunks: string[] = [];
    const result = await queue.submit(ask("q", "u", "interactive", { onTextChunk: (c) => chunks.push(c) })).result;
    expect(chunks).toEqual(["はい", "。"]);
    expect(result).toMatchObject({ text: "はい。", stopReason: "done" });
  });
});

describe("InferenceQueue: errors and idling", () => {
  it("passes engine errors through and keeps serving", async () => {
    const boom = new Error("GPU on fire");
    const overflow = new ContextOverflowError(9000, 8192);
    const { queue } = setup({ answers: { boom: { chunks: [], fail: boom }, long: { chunks: [], fail: overflow } } });
    const a = queue.submit(ask("boom"));
    const b = queue.submit(ask("long"));
    const c = queue.submit(ask("fine"));
    expect(await rejection(a.result)).toBe(boom);
    expect(await rejection(b.result)).toBe(overflow);
    expect((await c.result).text).toBe("はい。");
  });

  it('turns stopReason "error" into a rejection carrying the engine\'s message', async () => {
    const engine: Engine = {
      parallel: 1,
      modelName: "broken",
      [Symbol.asyncDispose]: async () => {},
      generate: async () => ({
        text: "",
        stopReason: "error",
        error: "decode failed",
        promptTokens: 0,
        completionTokens: 0,
        trimmedTurns: 0,
        timings: { queueMs: 0, firstTokenMs: null, generationMs: 0 },
      }),
    };
    const queue = new InferenceQueue(engine, {
      sampling: SAMPLING,
      maxWaiting: 1,
      maxPerUser: 1,
      timeouts: { queueWaitMs: 1e4, firstTokenMs: 1e4, totalMs: 1e4 },
    });
    const error = await rejection(queue.submit(ask("q")).result);
    expect((error as Error).message).toBe("decode failed");
  });

  it("never leaves an unobserved rejection unhandled", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      const { queue } = setup({ answers: { boom: { chunks: [], fail: new Error("ignored") }, run: HANG } });
      queue.submit(ask("boom"));
      const run = queue.submit(ask("run"));
      queue.submit(ask("queued")).cancel();
      run.cancel();
      await queue.onIdle();
      // Node reports unhandled rejections once the microtasks have drained: one macrotask later,
      // every rejection of this test has been either handled or reported.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", listener);
    }
  });

  it("onIdle resolves at once when idle, and after every result settled otherwise", async () => {
    const { queue } = setup({ parallel: 2 });
    await queue.onIdle();
    const settled: number[] = [];
    for (let i = 0; i < 5; i++) void queue.submit(ask(`q${i}`)).result.then(() => settled.push(i));
    await queue.onIdle();
    expect(settled.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(queue.stats()).toEqual({ waiting: 0, running: 0 });
  });

  it("onIdle resolves when the last waiting requests are cancelled and nothing runs", async () => {
    const { queue, engine } = setup({ parallel: 1, answers: { run: HANG } });
    const run = queue.submit(ask("run"));
    const waiting = [queue.submit(ask("w1")), queue.submit(ask("w2"))];
    const idle = queue.onIdle();
    for (const t of waiting) t.cancel();
    run.cancel();
    await idle;
    expect(engine.calls).toHaveLength(1);
    for (const t of waiting) expect(await rejection(t.result)).toBeInstanceOf(CancelledError);
  });

  it("keeps going when an onPosition callback throws", async () => {
    const { queue } = setup();
    const warnings: unknown[] = [];
    const onWarning = (w: unknown) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const t = queue.submit(
        ask("q", "u", "interactive", {
          onPosition: () => {
            throw new Error("render bug");
          },
        }),
      );
      expect((await t.result).text).toBe("はい。");
      await vi.waitFor(() => expect(String(warnings[0])).toMatch(/render bug/));
    } finally {
      process.off("warning", onWarning);
    }
  });
});
