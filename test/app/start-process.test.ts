// The whole bot as a user runs it: `node bin/elyza-bot.js start` in a child process with a clean
// environment, on the generated tiny model, talking to the fake Slack (Web API + Socket Mode) and
// the fake Discord (REST + gateway) on 127.0.0.1. Run `npm run build` first: the bin imports dist/.

import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/core/messages.js";
import { FakeDiscord } from "../fakes/discord/fake-discord.js";
import type { FakeMessage } from "../fakes/discord/world.js";
import { FakeSlack } from "../fakes/slack/fake-slack.js";
import { tinyModelPath } from "../helpers/test-model.js";
import { BotProcess, killAll } from "./bot-process.js";

// Distinctive values, so that finding one in the output can only mean a leak.
const SLACK_BOT_TOKEN = "xoxb-elyza-proc-test-bot-Q7kz2Wm9";
const SLACK_APP_TOKEN = "xapp-elyza-proc-test-app-R4vN8pL3";
const ADMIN = "UADMIN";
const CHANNEL = "C100";
const TITLES = ["心のモデル", "国語の問題", "モンティ・ホール問題"];

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-start-"));
const configFile = path.join(dir, "bot.yaml");
// One llama.cpp thread (two spin-wait on a busy 2-core machine); short answers; info-level logs so
// that readiness shows in the log (stdout) and there is plenty of log output to search for leaked tokens.
writeFileSync(
  configFile,
  [
    "engine: {threads: 1, parallel: 2, contextSize: 1024}",
    "sampling: {maxTokens: 48}",
    "chat: {editIntervalMs: 200}",
    `probe: {dataDirectory: ${JSON.stringify(path.join(dir, "data"))}}`,
    `access: {probeAdmins: [${ADMIN}]}`,
    // /healthz etc. on any free port: other test files start bots at the same time.
    "http: {port: 0}",
    "log: {level: info}",
    "",
  ].join("\n"),
);

let model: string;
const fakes: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  if (!existsSync(path.resolve("dist/cli.js"))) throw new Error("dist/cli.js is missing: run `npm run build` first (bin/elyza-bot.js imports dist/)");
  model = await tinyModelPath();
});
afterEach(async () => {
  await killAll();
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});
afterAll(killAll);

function startBot(platformEnv: Record<string, string>): BotProcess {
  // The working directory is a temp dir: no .env file there to fill in variables.
  return BotProcess.start(["start", "--config", configFile, "--model", model], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...platformEnv },
    cwd: dir,
  });
}

async function startFakes(which: { slack?: boolean; discord?: boolean }) {
  const slack = which.slack ? await FakeSlack.start({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN }) : undefined;
  if (slack) fakes.push(slack);
  const discord = which.discord ? await FakeDiscord.start() : undefined;
  if (discord) fakes.push(discord);
  return { slack, discord };
}

function slackEnv(slack: FakeSlack): Record<string, string> {
  return { SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL: slack.apiUrl };
}

function discordEnv(discord: FakeDiscord): Record<string, string> {
  return { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl };
}

const isPlaceholder = (text: string) => text === messages.thinking || text.startsWith("順番待ち");

/**
 * The final text of an answer: once `read` gives a text that is not a placeholder and has not
 * changed for `quietMs` (answers here are 48 tokens: generation takes well under a second).
 */
async function finalText(bot: BotProcess, read: () => string | undefined, what: string, quietMs = 1500): Promise<string> {
  let last: string | undefined;
  let since = Date.now();
  return bot.waitFor(
    () => {
      const now = read();
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return now !== undefined && !isPlaceholder(now) && Date.now() - since >= quietMs ? now : undefined;
    },
    30_000,
    what,
  );
}

/** The bot's reply to `question` on the fake Discord. */
function discordReply(discord: FakeDiscord, question: FakeMessage): FakeMessage | undefined {
  return discord.botMessages(question.channel_id).find((m) => m.message_reference?.message_id === question.id);
}

async function askDiscord(bot: BotProcess, discord: FakeDiscord, text: string): Promise<{ question: FakeMessage; answer: string }> {
  const { general } = discord.world.channels;
  const question = discord.say({ channel: general, author: discord.world.users.alice, content: `<@${discord.world.bot.id}> ${text}` });
  const answer = await finalText(bot, () => discordReply(discord, question)?.content, "the Discord answer");
  // Posted as a reply (a placeholder), then edited into the answer.
  expect(discordReply(discord, question)?.edited_timestamp).not.toBeNull();
  return { question, answer };
}

function expectAnswerShape(answer: string, limit: number): void {
  expect(answer.trim().length).toBeGreaterThan(0);
  expect(answer.length).toBeLessThanOrEqual(limit);
  expect(answer).not.toBe(messages.engineError);
  expect(answer).not.toBe(messages.tooLong);
}

async function expectCleanStop(bot: BotProcess, secrets: readonly string[]): Promise<void> {
  bot.signal("SIGTERM");
  const exit = await bot.exitWithin(10_000);
  expect(exit, `still running 10 s after SIGTERM\n--- stderr:\n${bot.stdout}`).toEqual({ code: 0, signal: null });
  for (const secret of secrets) expect(bot.output).not.toContain(secret);
  // A log line for a user error or a crash would carry a stack trace.
  expect(bot.output).not.toMatch(/\n\s+at /);
}

