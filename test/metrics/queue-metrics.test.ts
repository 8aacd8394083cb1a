// The submit decorator against the real InferenceQueue (ScriptedEngine: the engine is not under
// test): waiting by priority while requests queue, interactive requests timed, probe runs only
// counted, tokens totalled, a request cancelled while waiting leaves nothing behind — and the
// Socket Mode observer counting a reconnect and flipping readiness.

import { describe, expect, it, vi } from "vitest";
import { Readiness } from "../../src/http/readiness.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import { CancelledError } from "../../src/inference/errors.js";
import { BotMetrics } from "../../src/metrics/bot-metrics.js";
import { platformObserver } from "../../src/metrics/platform-observer.js";
import { instrumentQueue, type RequestEnd } from "../../src/metrics/queue-metrics.js";
import { startSlack } from "../../src/chat/slack/slack-adapter.js";
import { FakeSlack } from "../fakes/slack/fake-slack.js";
import { ScriptedEngine } from "../helpers/scripted-engine.js";
import { Scrape } from "../helpers/prometheus.js";

const conversation = (text: string) => ({ systemPrompt: "", turns: [{ role: "user" as const, text }] });

async function read(metrics: BotMetrics): Promise<Scrape> {
  return new Scrape((await metrics.render()).body);
}

describe("instrumentQueue", () => {
  it("shows waiting requests by priority, times interactive ones, counts tokens of all", async () => {
    // One sequence: the second and third requests wait for the first.
    const engine = new ScriptedEngine(1, () => ({ chunks: ["あ", "い", "う"], chunkDelayMs: 20 }));
    const raw = new InferenceQueue(engine, {
      sampling: { temperature: 0, topP: 1, maxTokens: 100 },
      maxWaiting: 10,
      maxPerUser: 10,
      timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 60_000 },
    });
    const metrics = new BotMetrics({ processMetrics: false });
    const ends: RequestEnd[] = [];
    const queue = instrumentQueue(raw, metrics, { onEnd: (e) => ends.push(e) });

    const first = queue.submit({ userId: "slack:U1", priority: "interactive", conversation: conversation("一") });
    const probe = queue.submit({ userId: "probe", priority: "probe", conversation: conversation("二") });
    const second = queue.submit({ userId: "slack:U2", priority: "interactive", conversation: conversation("三") });
    let m = await read(metrics);
    expect(m.value("elyza_queue_waiting", { priority: "interactive" }) + m.value("elyza_queue_waiting", { priority: "probe" })).toBe(raw.stats().waiting);
    expect(m.value("elyza_queue_waiting", { priority: "probe" })).toBe(1);
    expect(m.value("elyza_queue_depth")).toBe(raw.stats().waiting);
    expect(m.value("elyza_running_sequences")).toBe(1);

    await Promise.all([first.result, probe.result, second.result]);
    m = await read(metrics);
    expect(m.value("elyza_queue_waiting", { priority: "interactive" })).toBe(0);
    expect(m.value("elyza_queue_waiting", { priority: "probe" })).toBe(0);
    expect(m.value("elyza_running_sequences")).toBe(0);
    // Interactive requests only in the histograms; the probe run's tokens are counted all the same.
    expect(m.count("elyza_request_seconds")).toBe(2);
    expect(m.count("elyza_first_token_seconds")).toBe(2);
    expect(m.value("elyza_generated_tokens_total", { priority: "interactive" })).toBe(6);
    expect(m.value("elyza_generated_tokens_total", { priority: "probe" })).toBe(3);
    expect(m.value("elyza_prompt_tokens_total", { priority: "interactive" })).toBe(2);
    expect(ends.map((e) => `${e.userId} ${e.end} ${e.completionTokens}`).sort()).toEqual(["probe done 3", "slack:U1 done 3", "slack:U2 done 3"]);
    // The one that waited shows it; every stage is timed from submission.
    const waited = ends.find((e) => e.userId === "slack:U2")!;
    expect(waited.queueMs).toBeGreaterThan(0);
    expect(waited.firstTokenMs).toBeGreaterThanOrEqual(waited.queueMs!);
    expect(waited.totalMs).toBeGreaterThanOrEqual(waited.firstTokenMs!);
  });

  it("a request cancelled while waiting leaves no waiting count and no timings", async () => {
    const engine = new ScriptedEngine(1, () => ({ chunks: ["x"], chunkDelayMs: 0, firstChunkDelayMs: 50 }));
    const raw = new InferenceQueue(engine, {
      sampling: { temperature: 0, topP: 1, maxTokens: 100 },
      maxWaiting: 10,
      maxPerUser: 10,
      timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 60_000 },
    });
    const metrics = new BotMetrics({ processMetrics: false });
    const ends: RequestEnd[] = [];
    const queue = instrumentQueue(raw, metrics, { onEnd: (e) => ends.push(e) });
    const running = queue.submit({ userId: "a", priority: "interactive", conversation: conversation("a") });
    const waiting = queue.submit({ userId: "b", priority: "interactive", conversation: conversation("b") });
    expect((await read(metrics)).value("elyza_queue_waiting", { priority: "interactive" })).toBe(1);
    waiting.cancel("test");
    await expect(waiting.result).rejects.toBeInstanceOf(CancelledError);
    await running.result;
    const m = await read(metrics);
    expect(m.value("elyza_queue_waiting", { priority: "interactive" })).toBe(0);
    expect(m.count("elyza_queue_wait_seconds")).toBe(1);
    expect(m.count("elyza_request_seconds")).toBe(2);
    expect(ends.find((e) => e.userId === "b")).toMatchObject({ end: "CancelledError", queueMs: undefined, generationMs: undefined });
  });
});

describe("platformObserver on Socket Mode", () => {
  it("is connecting until hello, ready after, connecting while a refresh reconnects, and counts the reconnect", async () => {
    const fake = await FakeSlack.start();
    const metrics = new BotMetrics({ processMetrics: false });
    const readiness = new Readiness();
    const states: string[] = [];
    readiness.onChange((component, s) => states.push(`${component} ${s.state}`));
    const adapter = await startSlack({
      botToken: fake.botToken,
      appToken: fake.appToken,
      apiUrl: fake.apiUrl,
      responder: { answer: async () => ({ kind: "cancelled" }), cancelSource: () => false, isProbeAdmin: () => false },
      historyMessages: 0,
      editIntervalMs: 1000,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      observer: platformObserver("slack", metrics, readiness),
    });
    try {
      expect(readiness.state("slack")).toEqual({ state: "ready" });
      fake.sendDisconnect("refresh_requested");
      await vi.waitFor(() => expect(fake.helloAt.length === 2 && readiness.state("slack")?.state === "ready", "the reconnection").toBeTruthy(), {
        timeout: 10_000,
      });
      expect(states).toEqual(["slack connecting", "slack ready", "slack connecting", "slack ready"]);
      expect((await read(metrics)).value("elyza_platform_reconnects_total", { platform: "slack" })).toBe(1);
    } finally {
      await adapter[Symbol.asyncDispose]();
      await fake.stop();
    }
  });
});
