// The bot as a user runs it (`elyza-bot start` in a child process) with two backends: its own
// in-process model and the real llama-server on 127.0.0.1. Two Discord mentions at once (the fake
// Discord on 127.0.0.1) are answered, one by each backend; and the API refuses to start without its token.

import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/core/messages.js";
import type { LlamaServerProcess } from "../../src/llama-server/process.js";
import { FakeDiscord } from "../fakes/discord/fake-discord.js";
import type { FakeMessage } from "../fakes/discord/world.js";
import { LLAMA_SERVER_HOOK_TIMEOUT, startTestLlamaServer } from "../helpers/llama-server.js";
import { asciiModelPath } from "../helpers/test-model.js";
import { BotProcess, killAll } from "./bot-process.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-backends-start-"));

async function predicted(server: LlamaServerProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(
    text
      .split("\n")
      .find((l) => l.startsWith("llamacpp:tokens_predicted_total"))
      ?.split(/\s+/)[1] ?? NaN,
  );
}

describe("elyza-bot start with an in-process model and a llama-server backend", () => {
  let server: LlamaServerProcess;
  let model: string;
  let configFile: string;
  let discord: FakeDiscord | undefined;

  beforeAll(async () => {
    if (!existsSync(path.resolve("dist/cli.js"))) throw new Error("dist/cli.js is missing: run `npm run build` first");
    server = await startTestLlamaServer({ parallel: 1 });
    model = await asciiModelPath();
    configFile = path.join(dir, "bot.yaml");
    writeFileSync(
      configFile,
      [
        "engine:",
        "  threads: 1",
        "  parallel: 1",
        "  contextSize: 1024",
        "  backends:",
        "    - { name: local, kind: in-process }",
        `    - { name: llama, kind: openai, baseUrl: "${server.url}/v1", model: test-model, slots: 1 }`,
        "sampling: {maxTokens: 600}",
        "chat: {editIntervalMs: 200}",
        `probe: {dataDirectory: ${JSON.stringify(path.join(dir, "data"))}}`,
        "log: {level: info}",
        "",
      ].join("\n"),
    );
  }, LLAMA_SERVER_HOOK_TIMEOUT);
  afterEach(async () => {
    await killAll();
    await discord?.stop();
    discord = undefined;
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  it("answers two mentions at once, one on each backend", async () => {
    discord = await FakeDiscord.start();
    const fake = discord;
    const bot = BotProcess.start(["start", "--config", configFile, "--model", model], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl },
      cwd: dir,
    });
    await bot.waitFor(() => /discord: connected/.test(bot.stdout), 60_000, "Discord to connect");
    expect(bot.stdout).toMatch(/backend llama \(openai, test-model\): up, 1 slots/);
    const before = await predicted(server);

    const { general } = fake.world.channels;
    const { alice, bob } = fake.world.users;
    const questions = [alice, bob].map((author) => fake.say({ channel: general, author, content: `<@${fake.world.bot.id}> 日本の首都は？` }));
    const reply = (q: FakeMessage) => fake.botMessages(q.channel_id).find((m) => m.message_reference?.message_id === q.id);
    // An ASCII test model never stops early: each answer is 600 tokens (long enough that both run at once) and ends with the length note.
    const answers = await bot.waitFor(
      () => {
        const texts = questions.map((q) => reply(q)?.content);
        return texts.every((t) => t?.endsWith(messages.cutByLength)) ? (texts as string[]) : undefined;
      },
      30_000,
      "both answers",
    );
    for (const answer of answers) expect(answer.slice(0, -messages.cutByLength.length).trim()).toMatch(/^[\x20-\x7e\n]+$/);
    // One of them came from the server (600 tokens), the other from the in-process model.
    expect((await predicted(server)) - before).toBe(600);
    bot.signal("SIGTERM");
    expect(await bot.exitWithin(10_000)).toEqual({ code: 0, signal: null });
  });

  it("does not start the API without ELYZA_API_TOKEN, naming it", async () => {
    const apiConfig = path.join(dir, "api.yaml");
    writeFileSync(apiConfig, `engine: {threads: 1}\napi: {enabled: true}\nprobe: {dataDirectory: ${JSON.stringify(path.join(dir, "data"))}}\n`);
    const bot = BotProcess.start(["start", "--config", apiConfig, "--model", model, "--console"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      cwd: dir,
    });
    const exit = await bot.exited;
    expect(exit.code).toBe(1);
    expect(bot.stderr.trim()).toMatch(/^elyza-bot: config error: api\.enabled is true but ELYZA_API_TOKEN is not set/);
  });
});