describe("elyza-bot start (child process)", () => {
  it("runs Slack (Socket Mode) and Discord at once: answers on both, /probe reports in Slack, no terminal chat, stops on SIGTERM", async () => {
    const { slack, discord } = await startFakes({ slack: true, discord: true });
    const bot = startBot({ ...slackEnv(slack!), ...discordEnv(discord!) });
    await bot.waitFor(() => /slack: connected/.test(bot.stdout) && /discord: connected/.test(bot.stdout), 30_000, "both platforms to connect");

    // Slack: the answer goes into the question's thread, with the bot token.
    const said = slack!.userSays(CHANNEL, "U1", "<@UBOT> 日本の首都はどこですか？");
    // Discord: the answer is a reply to the question.
    const [slackAnswer, discordAnswer] = await Promise.all([
      finalText(bot, () => slack!.store.thread(CHANNEL, said.ts).find((m) => m.user === slack!.botUserId)?.text, "the Slack answer"),
      askDiscord(bot, discord!, "富士山の高さは？"),
    ]);
    expectAnswerShape(slackAnswer, 40_000);
    // Streamed natively (the default) into the question's thread, for the asker and their team.
    const streams = slack!.callsTo("chat.startStream");
    expect(streams).toHaveLength(1);
    expect(streams[0]!.args).toMatchObject({ channel: CHANNEL, thread_ts: said.ts, recipient_user_id: "U1", recipient_team_id: slack!.teamId });
    expect(slack!.callsTo("chat.postMessage")).toHaveLength(0);
    const answerTs = slack!.store.thread(CHANNEL, said.ts).find((m) => m.user === slack!.botUserId)!.ts;
    expect(slack!.streams.get(answerTs)?.stopped).toBe(true);
    expect(slack!.callsTo("apps.connections.open")[0]?.token).toBe(SLACK_APP_TOKEN);
    expect(slack!.calls.filter((c) => c.method.startsWith("chat.")).every((c) => c.token === SLACK_BOT_TOKEN && c.status === 200)).toBe(true);
    expectAnswerShape(discordAnswer.answer, 2000);
    expect(discordAnswer.question.content).toContain("富士山");

    // /probe runs=1 from an admin: acked within Slack's 3 s, then one channel message that ends as the report.
    const command = slack!.deliverCommand({ command: "/probe", text: "runs=1", user_id: ADMIN, channel_id: CHANNEL });
    const ack = await slack!.waitForAck(command.envelopeId, 3000);
    expect(ack.latencyMs).toBeLessThan(3000);
    expect(ack.payload).toEqual({}); // not an ephemeral refusal: UADMIN is a probe admin by the config
    await bot.waitFor(() => slack!.callsTo("files.completeUploadExternal").length >= 1, 40_000, "the probe report and its transcript");
    const report = slack!.store.all(CHANNEL).find((m) => m.user === slack!.botUserId && !m.thread_ts);
    expect(report).toBeDefined();
    expect(report!.edits).toBeGreaterThanOrEqual(1);
    expect(report!.text).toMatch(/^プローブ結果 seed: /);
    const blocks = JSON.stringify(report!.blocks);
    for (const title of TITLES) {
      // Each test ran once; the random model's tally is what it is (honestly, almost surely 0/1).
      expect(report!.text).toMatch(new RegExp(`${title} [01]/1`));
      expect(blocks).toContain(title);
    }
    expect(slack!.uploads[0]?.content).toContain("# プローブ記録: seed");

    // The terminal chat did not start: no banner, no prompt.
    expect(bot.stdout).not.toContain("あなた>");
    expect(bot.stdout).not.toContain("質問を入力してください");

    // SIGTERM in the middle of a longer probe still stops the process cleanly.
    const before = slack!.callsTo("chat.postMessage").length;
    const updatesBefore = slack!.callsTo("chat.update").length;
    slack!.deliverCommand({ command: "/probe", text: "runs=40", user_id: ADMIN, channel_id: CHANNEL });
    await bot.waitFor(() => slack!.callsTo("chat.postMessage").length > before, 10_000, "the second probe to start");
    // Into the runs: its progress message has been updated at least once.
    await bot.waitFor(() => slack!.callsTo("chat.update").length > updatesBefore, 20_000, "the second probe's first progress");
    await expectCleanStop(bot, [SLACK_BOT_TOKEN, SLACK_APP_TOKEN, discord!.token]);
    // The probe message does not stay at its progress bar: it ends as the (partial) cancelled report.
    const last = slack!.callsTo("chat.update").at(-1)!;
    expect(String(last.args["text"])).toMatch(/^プローブ中止 seed/);
  }, 60_000);

  it("runs Discord alone (no Slack variables), answers a mention, stops on SIGTERM", async () => {
    const { discord } = await startFakes({ discord: true });
    const bot = startBot(discordEnv(discord!));
    await bot.waitFor(() => /discord: connected/.test(bot.stdout), 30_000, "Discord to connect");
    expect(bot.stdout).not.toMatch(/slack/i);

    const { question, answer } = await askDiscord(bot, discord!, "こんにちは");
    expectAnswerShape(answer, 2000);
    const reply = discordReply(discord!, question)!;
    expect(reply.mention_everyone).toBe(false);
    for (const write of discord!.requests.filter((r) => r.method === "POST" || r.method === "PATCH")) {
      expect(write.body?.allowed_mentions).toEqual({ parse: [], replied_user: false });
    }
    expect(bot.stdout).not.toContain("あなた>");

    await expectCleanStop(bot, [discord!.token]);
  }, 45_000);

  it("refuses half-set Slack credentials: exits non-zero with one line naming what is missing", async () => {
    const bot = startBot({ SLACK_BOT_TOKEN });
    const exit = await bot.exitWithin(20_000);
    expect(exit).toBeDefined();
    expect(exit!.code).not.toBe(0);
    const lines = bot.stderr.trim().split("\n");
    expect(lines, bot.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/SLACK_APP_TOKEN/);
    expect(lines[0]).toMatch(/SLACK_SIGNING_SECRET/);
    expect(bot.output).not.toContain(SLACK_BOT_TOKEN);
    expect(bot.stdout).toBe("");
  }, 30_000);
});
