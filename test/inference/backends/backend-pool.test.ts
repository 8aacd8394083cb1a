// BackendPool's routing and fault logic with scripted stand-in backends (the pool is under test,
// not the engines; the real llama-server and node-llama-cpp are in backend-pool-real.test.ts):
// slots summed for the queue, configured order, retry once before the first token, back-off and
// return to rotation, an immediate refusal through the queue when nothing is in rotation.

import { describe, expect, it } from "vitest";
import { BackendPool, type PoolMember } from "../../../src/inference/backends/backend-pool.js";
import { BackendError, BackendsUnavailableError } from "../../../src/inference/backends/errors.js";
import { backendMetrics } from "../../../src/inference/backends/metrics.js";
import { InferenceQueue } from "../../../src/inference/queue.js";
import type { GenerateOptions } from "../../../src/inference/types.js";
import { ScriptedEngine, type ScriptedAnswer } from "../../helpers/scripted-engine.js";

const SAMPLING = { temperature: 0, topP: 0.9, maxTokens: 100 };
const FOREVER = 600_000;
const conversation = { systemPrompt: "", turns: [{ role: "user" as const, text: "質問" }] };

/** A member whose health the test switches, with a scripted engine answering `answer()`. */
function member(name: string, slots: number, answer: (callIndex: number, options: GenerateOptions) => ScriptedAnswer = () => ({ chunks: [name] })) {
  const health = { ok: true, checks: 0 };
  const engine = new ScriptedEngine(slots, (options, i) => answer(i, options));
  const spec: PoolMember = {
    name,
    kind: "openai",
    engine,
    slots,
    check: async () => {
      health.checks++;
      if (!health.ok) throw new BackendError(name, "unreachable", "connection refused");
    },
  };
  return { spec, engine, health };
}

function queueOver(pool: BackendPool) {
  return new InferenceQueue(pool, {
    sampling: SAMPLING,
    maxWaiting: 100,
    maxPerUser: 100,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
  });
}

/** A mention answers at once; anything else (a probe run) holds its slot until stopped. */
const MENTION = { systemPrompt: "", turns: [{ role: "user" as const, text: "メンション" }] };
const mentionOrHold = (_i: number, options: GenerateOptions): ScriptedAnswer =>
  options.conversation.turns[0]?.text === "メンション" ? { chunks: ["mention"] } : { chunks: ["p"], firstChunkDelayMs: FOREVER };
const probeRun = (queue: InferenceQueue, seed: number) => queue.submit({ userId: "probe", priority: "probe", conversation, sampling: { seed } });

/** Cancels what is left, waits for it, closes the pool. */
async function finish(queue: InferenceQueue, pool: BackendPool, tickets: readonly { result: Promise<unknown> }[]) {
  queue.cancelAll();
  await Promise.allSettled(tickets.map((t) => t.result));
  await pool[Symbol.asyncDispose]();
}

const ask = (queue: InferenceQueue, userId = "u") => queue.submit({ userId, priority: "interactive", conversation }).result;

