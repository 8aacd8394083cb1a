// kill -9 mid-answer, then a restart against the same fake platforms: the whole bot as a child
// process (`node bin/elyza-bot.js start`) on the generated tiny model. The fakes freeze the bot at a
// known point first — an edit that Discord/Slack applied but never answered (the answer is on
// screen, the bot waits), posts that never arrive (questions accepted, nothing shown), and on
// Discord a post that was stored but never answered (a placeholder the bot has no id for) — then
// SIGKILL. The restarted bot must end the frozen answer with the marker and answer each waiting
// question exactly once. Run `npm run build` first: the bin imports dist/.

import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../src/core/messages.js";
import { isStatusText } from "../../src/core/status-texts.js";
import { FakeDiscord } from "../fakes/discord/fake-discord.js";
import type { FakeMessage } from "../fakes/discord/world.js";
import { FakeSlack } from "../fakes/slack/fake-slack.js";
import { tinyModelPath } from "../helpers/test-model.js";
import { BotProcess, killAll } from "./bot-process.js";

const POST = /^\/channels\/\d+\/messages$/;
const PATCH = /^\/channels\/\d+\/messages\/\d+$/;
const SLACK_BOT_TOKEN = "xoxb-elyza-crash-test-bot";
const SLACK_APP_TOKEN = "xapp-elyza-crash-test-app";

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

/** A config in a fresh directory; its data directory (and so the journal) is shared by both runs. */
function writeConfig(slack: { nativeStreaming: boolean } = { nativeStreaming: false }): { dir: string; configFile: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-crash-"));
  const configFile = path.join(dir, "bot.yaml");
  writeFileSync(
    configFile,
    [
      // 1200 tokens take the tiny model a few seconds here (it does not stop early): an edit 200 ms
      // into the answer shows part of it. ~1,400 characters: one message on either platform.
      "engine: {threads: 1, parallel: 1, contextSize: 2048}",
      "sampling: {maxTokens: 1200}",
      `chat: {editIntervalMs: 200, slack: {nativeStreaming: ${slack.nativeStreaming}}}`,
      `probe: {dataDirectory: ${JSON.stringify(path.join(dir, "data"))}}`,
      "log: {level: info}",
      "",
    ].join("\n"),
  );
  return { dir, configFile };
}

function startBot(config: { dir: string; configFile: string }, env: Record<string, string>): BotProcess {
  return BotProcess.start(["start", "--config", config.configFile, "--model", model], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd: config.dir,
  });
}

/** The text once it is not a placeholder and has not changed for `quietMs`. */
async function settledText(bot: BotProcess, read: () => string | undefined, what: string, quietMs = 1500): Promise<string> {
  let last: string | undefined;
  let since = Date.now();
  return bot.waitFor(
    () => {
      const now = read();
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return now !== undefined && !isStatusText(now) && Date.now() - since >= quietMs ? now : undefined;
    },
    30_000,
    what,
  );
}

