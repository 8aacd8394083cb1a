// The Discord adapter end to end: real discord.js against the fake Discord, the real chat core and
// queue, the ScriptedEngine as the model.

import { afterEach, describe, expect, it } from "vitest";
import { messages as botTexts } from "../../../src/core/messages.js";
import { Intents } from "../../fakes/discord/fake-discord.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";

let h: Harness | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const POST = /^\/channels\/\d+\/messages$/;
const PATCH = /^\/channels\/\d+\/messages\/\d+$/;

function mention(h: Harness, text: string): string {
  return `<@${h.fake.world.bot.id}> ${text}`;
}

describe("Discord adapter: answering", () => {
  it("answers a mention as a reply, streams edits, ends with the complete text", async () => {
    h = await startHarness({ script: () => ({ chunks: ["富士山", "です。", "標高は", "3776mです。"], chunkDelayMs: 150 }) });
    const { fake } = h;
    const question = fake.say({ channel: fake.world.channels.general, author: fake.world.users.alice, content: mention(h, "日本で一番高い山は？") });
    const [outcome] = await h.settled(1);
    expect(outcome).toMatchObject({ kind: "answered", text: "富士山です。標高は3776mです。", messages: 1 });

    const posts = fake.requestsTo("POST", POST);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body.message_reference).toMatchObject({ message_id: question.id });
    expect(fake.requestsTo("PATCH", PATCH).length).toBeGreaterThanOrEqual(2);
    const [answer] = fake.botMessages();
    expect(answer?.content).toBe("富士山です。標高は3776mです。");
    expect(answer?.message_reference?.message_id).toBe(question.id);

    const turns = h.engine.calls[0]?.conversation.turns;
    expect(turns).toEqual([{ role: "user", text: "日本で一番高い山は？" }]);
    expect(h.questions[0]).toMatchObject({
      asker: { platform: "discord", userId: fake.world.users.alice.id, roleIds: [fake.world.roles.admin.id, fake.world.roles.member.id] },
      channelId: fake.world.channels.general.id,
      isDirect: false,
      sourceKey: `discord:${question.id}`,
    });
    // The gateway was asked for exactly the intents the README lists.
    expect(fake.gateway.intents()).toBe(Intents.Guilds | Intents.GuildMessages | Intents.DirectMessages | Intents.MessageContent);
  });

  it("splits an answer over 2,000 characters into replies of at most 2,000, losing nothing", async () => {
    const paragraph = "吾輩は猫である。名前はまだ無い。".repeat(20) + "\n\n"; // 322 chars
    const chunks = Array.from({ length: 16 }, () => paragraph);
    h = await startHarness({ script: () => ({ chunks, chunkDelayMs: 20 }) });
    const { fake } = h;
    fake.say({ channel: fake.world.channels.general, author: fake.world.users.bob, content: mention(h, "長い話をして") });
    const [outcome] = await h.settled(1);
    const full = chunks.join("");
    expect(outcome).toMatchObject({ kind: "answered", text: full });

    const parts = fake.botMessages();
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part.content.length).toBeLessThanOrEqual(2000);
    expect(parts.map((p) => p.content).join("")).toBe(full);
    // Each continuation replies to the part before it: the reply chain runs through the answer.
    for (let i = 1; i < parts.length; i++) expect(parts[i]?.message_reference?.message_id).toBe(parts[i - 1]?.id);
    // Discord would have refused anything longer (50035); nothing was refused.
    expect(fake.requests.filter((r) => r.status >= 400 && r.status !== 429)).toEqual([]);
  });

  it("answers every DM, without a mention", async () => {
    h = await startHarness();
    const { fake } = h;
    const question = fake.say({ channel: fake.world.channels.dm, author: fake.world.users.alice, content: "こんにちは" });
    const [outcome] = await h.settled(1);
    expect(outcome?.kind).toBe("answered");
    expect(h.questions[0]).toMatchObject({ isDirect: true, channelId: fake.world.channels.dm.id, text: "こんにちは", asker: { roleIds: [] } });
    const [answer] = fake.botMessages(fake.world.channels.dm.id);
    expect(answer?.content).toBe("はい。");
    expect(answer?.message_reference?.message_id).toBe(question.id);
  });

  it("answers in a thread, and checks access against the thread's parent channel", async () => {
    h = await startHarness({ access: { allowedChannels: ["0"] } });
    const { fake } = h;
    // Only channel "0" is allowed: the thread's parent is not it, so the question is refused.
    fake.say({ channel: fake.world.channels.thread, author: fake.world.users.alice, content: mention(h, "スレッドでの質問") });
    const [outcome] = await h.settled(1);
    expect(outcome).toEqual({ kind: "refused", reason: botTexts.channelNotAllowed });
    expect(h.questions[0]?.channelId).toBe(fake.world.channels.general.id);
    expect(fake.botMessages(fake.world.channels.thread.id)[0]?.content).toBe(botTexts.channelNotAllowed);
  });

  it("reads no reply chain for a question that will be refused", async () => {
    h = await startHarness({ access: { allowedUsers: ["nobody"] } });
    const { fake } = h;
    const { general } = fake.world.channels;
    const { alice, bob } = fake.world.users;
    const first = fake.say({ channel: general, author: bob, content: "最初の発言", dispatch: false });
    const earlier = fake.say({ channel: general, author: bob, content: "前の発言", replyTo: first, dispatch: false });
    fake.say({ channel: general, author: alice, content: mention(h, "質問"), replyTo: earlier, pingReply: false });
    const [outcome] = await h.settled(1);
    expect(outcome).toEqual({ kind: "refused", reason: botTexts.userNotAllowed });
    // Reading the chain would have fetched the first message over REST.
    expect(fake.requestsTo("GET", new RegExp(`/messages/${first.id}$`))).toHaveLength(0);
    // The core refused before it asked for the history: the loader was never called.
    expect(h.questions[0]).toBeDefined();
    expect(h.questions[0]?.history).toBeUndefined();
  });

  it("ignores its own messages, other bots, and messages that do not mention it", async () => {
    // The answer mentions the bot itself: its own MESSAGE_CREATE echo must not start a loop.
    h = await startHarness({ script: () => ({ chunks: [`<@${h!.fake.world.bot.id}> さんへ`], chunkDelayMs: 0 }) });
    const { fake } = h;
    const { general } = fake.world.channels;
    const { alice, otherBot } = fake.world.users;
    fake.say({ channel: general, author: otherBot, content: mention(h, "bot to bot") });
    fake.say({ channel: general, author: alice, content: "no mention at all" });
    fake.say({ channel: general, author: alice, content: "@everyone hello" });
    fake.say({ channel: general, author: alice, content: `<@&${fake.world.roles.member.id}> role ping` });
    fake.say({ channel: general, author: alice, content: mention(h, "only this one") });
    await h.settled(1);
    // The gateway delivers in order: once a later question is answered, the echoes of the bot's
    // own post and edits before it have been processed (and ignored).
    fake.say({ channel: general, author: alice, content: mention(h, "sentinel") });
    await h.settled(2);
    expect(h.questions.map((q) => q.text)).toEqual(["only this one", "sentinel"]);
    expect(h.engine.calls).toHaveLength(2);
    expect(fake.botMessages()).toHaveLength(2);
  });

  it("never pings: allowed_mentions parse [] on every create and edit, even for @everyone in the answer", async () => {
    h = await startHarness({ script: () => ({ chunks: ["@everyone ", "@here ", `<@${h!.fake.world.users.alice.id}> `, "注目！"], chunkDelayMs: 120 }) });
    const { fake } = h;
    const alice = fake.world.users.alice;
    fake.say({ channel: fake.world.channels.general, author: alice, content: mention(h, "みんなに知らせて") });
    await h.settled(1);
    const writes = [...fake.requestsTo("POST", POST), ...fake.requestsTo("PATCH", PATCH)];
    expect(writes.length).toBeGreaterThanOrEqual(2);
    for (const write of writes) expect(write.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
    const [answer] = fake.botMessages();
    expect(answer?.content).toContain("@everyone");
    expect(answer?.mention_everyone).toBe(false);
    expect(answer?.mentions).toEqual([]);
  });

  it("survives a 429 with retry_after on the post and on an edit, and delivers the answer once", async () => {
    h = await startHarness({ script: () => ({ chunks: ["一つ目。", "二つ目。", "三つ目。"], chunkDelayMs: 200 }) });
    const { fake } = h;
    fake.rateLimitOnce({ method: "POST", path: POST, retryAfter: 1 });
    fake.rateLimitOnce({ method: "PATCH", path: PATCH, retryAfter: 0.5 });
    fake.say({ channel: fake.world.channels.general, author: fake.world.users.alice, content: mention(h, "三つ言って") });
    const [outcome] = await h.settled(1);
    expect(outcome).toMatchObject({ kind: "answered", text: "一つ目。二つ目。三つ目。" });
    expect(fake.requestsTo("POST", POST).map((r) => r.status)).toEqual([429, 200]);
    expect(fake.requestsTo("PATCH", PATCH)[0]?.status).toBe(429);
    const answers = fake.botMessages();
    expect(answers).toHaveLength(1);
    expect(answers[0]?.content).toBe("一つ目。二つ目。三つ目。");
  });

  it("refuses clearly when the queue is full", async () => {
    h = await startHarness({ maxWaiting: 0, script: (_o, i) => (i === 0 ? { chunks: ["長", "い", "回", "答"], chunkDelayMs: 400 } : { chunks: ["x"] }) });
    const { fake } = h;
    const { general } = fake.world.channels;
    fake.say({ channel: general, author: fake.world.users.alice, content: mention(h, "一つ目") });
    await fake.waitFor(() => h!.engine.running === 1, 5_000, "the first answer to run");
    const second = fake.say({ channel: general, author: fake.world.users.bob, content: mention(h, "二つ目") });
    const outcomes = await h.settled(1);
    expect(outcomes[0]).toEqual({ kind: "refused", reason: botTexts.queueFull });
    const refusal = fake.botMessages().find((m) => m.message_reference?.message_id === second.id);
    expect(refusal?.content).toBe(botTexts.queueFull);
    await h.settled(2);
  });

  it("reads the reply chain into the prompt: the bot's messages as assistant, others as user", async () => {
    h = await startHarness({ script: (_o, i) => ({ chunks: [i === 0 ? "A1の答え" : "A2の答え"] }) });
    const { fake } = h;
    const { general } = fake.world.channels;
    const { alice, bob } = fake.world.users;
    // Bob's notes were posted before the bot connected. The question's MESSAGE_CREATE carries the
    // message it replies to (referenced_message), but the one before must be fetched over REST.
    const premise = fake.say({ channel: general, author: bob, content: "前提: 猫は3匹いる", dispatch: false });
    const note = fake.say({ channel: general, author: bob, content: "犬も1匹いる", replyTo: premise, dispatch: false });
    const q1 = fake.say({ channel: general, author: alice, content: mention(h, "猫は何匹？"), replyTo: note, pingReply: false });
    await h.settled(1);
    expect(fake.requestsTo("GET", new RegExp(`/messages/${premise.id}$`))).toHaveLength(1);
    const a1 = fake.botMessages().find((m) => m.message_reference?.message_id === q1.id)!;
    expect(a1.content).toBe("A1の答え");
    // A reply to the bot pings it by default: that is a mention, no <@bot> needed.
    fake.say({ channel: general, author: alice, content: "では2匹増えたら？", replyTo: a1 });
    await h.settled(2);
    expect(h.engine.calls[1]?.conversation.turns).toEqual([
      // Consecutive messages of one side become one turn.
      { role: "user", text: "前提: 猫は3匹いる\n犬も1匹いる\n猫は何匹？" },
      { role: "assistant", text: "A1の答え" },
      { role: "user", text: "では2匹増えたら？" },
    ]);
  });

  it("stops at historyMessages earlier messages", async () => {
    h = await startHarness({ historyMessages: 2 });
    const { fake } = h;
    const { general } = fake.world.channels;
    const { alice, bob } = fake.world.users;
    let previous = fake.say({ channel: general, author: bob, content: "m0", dispatch: false });
    for (let i = 1; i < 5; i++) {
      previous = fake.say({ channel: general, author: i % 2 ? alice : bob, content: `m${i}`, replyTo: previous, dispatch: false });
    }
    fake.say({ channel: general, author: alice, content: mention(h, "q"), replyTo: previous, pingReply: false });
    await h.settled(1);
    // The adapter hands over the two messages read; the core joins them into one turn.
    expect(h.questions[0]?.history).toEqual([
      { role: "user", text: "m3" },
      { role: "user", text: "m4" },
    ]);
    expect(h.engine.calls[0]?.conversation.turns.map((t) => t.text)).toEqual(["m3\nm4", "q"]);
  });

  it("stops the answer when the question is deleted", async () => {
    h = await startHarness({ script: () => ({ chunks: Array.from({ length: 30 }, (_, i) => `${i}。`), chunkDelayMs: 100 }) });
    const { fake } = h;
    const question = fake.say({ channel: fake.world.channels.general, author: fake.world.users.alice, content: mention(h, "数えて") });
    await fake.waitFor(() => fake.requestsTo("PATCH", PATCH).length >= 1, 5_000, "streaming to start");
    fake.deleteMessage(question);
    const [outcome] = await h.settled(1);
    expect(outcome).toEqual({ kind: "cancelled" });
    expect(h.engine.calls[0]?.signal?.aborted).toBe(true);
    expect(fake.botMessages()[0]?.content).toContain(botTexts.cutByCancel);
  });
});

describe("Discord adapter: startup", () => {
  it("fails with a clear message when the Message Content intent is not enabled", async () => {
    await expect(startHarness({ fake: { privilegedIntentsEnabled: false } })).rejects.toThrow(/Message Content Intent/);
  });
});
