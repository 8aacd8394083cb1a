// The operations surface of a running `elyza-bot start` (child process, generated tiny model,
// fake Slack and Discord on 127.0.0.1): readiness across start-up (downloading from a fake hub,
// loading, connecting, ready), /metrics read with a Prometheus text parser after known traffic,
// and malformed Socket Mode envelopes that used to end the process (Discord included).

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeDiscord } from "../fakes/discord/fake-discord.js";
import { FakeSlack } from "../fakes/slack/fake-slack.js";
import { FakeHub } from "../helpers/fake-hub.js";
import { scrape } from "../helpers/prometheus.js";
import { tinyModelPath } from "../helpers/test-model.js";
import { BotProcess, killAll } from "./bot-process.js";

const SLACK_BOT_TOKEN = "xoxb-elyza-ops-test-bot-T5hs8Qe2";
const SLACK_APP_TOKEN = "xapp-elyza-ops-test-app-K2mv7Xc4";

let model: string;
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  model = await tinyModelPath();
});
afterEach(async () => {
  await killAll();
  await Promise.all(stops.splice(0).map((s) => s()));
});

function config(extra: string[] = []): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-ops-"));
  const file = path.join(dir, "bot.yaml");
  writeFileSync(
    file,
    [
      "engine: {threads: 1, parallel: 2, contextSize: 512}",
      "sampling: {maxTokens: 16}",
      "chat: {editIntervalMs: 200}",
      `probe: {dataDirectory: ${JSON.stringify(path.join(dir, "data"))}}`,
      `model: {directory: ${JSON.stringify(path.join(dir, "models"))}}`,
      "http: {port: 0}",
      "log: {level: info}",
      ...extra,
      "",
    ].join("\n"),
  );
  return { dir, file };
}

async function httpPort(bot: BotProcess): Promise<number> {
  const match = await bot.waitFor(() => /http: \/healthz, \/readyz and \/metrics on port (\d+)/.exec(bot.stdout) ?? undefined, 30_000, "the HTTP server");
  return Number(match[1]);
}

interface ReadyBody {
  ready: boolean;
  notReady: { component: string; state: string; downloadedBytes?: number; totalBytes?: number }[];
}

async function readyz(port: number): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

async function expectCleanStop(bot: BotProcess): Promise<void> {
  bot.signal("SIGTERM");
  expect(await bot.exitWithin(20_000), bot.stdout).toEqual({ code: 0, signal: null });
}

