// SIGTERM to the top process of each documented way to start the bot (`node bin/elyza-bot.js
// start`, as the Docker image runs it under tini, and `npm start`) reaches the bot: it drains
// (stops its adapters, lets answers end, unloads the model) and exits 0. Before, `npm start` left
// node running behind npm → sh, so `docker stop` ended in a SIGKILL without a drain.

import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeDiscord } from "../fakes/discord/fake-discord.js";
import { tinyModelPath } from "../helpers/test-model.js";
import { BotProcess, killAll } from "./bot-process.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-signals-"));
const configFile = path.join(dir, "bot.yaml");
writeFileSync(
  configFile,
  [
    "engine: {threads: 1, parallel: 1, contextSize: 512}",
    "sampling: {maxTokens: 16}",
    `probe: {dataDirectory: ${JSON.stringify(path.join(dir, "data"))}}`,
    // Any free port: several bots may run at once in the test suite.
    "http: {port: 0}",
    "log: {level: info}",
    "",
  ].join("\n"),
);

let model: string;
let discord: FakeDiscord | undefined;
beforeAll(async () => {
  if (!existsSync(path.resolve("dist/cli.js"))) throw new Error("dist/cli.js is missing: run `npm run build` first");
  model = await tinyModelPath();
});
afterEach(async () => {
  await killAll();
  await discord?.stop();
  discord = undefined;
});

const ways: { name: string; start: (args: string[], env: NodeJS.ProcessEnv) => BotProcess }[] = [
  { name: "node bin/elyza-bot.js start", start: (args, env) => BotProcess.start(["start", ...args], { env, cwd: dir }) },
  { name: "npm start", start: (args, env) => BotProcess.npmStart(args, { env }) },
];

describe("SIGTERM reaches the bot", () => {
  for (const way of ways) {
    it(`${way.name}: the drain runs and the exit code is 0`, async () => {
      discord = await FakeDiscord.start();
      const bot = way.start(["--config", configFile, "--model", model], {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
      });
      await bot.waitFor(() => /discord: connected/.test(bot.stdout), 60_000, "Discord to connect");
      // An answer first, so there is a model and an adapter with work behind them to stop.
      const question = discord.say({
        channel: discord.world.channels.general,
        author: discord.world.users.alice,
        content: `<@${discord.world.bot.id}> こんにちは`,
      });
      await bot.waitFor(
        () => /answered|discord: answer/.test(bot.stdout) || discord!.botMessages(question.channel_id).some((m) => m.edited_timestamp !== null),
        30_000,
        "the answer",
      );

      bot.signal("SIGTERM");
      const exit = await bot.exitWithin(20_000);
      expect(exit, `still running 20 s after SIGTERM\n--- stderr:\n${bot.stdout}`).toEqual({ code: 0, signal: null });
      // The drain ran to its end: the signal was seen by the bot, and it stopped everything.
      expect(bot.stdout).toMatch(/SIGTERM: stopping/);
      expect(bot.stdout).toMatch(/\bstopped\b/);
      expect(bot.stdout.indexOf("SIGTERM: stopping")).toBeLessThan(bot.stdout.lastIndexOf("stopped"));
    }, 90_000);
  }
});
