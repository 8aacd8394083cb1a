// The bot's one HTTP server: routes tried in mount order, 404 for nobody's path, 500 (and the
// error reported) for a handler that throws; Slack's Events API mounted on it in HTTP mode next to
// /healthz, /readyz and /metrics, all on one port.

import { afterEach, describe, expect, it, vi } from "vitest";
import { Readiness } from "../../src/http/readiness.js";
import { opsRoutes } from "../../src/http/ops-routes.js";
import { HttpServer, sendJson } from "../../src/http/server.js";
import { startSlack, type SlackAdapter } from "../../src/chat/slack/slack-adapter.js";
import { BotMetrics } from "../../src/metrics/bot-metrics.js";
import { platformObserver } from "../../src/metrics/platform-observer.js";
import { FakeSlack } from "../fakes/slack/fake-slack.js";
import { eventCallback, postSigned } from "../fakes/slack/http-events.js";
import { Scrape } from "../helpers/prometheus.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(onError?: (e: unknown) => void): Promise<HttpServer> {
  const s = await HttpServer.listen({ port: 0, host: "127.0.0.1", ...(onError ? { onError } : {}) });
  cleanups.push(() => s[Symbol.asyncDispose]());
  return s;
}

describe("HttpServer", () => {
  it("tries routes in mount order; the first that returns true owns the request; 404 otherwise", async () => {
    const s = await server();
    const seen: string[] = [];
    s.mount(async (req) => (seen.push(`a ${req.url}`), false));
    s.mount(async (req, res) => {
      if (req.url !== "/v1/models") return false;
      sendJson(res, 200, { data: [] });
      return true;
    });
    s.mount(async (_req, res) => (sendJson(res, 200, { late: true }), true));
    const models = await fetch(`http://127.0.0.1:${s.port}/v1/models`);
    expect(models.status).toBe(200);
    expect(await models.json()).toEqual({ data: [] });
    expect(seen).toEqual(["a /v1/models"]);

    const bare = await server();
    const missing = await fetch(`http://127.0.0.1:${bare.port}/nowhere?x=1`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not_found", path: "/nowhere" });
  });

  it("answers 500 for a handler that throws, reports the error, and keeps serving", async () => {
    const errors: unknown[] = [];
    const s = await server((e) => errors.push(e));
    s.mount(async (req) => {
      if (req.url === "/boom") throw new Error("handler broke");
      return false;
    });
    s.mount(opsRoutes({ readiness: new Readiness(), metrics: new BotMetrics({ processMetrics: false }) }));
    expect((await fetch(`http://127.0.0.1:${s.port}/boom`)).status).toBe(500);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("handler broke");
    expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
  });

  it("/readyz is 503 before anything registered, names what is not ready, and is 200 once all is", async () => {
    const s = await server();
    const readiness = new Readiness();
    s.mount(opsRoutes({ readiness, metrics: new BotMetrics({ processMetrics: false }) }));
    const get = async () => {
      const res = await fetch(`http://127.0.0.1:${s.port}/readyz`);
      return { status: res.status, body: (await res.json()) as { notReady: unknown[] } };
    };
    expect((await get()).status).toBe(503);
    readiness.set("model", { state: "downloading", downloadedBytes: 10, totalBytes: 100 });
    readiness.set("discord", { state: "connecting" });
    expect(await get()).toEqual({
      status: 503,
      body: {
        ready: false,
        notReady: [
          { component: "model", state: "downloading", downloadedBytes: 10, totalBytes: 100 },
          { component: "discord", state: "connecting" },
        ],
        components: { model: { state: "downloading", downloadedBytes: 10, totalBytes: 100 }, discord: { state: "connecting" } },
      },
    });
    readiness.set("model", { state: "ready" });
    readiness.set("discord", { state: "ready" });
    expect((await get()).status).toBe(200);
    // A platform that drops its connection is not ready until it is back.
    readiness.set("discord", { state: "connecting" });
    expect((await get()).body.notReady).toEqual([{ component: "discord", state: "connecting" }]);
  });
});

describe("Slack HTTP mode on the bot's server", () => {
  it("serves signed Events API requests and the operations endpoints on one port; Web API attempts, retries and 429s are counted", async () => {
    const fake = await FakeSlack.start();
    cleanups.push(() => fake.stop());
    const s = await server();
    const metrics = new BotMetrics({ processMetrics: false });
    const readiness = new Readiness();
    s.mount(opsRoutes({ readiness, metrics }));
    readiness.set("model", { state: "ready" });
    const answered: string[] = [];
    const adapter: SlackAdapter = await startSlack({
      botToken: fake.botToken,
      signingSecret: "secret-for-mounted-mode",
      apiUrl: fake.apiUrl,
      httpServer: s,
      responder: {
        answer: async (question, reply) => {
          await reply.post(`echo: ${question.text}`);
          answered.push(question.text);
          return { kind: "answered", text: question.text, messages: 1 };
        },
        cancelSource: () => false,
        isProbeAdmin: () => false,
      },
      historyMessages: 0,
      editIntervalMs: 1000,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      retryConfig: { retries: 3, factor: 1, minTimeout: 5, maxTimeout: 5 },
      observer: platformObserver("slack", metrics, readiness),
    });
    cleanups.push(() => adapter[Symbol.asyncDispose]());
    expect(adapter.port).toBeUndefined(); // it did not listen itself
    expect(readiness.report().ready).toBe(true);

    // The post fails twice with 503 and once with 429 (Retry-After: 0) before it goes through.
    fake.failNext("chat.postMessage", { status: 503 }, 2);
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 0 });
    const ts = fake.nextTs();
    const body = eventCallback({ type: "app_mention", user: "U1", text: "<@UBOT> やあ", ts, channel: "C1" }, { eventId: "EvMOUNT" });
    const res = await postSigned(`http://127.0.0.1:${s.port}/slack/events`, body, { signingSecret: "secret-for-mounted-mode" });
    expect(res.status).toBe(200);
    const forged = await postSigned(`http://127.0.0.1:${s.port}/slack/events`, body, { signingSecret: "secret-for-mounted-mode", badSignature: true });
    expect(forged.status).toBe(401);
    await vi.waitFor(() => expect(answered.length === 1, "the answer").toBeTruthy(), { timeout: 10_000 });
    expect(fake.callsTo("chat.postMessage").map((c) => c.status)).toEqual([503, 503, 429, 200]);

    const m = new Scrape((await metrics.render()).body);
    expect(m.value("elyza_platform_api_calls_total", { platform: "slack", method: "chat.postMessage" })).toBe(4);
    expect(m.value("elyza_platform_api_retries_total", { platform: "slack", method: "chat.postMessage" })).toBe(3);
    expect(m.value("elyza_platform_api_rate_limited_total", { platform: "slack", method: "chat.postMessage" })).toBe(1);
    expect(m.value("elyza_platform_api_calls_total", { platform: "slack", method: "auth.test" })).toBe(1);
    expect(m.value("elyza_platform_api_retries_total", { platform: "slack", method: "auth.test" })).toBe(0);
    expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
  });
});