describe("BackendPool", () => {
  it("offers the sum of the slots and fills backends in the configured order", async () => {
    const slow = (name: string) => () => ({ chunks: [name], firstChunkDelayMs: 30 });
    const a = member("a", 1, slow("a"));
    const b = member("b", 2, slow("b"));
    const pool = await BackendPool.open([a.spec, b.spec]);
    expect(pool.parallel).toBe(3);
    const queue = queueOver(pool);
    const texts = await Promise.all([1, 2, 3, 4].map((i) => ask(queue, `u${i}`).then((r) => r.text)));
    expect(texts.slice(0, 3)).toEqual(["a", "b", "b"]);
    expect(a.engine.maxRunning).toBe(1);
    expect(b.engine.maxRunning).toBe(2);
    expect(pool.status().map((s) => [s.name, s.state, s.served])).toEqual([
      ["a", "up", texts.filter((t) => t === "a").length],
      ["b", "up", texts.filter((t) => t === "b").length],
    ]);
    await pool[Symbol.asyncDispose]();
  });

  it("retries once on another backend when the first fails before its first token, and takes it out of rotation", async () => {
    const a = member("a", 1, () => ({ chunks: [], fail: new BackendError("a", "server", "HTTP 500") }));
    const b = member("b", 1);
    const logs: string[] = [];
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: FOREVER, log: (_level, m) => logs.push(m) });
    const result = await ask(queueOver(pool));
    expect(result.text).toBe("b");
    const [sa, sb] = pool.status();
    expect(sa).toMatchObject({ state: "down", reason: "HTTP 500", failures: 1, inUse: 0 });
    expect(sb).toMatchObject({ state: "up", served: 1 });
    expect(logs.join("\n")).toMatch(/backend a is out of rotation: HTTP 500/);
    // Out of rotation: the next request goes straight to b.
    expect((await ask(queueOver(pool))).text).toBe("b");
    expect(a.engine.calls).toHaveLength(1);
    await pool[Symbol.asyncDispose]();
  });

  it("passes a request's own failure (HTTP 4xx) through without retrying or blaming the backend", async () => {
    const a = member("a", 1, () => ({ chunks: [], fail: new BackendError("a", "request", "HTTP 400: context too long", 400) }));
    const b = member("b", 1);
    const pool = await BackendPool.open([a.spec, b.spec]);
    await expect(ask(queueOver(pool))).rejects.toThrow("backend a: HTTP 400: context too long");
    expect(pool.status()[0]!.state).toBe("up");
    expect(b.engine.calls).toHaveLength(0);
    await pool[Symbol.asyncDispose]();
  });

  it("refuses at once, through the queue, with every backend's reason when none is in rotation", async () => {
    const a = member("a", 2);
    const b = member("b", 2);
    a.health.ok = false;
    b.health.ok = false;
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: FOREVER });
    const queue = queueOver(pool);
    const error = await ask(queue).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendsUnavailableError);
    expect((error as Error).message).toBe("no inference backend is available: a (connection refused); b (connection refused)");
    expect(queue.stats()).toEqual({ waiting: 0, running: 0 });
    await pool[Symbol.asyncDispose]();
  });

  it("checks a backend out of rotation again with back-off and brings it back by itself", async () => {
    const a = member("a", 1);
    a.health.ok = false;
    const pool = await BackendPool.open([a.spec], { retryMinMs: 5, retryMaxMs: 20, checkIntervalMs: FOREVER });
    expect(pool.status()[0]!.state).toBe("down");
    await expect.poll(() => a.health.checks).toBeGreaterThan(3);
    a.health.ok = true;
    await expect.poll(() => pool.status()[0]!.state).toBe("up");
    expect(pool.status()[0]!.checkMs).not.toBeNull();
    expect((await ask(queueOver(pool))).text).toBe("a");
    await pool[Symbol.asyncDispose]();
  });

  it("starts no more requests than the slots in rotation: the rest wait in the queue, with their place", async () => {
    const a = member("a", 1, (i) => (i === 0 ? { chunks: ["a0"], firstChunkDelayMs: FOREVER } : { chunks: [`a${i}`] }));
    const b = member("b", 1);
    b.health.ok = false;
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: FOREVER });
    expect(pool.parallel).toBe(2);
    expect(pool.capacity.current()).toBe(1);
    const queue = queueOver(pool);
    const first = queue.submit({ userId: "u1", priority: "interactive", conversation });
    const second = queue.submit({ userId: "u2", priority: "interactive", conversation });
    expect(queue.stats()).toEqual({ waiting: 1, running: 1 });
    expect(second.position()).toBe(1);
    first.cancel();
    await expect(first.result).resolves.toMatchObject({ stopReason: "aborted" });
    await expect(second.result).resolves.toMatchObject({ text: "a1" });
    await pool[Symbol.asyncDispose]();
  });

  it("a mention goes before probe runs waiting while a backend is out, and preempts the running one", async () => {
    const a = member("a", 1, mentionOrHold);
    const b = member("b", 1);
    b.health.ok = false;
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: FOREVER });
    const queue = queueOver(pool);
    const probes = [probeRun(queue, 1), probeRun(queue, 2)];
    await expect.poll(() => a.engine.running).toBe(1);
    expect(probes[1]!.position()).toBe(1);
    const mention = queue.submit({ userId: "u1", priority: "interactive", conversation: MENTION });
    // Ahead of the waiting probe run, and the running one is preempted to make room.
    expect(mention.position()).toBe(1);
    await expect(mention.result).resolves.toMatchObject({ text: "mention" });
    expect(queue.preemptions).toBe(1);
    await finish(queue, pool, probes);
  });

  it("when a backend leaves while probe runs hold every slot, a mention preempts enough of them to start", async () => {
    const a = member("a", 1, mentionOrHold);
    const b = member("b", 1, mentionOrHold);
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: FOREVER, checkIntervalMs: 5 });
    const queue = queueOver(pool);
    const probes = [probeRun(queue, 1), probeRun(queue, 2)];
    await expect.poll(() => a.engine.running + b.engine.running).toBe(2);
    b.health.ok = false;
    await expect.poll(() => pool.capacity.current()).toBe(1);
    // Two probe runs run where one slot is left: stopping one would not free it.
    const mention = queue.submit({ userId: "u1", priority: "interactive", conversation: MENTION });
    await expect(mention.result).resolves.toMatchObject({ text: "mention" });
    expect(queue.preemptions).toBe(2);
    await finish(queue, pool, probes);
  });

  it("starts the waiting requests when a backend comes back into rotation", async () => {
    const hold = () => ({ chunks: ["x"], firstChunkDelayMs: FOREVER });
    const a = member("a", 1, hold);
    const b = member("b", 1, hold);
    b.health.ok = false;
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: 5, retryMaxMs: 5, checkIntervalMs: FOREVER });
    const queue = queueOver(pool);
    const tickets = [1, 2].map((i) => queue.submit({ userId: `u${i}`, priority: "interactive", conversation }));
    expect(queue.stats()).toEqual({ waiting: 1, running: 1 });
    b.health.ok = true;
    await expect.poll(() => queue.stats()).toEqual({ waiting: 0, running: 2 });
    expect(pool.capacity.current()).toBe(2);
    expect(b.engine.running).toBe(1);
    await finish(queue, pool, tickets);
  });

  it("refuses the waiting requests too when the last backend in rotation leaves", async () => {
    const a = member("a", 1, () => ({ chunks: [], firstChunkDelayMs: 20, fail: new BackendError("a", "server", "HTTP 503") }));
    const b = member("b", 1);
    b.health.ok = false;
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: FOREVER });
    const queue = queueOver(pool);
    const first = ask(queue, "u1");
    const second = ask(queue, "u2");
    await expect(first).rejects.toBeInstanceOf(BackendsUnavailableError);
    await expect(second).rejects.toThrow("no inference backend is available: a (HTTP 503); b (connection refused)");
    expect(a.engine.calls).toHaveLength(1);
    await pool[Symbol.asyncDispose]();
  });
});