describe("readiness across start-up", () => {
  it("503 naming what is not ready while the model downloads, loads and Slack connects; 200 once all is ready", async () => {
    const data = readFileSync(model);
    const hub = new FakeHub("/test/tiny/resolve/main/tiny.gguf", data);
    await hub.start();
    stops.push(() => hub.stop());
    hub.hold();
    const slack = await FakeSlack.start({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
    stops.push(() => slack.stop());
    const releaseConnect = slack.holdNext("apps.connections.open");

    const { dir, file } = config();
    const bot = BotProcess.start(["start", "--config", file], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        MODEL: "hf:test/tiny/tiny.gguf",
        HF_ENDPOINT: hub.endpoint,
        SLACK_BOT_TOKEN,
        SLACK_APP_TOKEN,
        SLACK_API_URL: slack.apiUrl,
      },
      cwd: dir,
    });
    const port = await httpPort(bot);
    // Alive from the first moment, ready only at the end.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    // Half of the file is sent; the hub holds the rest.
    await expect.poll(async () => (await readyz(port)).body.notReady.find((c) => c.component === "model")?.state, { timeout: 30_000 }).toBe("downloading");
    const downloading = await readyz(port);
    expect(downloading.status).toBe(503);
    expect(downloading.body.ready).toBe(false);
    const modelState = downloading.body.notReady.find((c) => c.component === "model")!;
    expect(modelState.totalBytes).toBe(data.length);
    expect(modelState.downloadedBytes).toBeGreaterThan(0);
    expect(modelState.downloadedBytes).toBeLessThan(data.length);
    expect(downloading.body.notReady).toContainEqual({ component: "slack", state: "connecting" });

    hub.release();
    // Loaded; Slack's apps.connections.open is still held: only Slack is missing.
    await expect.poll(async () => (await readyz(port)).body.notReady.map((c) => c.component), { timeout: 30_000 }).toEqual(["slack"]);
    const connecting = await readyz(port);
    expect(connecting.status).toBe(503);
    expect(connecting.body.notReady).toEqual([{ component: "slack", state: "connecting" }]);

    releaseConnect();
    await expect.poll(async () => (await readyz(port)).status, { timeout: 30_000 }).toBe(200);
    expect((await readyz(port)).body).toMatchObject({ ready: true, notReady: [] });

    // Every stage was passed through, in order (the loading stage is short: the log shows it).
    const stages = [...bot.stdout.matchAll(/readiness: (\w+) (\w+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(stages).toEqual(["model loading", "slack connecting", "model downloading", "model loading", "model ready", "slack ready"]);
    await expectCleanStop(bot);
  }, 90_000);
});

describe("metrics and malformed input on a running bot", () => {
  it("survives malformed envelopes, answers on Slack and Discord, and /metrics counts what happened", async () => {
    const slack = await FakeSlack.start({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
    stops.push(() => slack.stop());
    const discord = await FakeDiscord.start();
    stops.push(() => discord.stop());
    const { dir, file } = config();
    const bot = BotProcess.start(["start", "--config", file, "--model", model], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SLACK_BOT_TOKEN,
        SLACK_APP_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
      },
      cwd: dir,
    });
    const port = await httpPort(bot);
    await expect.poll(async () => (await readyz(port)).status, { timeout: 60_000 }).toBe(200);
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;

    // The shapes that used to end the process: events_api without a payload, and app_rate_limited.
    slack.deliverRaw({ envelope_id: "bad-1", type: "events_api", accepts_response_payload: false, retry_attempt: 0 });
    slack.deliverRaw({
      envelope_id: "bad-2",
      type: "events_api",
      payload: { type: "app_rate_limited", team_id: "T0001", minute_rate_limited: 1518467820, api_app_id: "A0001" },
    });
    await slack.waitForAck("bad-1");
    await slack.waitForAck("bad-2");

    // Known traffic: one answer on each platform, one refusal (an empty mention).
    slack.userSays("C100", "U1", "<@UBOT> 日本の首都は？");
    discord.say({ channel: discord.world.channels.general, author: discord.world.users.alice, content: `<@${discord.world.bot.id}> 富士山の高さは？` });
    slack.userSays("C100", "U2", "<@UBOT>");
    await expect.poll(async () => (await scrape(metricsUrl)).total("elyza_answers_total"), { timeout: 30_000 }).toBe(3);
    expect(bot.hasExited).toBe(false);

    const m = await scrape(metricsUrl);
    expect(m.value("elyza_answers_total", { outcome: "answered" })).toBe(2);
    expect(m.value("elyza_answers_total", { outcome: "refused", reason: "empty_question" })).toBe(1);
    expect(m.value("elyza_malformed_input_total", { platform: "slack", type: "events_api" })).toBe(1);
    expect(m.value("elyza_malformed_input_total", { platform: "slack", type: "app_rate_limited" })).toBe(1);
    // Two generations, timed from submission; nothing waiting or running any more.
    for (const name of ["elyza_request_seconds", "elyza_queue_wait_seconds", "elyza_first_token_seconds", "elyza_generation_seconds"]) {
      expect(m.count(name), name).toBe(2);
      expect(Number(m.sample(name)?.sum), name).toBeGreaterThan(0);
      expect(m.sample(name)?.buckets?.["+Inf"], name).toBe("2");
    }
    expect(m.value("elyza_generated_tokens_total", { priority: "interactive" })).toBeGreaterThan(0);
    expect(m.value("elyza_prompt_tokens_total", { priority: "interactive" })).toBeGreaterThan(0);
    expect(m.value("elyza_queue_depth")).toBe(0);
    expect(m.value("elyza_running_sequences")).toBe(0);
    expect(m.value("elyza_queue_waiting", { priority: "interactive" })).toBe(0);
    // Platform API calls as the fakes saw them.
    expect(m.value("elyza_platform_api_calls_total", { platform: "slack", method: "chat.postMessage" })).toBe(slack.callsTo("chat.postMessage").length);
    expect(m.value("elyza_platform_api_calls_total", { platform: "slack", method: "apps.connections.open" })).toBe(1);
    const discordPosts = discord.requests.filter((r) => r.method === "POST" && /\/channels\/\d+\/messages$/.test(r.path)).length;
    expect(discordPosts).toBeGreaterThan(0);
    expect(m.value("elyza_platform_api_calls_total", { platform: "discord", method: "POST /channels/:id/messages" })).toBe(discordPosts);
    expect(m.total("elyza_platform_api_retries_total")).toBe(0);
    expect(m.total("elyza_platform_reconnects_total")).toBe(0);
    // Every name is the bot's, in base units, counters ending in _total.
    for (const family of m.families) {
      expect(family.name).toMatch(/^elyza_/);
      if (family.type === "COUNTER") expect(family.name).toMatch(/_total$/);
    }

    // The log: JSON lines; one "answer" event per question with ids, outcome and duration — and
    // no question text anywhere at info.
    const events = bot.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const answers = events.filter((e) => e["msg"] === "answer");
    expect(answers.map((e) => `${String(e["platform"])} ${String(e["outcome"])}`).sort()).toEqual(["discord answered", "slack answered", "slack refused"]);
    for (const e of answers) {
      expect(e).toMatchObject({ level: "info", channel: expect.any(String), questionKey: expect.any(String), durationMs: expect.any(Number) });
    }
    const generations = events.filter((e) => e["msg"] === "generation");
    expect(generations).toHaveLength(2);
    for (const e of generations)
      expect(e).toMatchObject({
        priority: "interactive",
        completionTokens: expect.any(Number),
        promptTokens: expect.any(Number),
        firstTokenMs: expect.any(Number),
      });
    expect(bot.stdout).not.toContain("日本の首都");
    expect(bot.stdout).not.toContain("富士山");
    for (const secret of [SLACK_BOT_TOKEN, SLACK_APP_TOKEN, discord.token]) expect(bot.output).not.toContain(secret);

    await expectCleanStop(bot);
  }, 90_000);
});

describe("a port that is taken", () => {
  it("ends start-up with one line naming http.port and PORT, exit 1, no stack", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    stops.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as AddressInfo).port;
    const discord = await FakeDiscord.start();
    stops.push(() => discord.stop());
    const { dir, file } = config();
    const bot = BotProcess.start(["start", "--config", file, "--model", model], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl },
      cwd: dir,
    });
    expect(await bot.exitWithin(30_000)).toEqual({ code: 1, signal: null });
    // The log (stdout) had its start-up events; stderr holds the error alone, on one line.
    expect(bot.stdout).toMatch(/readiness: model loading/);
    expect(bot.stderr.trim().split("\n")).toEqual([
      `elyza-bot: config error: http.port: cannot listen on port ${port} (already in use): set PORT or http.port to a free port`,
    ]);
    expect(bot.output).not.toMatch(/\n\s+at /);
  }, 60_000);
});
