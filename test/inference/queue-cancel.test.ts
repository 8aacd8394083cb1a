import { describe, expect, it } from "vitest";
import { CancelledError, InferenceTimeoutError } from "../../src/inference/errors.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { Engine } from "../../src/inference/types.js";
import { FOREVER, HANG, SAMPLING, ask, positions, rejection, setup } from "./queue-fixtures.js";

describe("InferenceQueue: cancel", () => {
  it("cancelling a queued request removes it: it never reaches the engine, later ones move up", async () => {
    const { queue, started } = setup({ parallel: 1, answers: { run: HANG } });
    const run = queue.submit(ask("run"));
    const w1 = queue.submit(ask("w1"));
    const w2 = queue.submit(ask("w2"));
    const p3 = positions();
    const w3 = queue.submit(ask("w3", "u-w3", "interactive", { onPosition: p3.onPosition }));

    w2.cancel("user deleted the message");
    const error = await rejection(w2.result);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe("user deleted the message");
    expect(w2.position()).toBe(-1);
    expect([w1.position(), w3.position()]).toEqual([1, 2]);
    expect(p3.seen).toEqual([3, 2]);
    expect(queue.stats()).toEqual({ waiting: 2, running: 1 });

    run.cancel();
    await queue.onIdle();
    expect(started()).toEqual(["run", "w1", "w3"]);
  });

  it("cancelling a running request resolves with the partial text and frees the slot", async () => {
    const { queue, started, engine } = setup({ parallel: 1, answers: { run: { chunks: ["途中まで", "続き"], chunkDelayMs: FOREVER } } });
    const run = queue.submit(ask("run", "u", "interactive", { onTextChunk: () => run.cancel() }));
    const next = queue.submit(ask("next"));
    const result = await run.result;
    expect(result).toMatchObject({ text: "途中まで", stopReason: "aborted" });
    expect(run.position()).toBe(-1);
    expect((await next.result).stopReason).toBe("done");
    expect(started()).toEqual(["run", "next"]);
    expect(engine.maxRunning).toBe(1);
  });

  it("request.signal aborting cancels like ticket.cancel, queued or running", async () => {
    const { queue, started } = setup({ parallel: 1, answers: { run: HANG } });
    const running = new AbortController();
    const queued = new AbortController();
    const run = queue.submit(ask("run", "a", "interactive", { signal: running.signal }));
    const wait = queue.submit(ask("wait", "b", "interactive", { signal: queued.signal }));
    queued.abort();
    expect(await rejection(wait.result)).toBeInstanceOf(CancelledError);
    running.abort();
    expect(await run.result).toMatchObject({ text: "", stopReason: "aborted" });
    await queue.onIdle();
    expect(started()).toEqual(["run"]);
  });

  it('a cancelled engine call that rejects (abort during prompt evaluation) still resolves "aborted"', async () => {
    // node-llama-cpp rejects with AbortError when aborted before the first token.
    const engine: Engine = {
      parallel: 1,
      modelName: "stub",
      [Symbol.asyncDispose]: async () => {},
      generate: ({ signal }) => new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))),
    };
    const queue = new InferenceQueue(engine, {
      sampling: SAMPLING,
      maxWaiting: 1,
      maxPerUser: 1,
      timeouts: { queueWaitMs: 1e4, firstTokenMs: 1e4, totalMs: 1e4 },
    });
    const ticket = queue.submit(ask("q"));
    ticket.cancel();
    expect(await ticket.result).toMatchObject({ text: "", stopReason: "aborted" });
  });

  it("an already aborted signal is cancelled without queueing", async () => {
    const { queue, engine } = setup();
    const ticket = queue.submit(ask("q", "u", "interactive", { signal: AbortSignal.abort() }));
    expect(await rejection(ticket.result)).toBeInstanceOf(CancelledError);
    expect(ticket.position()).toBe(-1);
    await queue.onIdle();
    expect(engine.calls).toHaveLength(0);
  });

  it("cancel after the end changes nothing", async () => {
    const { queue } = setup();
    const ticket = queue.submit(ask("q"));
    const result = await ticket.result;
    ticket.cancel();
    expect(result.stopReason).toBe("done");
    expect(ticket.position()).toBe(-1);
  });
});

describe("InferenceQueue: time limits", () => {
  it('rejects a request that waits longer than queueWaitMs with "queue_wait" and drops it', async () => {
    const { queue, started } = setup({ parallel: 1, timeouts: { queueWaitMs: 50 }, answers: { run: HANG } });
    const run = queue.submit(ask("run"));
    const late = queue.submit(ask("late"));
    const error = await rejection(late.result);
    expect(error).toBeInstanceOf(InferenceTimeoutError);
    expect(error).toMatchObject({ kind: "queue_wait", limitMs: 50 });
    expect(queue.stats()).toEqual({ waiting: 0, running: 1 });
    run.cancel();
    await run.result;
    expect((await queue.submit(ask("after")).result).stopReason).toBe("done");
    expect(started()).toEqual(["run", "after"]);
  });

  it('aborts a generation with no first token within firstTokenMs ("first_token"), then frees the slot', async () => {
    const { queue, engine, started } = setup({ parallel: 1, timeouts: { firstTokenMs: 50 }, answers: { slow: HANG } });
    const slow = queue.submit(ask("slow"));
    const next = queue.submit(ask("next"));
    const error = await rejection(slow.result);
    expect(error).toMatchObject({ name: "InferenceTimeoutError", kind: "first_token", limitMs: 50 });
    expect(engine.running).toBe(0); // the engine call was awaited before rejecting
    expect((engine.calls[0]!.signal as AbortSignal).aborted).toBe(true);
    expect((await next.result).stopReason).toBe("done");
    expect(started()).toEqual(["slow", "next"]);
  });

  it('aborts a generation that runs longer than totalMs ("total"), then frees the slot', async () => {
    const { queue, engine, started } = setup({
      parallel: 1,
      timeouts: { totalMs: 100 },
      answers: { long: { chunks: ["最初", "次"], chunkDelayMs: FOREVER } },
    });
    const chunks: string[] = [];
    const long = queue.submit(ask("long", "u", "interactive", { onTextChunk: (c) => chunks.push(c) }));
    const next = queue.submit(ask("next"));
    const error = await rejection(long.result);
    expect(error).toMatchObject({ name: "InferenceTimeoutError", kind: "total", limitMs: 100 });
    expect(chunks).toEqual(["最初"]); // the first token came in time
    expect(engine.running).toBe(0);
    expect((await next.result).stopReason).toBe("done");
    expect(started()).toEqual(["long", "next"]);
  });
});
