import { describe, expect, it } from "vitest";
import { CancelledError } from "../../src/inference/errors.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import { ScriptedEngine, type ScriptedAnswer } from "../helpers/scripted-engine.js";
import { FOREVER, HANG, SAMPLING, ask, questionOf, rejection, setup } from "./queue-fixtures.js";

const LONG: ScriptedAnswer = { chunks: ["長い", "回答"], hangAfterChunks: 1 };

describe("InferenceQueue: interactive requests preempt probe runs", () => {
  it("a mention submitted while probe runs hold every sequence starts before any of them ends", async () => {
    const { queue, engine, started } = setup({ parallel: 2, answers: { p1: LONG, p2: LONG, p3: LONG } });
    const probes = ["p1", "p2", "p3"].map((q) => queue.submit(ask(q, "probe", "probe", { sampling: { seed: 7 } })));
    await expect.poll(() => engine.running).toBe(2);
    let probeEnded = false;
    for (const p of probes)
      p.result.then(
        () => (probeEnded = true),
        () => (probeEnded = true),
      );

    const mention = queue.submit(ask("i1", "alice"));
    const result = await mention.result;
    expect(result.text).toBe("はい。");
    // Started while every probe was still unfinished: a probe run was stopped for it.
    expect(probeEnded).toBe(false);
    expect(started()).toEqual(["p1", "p2", "i1"]);
    expect(queue.preemptions).toBe(1);
    // The stopped run (p1: no less text than p2, found first) takes its sequence back afterwards.
    await expect.poll(() => started()).toEqual(["p1", "p2", "i1", "p1"]);
    for (const p of probes) p.cancel();
    await queue.onIdle();
  });

  it("restarts the preempted run from the front of the probe lane with the same request (and seed)", async () => {
    const { queue, engine, started } = setup({ parallel: 1 });
    const p1 = queue.submit(ask("p1", "probe", "probe", { sampling: { seed: 11 } }));
    const p2 = queue.submit(ask("p2", "probe", "probe", { sampling: { seed: 12 } }));
    expect(engine.running).toBe(1);
    queue.submit(ask("i1", "alice"));
    const [r1, r2] = await Promise.all([p1.result, p2.result]);
    expect(started()).toEqual(["p1", "i1", "p1", "p2"]);
    expect([r1.text, r2.text]).toEqual(["はい。", "はい。"]);
    const seeds = engine.calls.filter((c) => questionOf(c) === "p1").map((c) => c.sampling.seed);
    expect(seeds).toEqual([11, 11]);
  });

  it("preempts the run with the least text, one per waiting mention", async () => {
    const streamed = new Map<string, number>();
    const counting = (q: string) => ({ preemptible: true, onTextChunk: () => streamed.set(q, (streamed.get(q) ?? 0) + 1) });
    const after = (n: number): ScriptedAnswer => ({ chunks: ["a", "b", "c", "d"], hangAfterChunks: n });
    const { queue, started } = setup({ parallel: 3, answers: { p1: after(3), p2: after(1), p3: after(2) } });
    const probes = ["p1", "p2", "p3"].map((q) => queue.submit(ask(q, "probe", "probe", counting(q))));
    await expect.poll(() => [streamed.get("p1"), streamed.get("p2"), streamed.get("p3")]).toEqual([3, 1, 2]);
    await queue.submit(ask("i1", "alice")).result;
    // p2 had the least text: it was stopped and started again; the others kept their sequences.
    await expect.poll(() => started()).toEqual(["p1", "p2", "p3", "i1", "p2"]);
    await Promise.all([queue.submit(ask("i2", "bob")).result, queue.submit(ask("i3", "carol")).result]);
    expect(queue.preemptions).toBe(3);
    for (const p of probes) p.cancel();
    await queue.onIdle();
  });

  it("never preempts interactive requests or requests that stream text", async () => {
    const { queue, engine } = setup({ parallel: 2, answers: { busy: HANG, api: HANG } });
    const busy = queue.submit(ask("busy", "carol"));
    const api = queue.submit(ask("api", "token-1", "probe", { onTextChunk: () => {} }));
    await expect.poll(() => engine.running).toBe(2);
    const waiting = queue.submit(ask("i1", "alice"));
    expect(waiting.position()).toBe(1);
    expect(queue.preemptions).toBe(0);
    busy.cancel();
    await waiting.result;
    api.cancel();
    await queue.onIdle();
  });

  it("a run cancelled while being preempted ends as cancelled instead of starting again", async () => {
    const { queue, engine, started } = setup({ parallel: 1, answers: { p1: HANG, i1: { chunks: ["はい"], firstChunkDelayMs: 5 } } });
    const p1 = queue.submit(ask("p1", "probe", "probe"));
    await expect.poll(() => engine.running).toBe(1);
    queue.submit(ask("i1", "alice"));
    p1.cancel();
    const result = await p1.result;
    expect(result.stopReason).toBe("aborted");
    await queue.onIdle();
    expect(started()).toEqual(["p1", "i1"]);
  });

  it("a preempted run cancelled while waiting again rejects with CancelledError", async () => {
    const { queue, engine } = setup({ parallel: 1, answers: { p1: HANG, i1: HANG } });
    const p1 = queue.submit(ask("p1", "probe", "probe"));
    await expect.poll(() => engine.running).toBe(1);
    const i1 = queue.submit(ask("i1", "alice"));
    await expect.poll(() => p1.position()).toBe(1);
    p1.cancel();
    expect(await rejection(p1.result)).toBeInstanceOf(CancelledError);
    i1.cancel();
    await queue.onIdle();
  });

  it("probe results are the same with and without mentions coming in", async () => {
    // Answers depend only on the seed, as the real engine's do.
    const run = async (mentions: number) => {
      const engine = new ScriptedEngine(2, (o) => ({ chunks: [`s${o.sampling.seed}`, "。"], chunkDelayMs: 2 }));
      const queue = new InferenceQueue(engine, {
        sampling: SAMPLING,
        maxWaiting: 100,
        maxPerUser: 100,
        timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
      });
      const probes = Array.from({ length: 6 }, (_, i) => queue.submit(ask(`p${i}`, "probe", "probe", { sampling: { seed: 100 + i } })));
      const asks = Array.from({ length: mentions }, (_, i) => queue.submit(ask(`i${i}`, `user${i}`)));
      await Promise.all(asks.map((a) => a.result));
      const texts = (await Promise.all(probes.map((p) => p.result))).map((r) => r.text);
      return { texts, preempted: queue.preemptions };
    };
    const quiet = await run(0);
    const busy = await run(4);
    expect(quiet.texts).toEqual(["s100。", "s101。", "s102。", "s103。", "s104。", "s105。"]);
    expect(busy.texts).toEqual(quiet.texts);
    expect(quiet.preempted).toBe(0);
    expect(busy.preempted).toBeGreaterThan(0);
  });

  it("timings count the wait in the queue: first token from submission", async () => {
    const { queue } = setup({ parallel: 1, answers: { hold: { chunks: ["x"], firstChunkDelayMs: 40 } } });
    const hold = queue.submit(ask("hold", "carol"));
    const next = queue.submit(ask("next", "alice"));
    const [held, { timings }] = await Promise.all([hold.result, next.result]);
    expect(held.timings.queueMs).toBeLessThan(timings.queueMs);
    // "next" waited for "hold" to finish: at least hold's scripted 40 ms of prompt evaluation.
    expect(timings.queueMs).toBeGreaterThanOrEqual(35);
    expect(timings.firstTokenMs).toBeGreaterThanOrEqual(timings.queueMs);
    expect(timings.generationMs).toBeGreaterThanOrEqual(0);
  });
});