describe("backendMetrics", () => {
  it("exposes each backend's state, slots and counters in Prometheus text format", async () => {
    const a = member("a", 2);
    const b = member("b", 1);
    b.health.ok = false;
    const pool = await BackendPool.open([a.spec, b.spec], { retryMinMs: FOREVER });
    await ask(queueOver(pool));
    const text = backendMetrics(pool.status());
    expect(text).toContain('elyza_backend_up{backend="a",kind="openai"} 1\n');
    expect(text).toContain('elyza_backend_up{backend="b",kind="openai"} 0\n');
    expect(text).toContain('elyza_backend_slots{backend="a",kind="openai"} 2\n');
    expect(text).toContain('elyza_backend_slots_in_use{backend="a",kind="openai"} 0\n');
    expect(text).toContain('elyza_backend_generations_total{backend="a",kind="openai"} 1\n');
    expect(text).toContain('elyza_backend_failures_total{backend="b",kind="openai"} 1\n');
    expect(text).toContain("# TYPE elyza_backend_generations_total counter\n");
    expect(text).toMatch(/elyza_backend_first_token_seconds\{backend="a",kind="openai"\} \d/);
    expect(text).not.toMatch(/elyza_backend_first_token_seconds\{backend="b"/);
    await pool[Symbol.asyncDispose]();
  });
});