describe("kill -9 mid-answer, then restart", () => {
  it("Discord: the frozen answer gets the end marker, the questions that were waiting are answered exactly once", async () => {
    const discord = await FakeDiscord.start();
    fakes.push(discord);
    const config = writeConfig();
    const env = { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl };
    const { general, thread, dm } = discord.world.channels;
    const ask = (text: string, channel = general) => discord.say({ channel, author: discord.world.users.alice, content: `<@${discord.world.bot.id}> ${text}` });
    const replies = (q: FakeMessage) => discord.botMessages().filter((m) => m.message_reference?.message_id === q.id);
    const postsFor = (q: FakeMessage) => discord.requestsTo("POST", POST).filter((r) => r.body?.message_reference?.message_id === q.id);

    const first = startBot(config, env);
    await first.waitFor(() => /discord: connected/.test(first.stdout), 30_000, "Discord to connect");

    // Edits land but are never answered: A's answer is on screen and the bot waits on it.
    const unfreezeEdits = discord.fault({ method: "PATCH", path: PATCH, applied: true, hang: true });
    const a = ask("富士山の高さは？");
    const frozenText = await first.waitFor(
      () => {
        const text = replies(a)[0]?.content;
        return text !== undefined && !isStatusText(text) && text;
      },
      30_000,
      "A's answer text on screen",
    );
    // In the DM, the post is stored but its response never comes (a lost response): E's placeholder
    // is on screen and the bot does not know its id.
    const unfreezeDm = discord.fault({ method: "POST", path: new RegExp(`^/channels/${dm.id}/messages$`), applied: true, hang: true });
    // Elsewhere posts never arrive: B and C are accepted (journaled) but nothing of them is shown.
    const unfreezePosts = discord.fault({ method: "POST", path: POST, applied: false, hang: true });
    // C in another channel: discord.js sends the posts of one channel one after another, and B's hangs.
    const b = ask("日本の首都は？");
    const c = ask("一番長い川は？", thread);
    const e = discord.say({ channel: dm, author: discord.world.users.alice, content: "こんにちは" });
    await first.waitFor(() => postsFor(b).length >= 1 && postsFor(c).length >= 1 && replies(e).length === 1, 30_000, "B's, C's and E's posts to be sent");
    await first.kill();

    unfreezeEdits();
    unfreezePosts();
    unfreezeDm();
    const second = startBot(config, env);
    await second.waitFor(() => /journal: recovery done/.test(second.stdout), 60_000, "the journal recovery");
    expect(second.stdout).toMatch(/journal: 4 unfinished answers from before the restart/);

    // A: still one message, now ending with the marker under what was on screen.
    expect(replies(a)).toHaveLength(1);
    expect(replies(a)[0]!.content).toBe(`${frozenText}\n\n${messages.cutByInterruption}`);
    // B and C: one answer each (the first process's posts never arrived; the new ones did).
    // E: the replay's post carried the same nonce, so Discord returned the placeholder the first
    // process had made, and that message became the answer.
    const placeholderE = replies(e)[0]!.id;
    const [answerB, answerC, answerE] = await Promise.all([
      settledText(second, () => replies(b)[0]?.content, "B's answer"),
      settledText(second, () => replies(c)[0]?.content, "C's answer"),
      settledText(second, () => replies(e)[0]?.content, "E's answer"),
    ]);
    for (const answer of [answerB, answerC, answerE]) expect(answer.trim()).not.toBe("");
    expect(replies(b)).toHaveLength(1);
    expect(replies(c)).toHaveLength(1);
    expect(replies(e).map((m) => m.id)).toEqual([placeholderE]);
    // Nothing else was posted, and a new question is answered as usual.
    const d = ask("こんにちは");
    await settledText(second, () => replies(d)[0]?.content, "D's answer");
    expect(discord.botMessages()).toHaveLength(5);

    second.signal("SIGTERM");
    expect(await second.exitWithin(10_000)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("Slack: the same across a kill -9 — the frozen answer is ended, the waiting question answered once", async () => {
    const slack = await FakeSlack.start({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
    fakes.push(slack);
    const config = writeConfig();
    const env = { SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL: slack.apiUrl };
    const replies = (ts: string) => slack.store.thread("C100", ts).filter((m) => m.user === slack.botUserId);

    const first = startBot(config, env);
    await first.waitFor(() => /slack: connected/.test(first.stdout), 30_000, "Slack to connect");

    // chat.update is applied but never answered; then chat.postMessage never arrives.
    slack.hangNext("chat.update", { applied: true, count: 100 });
    const a = slack.userSays("C100", "U1", "<@UBOT> 富士山の高さは？");
    const frozenText = await first.waitFor(
      () => {
        const text = replies(a.ts)[0]?.text;
        return text !== undefined && !isStatusText(text) && text;
      },
      30_000,
      "A's answer text on screen",
    );
    slack.hangNext("chat.postMessage", { applied: false, count: 100 });
    const b = slack.userSays("C100", "U1", "<@UBOT> 日本の首都は？");
    await first.waitFor(() => slack.callsTo("chat.postMessage").some((c) => c.args["thread_ts"] === b.ts), 30_000, "B's post to be sent");
    await first.kill();

    slack.clearHangs();
    const second = startBot(config, env);
    await second.waitFor(() => /journal: recovery done/.test(second.stdout), 60_000, "the journal recovery");
    expect(replies(a.ts)).toHaveLength(1);
    expect(replies(a.ts)[0]!.text).toBe(`${frozenText}\n\n${messages.cutByInterruption}`);
    const answerB = await settledText(second, () => replies(b.ts)[0]?.text, "B's answer");
    expect(answerB.trim()).not.toBe("");
    expect(replies(b.ts)).toHaveLength(1);

    second.signal("SIGTERM");
    expect(await second.exitWithin(10_000)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("Slack with native streaming: the stream a kill -9 left open is stopped and ended with the marker after the restart", async () => {
    const slack = await FakeSlack.start({ botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN });
    fakes.push(slack);
    const config = writeConfig({ nativeStreaming: true });
    const env = { SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL: slack.apiUrl };
    const replies = (ts: string) => slack.store.thread("C100", ts).filter((m) => m.user === slack.botUserId);

    const first = startBot(config, env);
    await first.waitFor(() => /slack: connected/.test(first.stdout), 30_000, "Slack to connect");
    // The stream opens with the first text; every append after it is applied but never answered.
    slack.hangNext("chat.appendStream", { applied: true, count: 100 });
    const a = slack.userSays("C100", "U1", "<@UBOT> 富士山の高さは？");
    await first.waitFor(() => slack.callsTo("chat.appendStream").length > 0, 30_000, "A's stream to be appended to");
    await first.kill();
    const [streamed] = replies(a.ts);
    expect(slack.streams.get(streamed!.ts)?.stopped).toBe(false);

    slack.clearHangs();
    const second = startBot(config, env);
    await second.waitFor(() => /journal: recovery done/.test(second.stdout), 60_000, "the journal recovery");
    expect(replies(a.ts)).toHaveLength(1);
    const ended = replies(a.ts)[0]!;
    expect(ended.ts).toBe(streamed!.ts);
    expect(ended.text.endsWith(`\n\n${messages.cutByInterruption}`)).toBe(true);
    expect(ended.text.startsWith(slack.streams.get(ended.ts)!.chunks[0]!)).toBe(true);
    // Stopped first, then set to its whole text.
    expect(slack.streams.get(ended.ts)?.stopped).toBe(true);
    const afterRestart = slack.calls.filter((c) => c.args["ts"] === ended.ts).map((c) => c.method);
    expect(afterRestart.slice(-2)).toEqual(["chat.stopStream", "chat.update"]);

    second.signal("SIGTERM");
    expect(await second.exitWithin(10_000)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
