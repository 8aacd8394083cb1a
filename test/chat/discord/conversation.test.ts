// The conversation features through real discord.js against the fake Discord: follow-ups without a
// mention (replies to the bot's answers, messages in a thread it opened), a thread opened on a
// channel mention (chat.discord.answerInThread), attachments in the context, the history-trim line.

import { afterEach, describe, expect, it } from "vitest";
import { historyNotice } from "../../../src/core/history-notice.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const mention = (h: Harness, text: string) => `<@${h.fake.world.bot.id}> ${text}`;
const waitForLog = (fragment: string) => h!.fake.waitFor(() => h!.logs.some((l) => l.includes(fragment)), 10_000, fragment);

describe("Discord follow-ups", () => {
  it("answers a reply to the bot's answer that does not ping it, with the reply chain as history", async () => {
    h = await startHarness({ script: (_, i) => ({ chunks: [i === 0 ? "最初の答え。" : "二つ目の答え。"] }) });
    const { fake } = h;
    const { general } = fake.world.channels;
    fake.say({ channel: general, author: fake.world.users.alice, content: mention(h, "一つ目の質問") });
    await h.settled(1);
    const [answer] = fake.botMessages(general.id);
    fake.say({ channel: general, author: fake.world.users.alice, content: "続きを教えて", replyTo: answer!, pingReply: false });
    const outcomes = await h.settled(2);
    expect(outcomes[1]).toMatchObject({ kind: "answered", text: "二つ目の答え。" });
    expect(h.engine.calls[1]!.conversation.turns).toEqual([
      { role: "user", text: "一つ目の質問" },
      { role: "assistant", text: "最初の答え。" },
      { role: "user", text: "続きを教えて" },
    ]);
  });

  it("ignores a message in the bot's thread that mentions someone else, or starts with the ignore prefix, and other people's threads", async () => {
    h = await startHarness();
    const { fake } = h;
    const { thread, general } = fake.world.channels; // the fake's thread is owned by the bot
    fake.say({ channel: thread, author: fake.world.users.alice, content: `<@${fake.world.users.bob.id}> これ見て` });
    await waitForLog("mentions someone else");
    fake.say({ channel: thread, author: fake.world.users.alice, content: "// 独り言" });
    await waitForLog("ignore prefix");
    fake.say({ channel: general, author: fake.world.users.alice, content: "普通の会話" });
    fake.say({ channel: thread, author: fake.world.users.alice, content: "スレッドでの質問" });
    const outcomes = await h.settled(1);
    expect(outcomes).toHaveLength(1);
    expect(h.questions.map((q) => q.text)).toEqual(["スレッドでの質問"]);
  });
});

describe("Discord answerInThread", () => {
  it("opens a thread named from the question, answers there, and takes a follow-up in it with the thread as history", async () => {
    h = await startHarness({ adapter: { answerInThread: true }, script: (_, i) => ({ chunks: [i === 0 ? "スレッドで答えます。" : "続きです。"] }) });
    const { fake } = h;
    const { general } = fake.world.channels;
    const question = fake.say({ channel: general, author: fake.world.users.alice, content: mention(h, "来週の予定を\n教えて") });
    await h.settled(1);

    const created = fake.requestsTo("POST", /^\/channels\/\d+\/messages\/\d+\/threads$/);
    expect(created).toHaveLength(1);
    expect(created[0]!.path).toBe(`/channels/${general.id}/messages/${question.id}/threads`);
    expect(created[0]!.body.name).toBe("来週の予定を");
    const thread = fake.channel(question.id)!;
    expect(thread.parent_id).toBe(general.id);
    expect(fake.botMessages(thread.id).map((m) => m.content)).toEqual(["スレッドで答えます。"]);
    expect(fake.botMessages(general.id)).toEqual([]);

    fake.say({ channel: thread, author: fake.world.users.alice, content: "時間は？" });
    const outcomes = await h.settled(2);
    expect(outcomes[1]).toMatchObject({ kind: "answered", text: "続きです。" });
    expect(h.engine.calls[1]!.conversation.turns).toEqual([
      { role: "user", text: "来週の予定を\n教えて" },
      { role: "assistant", text: "スレッドで答えます。" },
      { role: "user", text: "時間は？" },
    ]);
  });
});

describe("Discord answerInThread and replies", () => {
  it("answers a reply to one of the bot's answers in the channel where it is, opening no thread", async () => {
    h = await startHarness({ adapter: { answerInThread: true } });
    const { fake } = h;
    const { general } = fake.world.channels;
    const earlier = fake.createMessage({
      channel: general,
      author: fake.world.bot,
      content: "前の答え",
      mentions: [],
      mentionEveryone: false,
      dispatch: false,
    });
    fake.say({ channel: general, author: fake.world.users.alice, content: "その続きは？", replyTo: earlier });
    await h.settled(1);
    expect(fake.requestsTo("POST", /\/threads$/)).toEqual([]);
    expect(fake.botMessages(general.id).map((m) => m.content)).toEqual(["前の答え", "はい。"]);
  });
});

describe("Discord attachments and notices", () => {
  it("puts an attached text file into the question and names an oversized one under the answer", async () => {
    h = await startHarness({ attachments: { budgetTokens: 1000, countTokens: (t) => [...t].length, maxBytes: 64 } });
    const { fake } = h;
    fake.say({
      channel: fake.world.channels.general,
      author: fake.world.users.alice,
      content: mention(h, "このファイルを読んで"),
      files: [
        { filename: "memo.txt", contentType: "text/plain; charset=utf-8", data: Buffer.from("締め切りは金曜日") },
        { filename: "big.log", contentType: "text/plain", data: Buffer.from("x".repeat(500)) },
      ],
    });
    await h.settled(1);
    const asked = h.engine.calls[0]!.conversation.turns.at(-1)!.text;
    expect(asked).toContain("[添付ファイル: memo.txt]");
    expect(asked).toContain("締め切りは金曜日");
    expect(asked).not.toContain("xxxx");
    expect(fake.botMessages()[0]!.content).toContain("big.log（大きすぎるため未読）");
  });

  it("says that older turns were dropped, and reads the answer back without that line", async () => {
    h = await startHarness({ script: (_, i) => ({ chunks: ["答え。"], ...(i === 0 ? { trimmedTurns: 2 } : {}) }) });
    const { fake } = h;
    const { general } = fake.world.channels;
    fake.say({ channel: general, author: fake.world.users.alice, content: mention(h, "質問") });
    await h.settled(1);
    const [answer] = fake.botMessages(general.id);
    expect(answer!.content).toBe(`答え。\n\n${historyNotice(2)}`);
    fake.say({ channel: general, author: fake.world.users.alice, content: "次", replyTo: answer!, pingReply: false });
    await h.settled(2);
    expect(h.engine.calls[1]!.conversation.turns[1]).toEqual({ role: "assistant", text: "答え。" });
  });
});
