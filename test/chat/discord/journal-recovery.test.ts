// The journal and its recovery through the real Discord path (discord.js against the fake, the
// real Responder and queue, the ScriptedEngine): outages longer than the REST retries, and what a
// restarted bot finds in the journal (written here as the previous process would have left it).

import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "../../../src/core/journal.js";
import { messages } from "../../../src/core/messages.js";
import { Recovery, type ReplayAction } from "../../../src/core/recovery.js";
import type { FakeMessage } from "../../fakes/discord/world.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";

const POST = /^\/channels\/\d+\/messages$/;
const PATCH = /^\/channels\/\d+\/messages\/\d+$/;

let h: Harness | undefined;
let journal: Journal | undefined;
let recovery: Recovery | undefined;
afterEach(async () => {
  await recovery?.[Symbol.asyncDispose]();
  await h?.stop();
  await journal?.[Symbol.asyncDispose]();
  h = recovery = journal = undefined;
});

interface Setup {
  readonly h: Harness;
  readonly journal: Journal;
  readonly recovery: Recovery;
  readonly actions: ReplayAction[];
  readonly logs: string[];
}

async function setup(options: { chunks: string[]; chunkDelayMs?: number; now?: () => number; maxAgeMs?: number; retryForMs?: number }): Promise<Setup> {
  journal = new Journal(mkdtempSync(path.join(os.tmpdir(), "elyza-recovery-")), {
    retryBaseMs: 30,
    retryMaxMs: 200,
    ...(options.now ? { now: options.now } : {}),
  });
  h = await startHarness({
    script: () => ({ chunks: options.chunks, chunkDelayMs: options.chunkDelayMs ?? 30 }),
    journal,
    adapter: { restRetry: { delaysMs: [10] } },
  });
  const actions: ReplayAction[] = [];
  const logs: string[] = [];
  recovery = new Recovery({
    journal,
    responder: h.responder,
    channels: new Map([["discord", h.discord.replyChannel]]),
    maxAgeMs: options.maxAgeMs ?? 60_000,
    retryForMs: options.retryForMs ?? 60_000,
    log: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
    pollMs: 20,
    ...(options.now ? { now: options.now } : {}),
    onReplay: (action) => actions.push(action),
  });
  return { h, journal, recovery, actions, logs };
}

function ask(h: Harness, text: string): FakeMessage {
  const { fake } = h;
  return fake.say({ channel: fake.world.channels.general, author: fake.world.users.alice, content: `<@${fake.world.bot.id}> ${text}` });
}

/** A message the bot posted before the "restart", as the fake holds it. */
function botPost(h: Harness, replyTo: FakeMessage, content: string): FakeMessage {
  return h.fake.createMessage({ channel: h.fake.world.channels.general, author: h.fake.world.bot, content, mentions: [], mentionEveryone: false, replyTo });
}

const repliesTo = (h: Harness, question: FakeMessage) => h.fake.botMessages().filter((m) => m.message_reference?.message_id === question.id);

describe("journal: outages longer than the retries", () => {
  it("a question whose first post failed is answered from the journal once the platform is back, exactly once", async () => {
    const s = await setup({ chunks: ["障害の", "あとで", "答えます。"] });
    const clear = s.h.fake.fault({ method: "POST", path: POST, applied: false, status: 503 });
    const question = ask(s.h, "テスト");
    const [outcome] = await s.h.settled(1);
    expect(outcome).toMatchObject({ kind: "failed" });
    const key = `discord:${question.id}`;
    expect(s.journal.get(key)).toMatchObject({ state: "open", attempts: 1, messages: [] });
    expect(s.journal.get(key)!.retryAt).not.toBeNull();

    s.recovery.start();
    // Still down: the retries fail and back off.
    await s.h.fake.waitFor(() => s.journal.get(key)!.attempts >= 3, 10_000, "more failed retries");
    clear();
    await s.h.fake.waitFor(() => s.journal.get(key)!.state === "done", 10_000, "the journal entry to be done");
    expect(repliesTo(s.h, question).map((m) => m.content)).toEqual(["障害のあとで答えます。"]);
    expect(s.actions.length).toBeGreaterThanOrEqual(3);
    expect(s.actions.every((a) => a === "answered")).toBe(true);
    expect(s.recovery.replays).toBe(s.actions.length);
  });

  it("an answer frozen by an outage mid-stream gets the end marker when the platform is back", async () => {
    const s = await setup({ chunks: ["途中まで", "書いたところで", "止まる"], chunkDelayMs: 150 });
    const question = ask(s.h, "テスト");
    // The first text edit lands, then every write fails (the failure notice too).
    await s.h.fake.waitFor(() => repliesTo(s.h, question)[0]?.content.startsWith("途中まで"), 10_000, "the first text");
    const clearEdits = s.h.fake.fault({ method: "PATCH", path: PATCH, applied: false, status: 500 });
    const clearPosts = s.h.fake.fault({ method: "POST", path: POST, applied: false, status: 500 });
    const [outcome] = await s.h.settled(1);
    expect(outcome).toMatchObject({ kind: "failed" });
    const key = `discord:${question.id}`;
    expect(s.journal.get(key)).toMatchObject({ state: "open" });

    clearEdits();
    clearPosts();
    s.recovery.start();
    await s.h.fake.waitFor(() => s.journal.get(key)!.state === "done", 10_000, "the journal entry to be done");
    const replies = repliesTo(s.h, question);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.content).toMatch(/^途中まで/);
    expect(replies[0]!.content.endsWith(`\n\n${messages.cutByInterruption}`)).toBe(true);
    expect(s.actions).toEqual(["ended"]);
  });

  it("gives up after retryForMs, says so in the log, and does not try again", async () => {
    let now = 1_000_000;
    const s = await setup({ chunks: ["届かない"], now: () => now, retryForMs: 5_000 });
    s.h.fake.fault({ method: "POST", path: POST, applied: false, status: 503 });
    const question = ask(s.h, "テスト");
    await s.h.settled(1);
    const key = `discord:${question.id}`;
    now += 6_000;
    s.recovery.start();
    await s.h.fake.waitFor(() => s.journal.get(key)!.state === "failed", 10_000, "the journal to give up");
    expect(s.actions).toEqual(["gave-up"]);
    expect(s.logs.some((l) => l.startsWith(`error journal: gave up delivering the answer to ${key}`))).toBe(true);
    expect(repliesTo(s.h, question)).toEqual([]);
  });
});

describe("journal: what a restarted bot finds", () => {
  it("answers a question left waiting, reusing its placeholder; ends a frozen answer; tells an old one to ask again", async () => {
    let now = 10_000_000;
    const s = await setup({ chunks: ["再起動の", "あとで", "答えます。"], now: () => now, maxAgeMs: 60_000 });
    const { h, journal } = s;
    const address = (q: FakeMessage) => ({ platform: "discord", channelId: q.channel_id, questionId: q.id });
    const conversation = (text: string) => ({ systemPrompt: "sys", turns: [{ role: "user" as const, text }] });
    const record = (q: FakeMessage, text: string) =>
      journal.accept({
        key: `discord:${q.id}`,
        address: address(q),
        conversation: conversation(text),
        userKey: "discord:alice",
        channelKey: `discord:${q.channel_id}`,
      });

    // Asked before the crash, with the fake holding what the old process had posted.
    const old = ask(h, "古い質問");
    record(old, "古い質問");
    const oldPlaceholder = botPost(h, old, messages.queued(2));
    journal.posted(`discord:${old.id}`, 0, oldPlaceholder.id, messages.queued(2));
    now += 90_000; // past maxAgeMs for that one
    const waiting = ask(h, "待っていた質問");
    record(waiting, "待っていた質問");
    const placeholder = botPost(h, waiting, messages.queued(1));
    journal.posted(`discord:${waiting.id}`, 0, placeholder.id, messages.queued(1));
    const neverPosted = ask(h, "まだ何も出ていない質問");
    record(neverPosted, "まだ何も出ていない質問");
    const frozen = ask(h, "途中だった質問");
    record(frozen, "途中だった質問");
    const partial = botPost(h, frozen, "ここまで書い");
    journal.posted(`discord:${frozen.id}`, 0, partial.id, "ここまで書い");
    now += 1_000;

    await s.recovery.recoverAtStart();
    expect([...s.actions].sort()).toEqual(["answered", "answered", "ended", "expired"]);
    expect(s.recovery.replays).toBe(4);
    for (const q of [old, waiting, neverPosted, frozen]) expect(journal.get(`discord:${q.id}`)?.state).toBe("done");

    // Each question has exactly one reply, and none is left as a placeholder.
    expect(repliesTo(h, old).map((m) => [m.id, m.content])).toEqual([[oldPlaceholder.id, messages.restartExpired]]);
    expect(repliesTo(h, waiting).map((m) => [m.id, m.content])).toEqual([[placeholder.id, "再起動のあとで答えます。"]]);
    expect(repliesTo(h, neverPosted).map((m) => m.content)).toEqual(["再起動のあとで答えます。"]);
    expect(repliesTo(h, frozen).map((m) => [m.id, m.content])).toEqual([[partial.id, `ここまで書い\n\n${messages.cutByInterruption}`]]);
    // The engine was asked only for the two that got an answer, with their journaled conversations.
    expect(h.engine.calls.map((c) => c.conversation.turns.at(-1)!.text).sort()).toEqual(["まだ何も出ていない質問", "待っていた質問"].sort());
  });

  it("a replayed answer still says what its attachments left out, and samples as it was asked to", async () => {
    const s = await setup({ chunks: ["再起動の", "あとで", "答えます。"] });
    const { h, journal } = s;
    const q = ask(h, "添付を要約して");
    const key = `discord:${q.id}`;
    journal.accept({
      key,
      address: { platform: "discord", channelId: q.channel_id, questionId: q.id },
      conversation: { systemPrompt: "sys", turns: [{ role: "user", text: "添付を要約して" }] },
      userKey: "discord:alice",
      channelKey: `discord:${q.channel_id}`,
      // Asked where chat.channels set a lower temperature (no channel settings in this bot).
      sampling: { temperature: 0.1, topP: 0.9, maxTokens: 200 },
    });
    const note = "（添付の big.csv は長すぎるため読んでいません）";
    journal.conversation(key, { systemPrompt: "sys", turns: [{ role: "user", text: "添付を要約して\n\n--- memo.txt ---\n本文" }] }, [note]);

    await s.recovery.recoverAtStart();
    expect(journal.get(key)?.state).toBe("done");
    expect(repliesTo(h, q).map((m) => m.content)).toEqual([`再起動のあとで答えます。\n\n${note}`]);
    expect(h.engine.calls.at(-1)!.conversation.turns.at(-1)!.text).toContain("--- memo.txt ---");
    expect(h.engine.calls.at(-1)!.sampling.temperature).toBe(0.1);
  });

  it("stop() cancels the answers being replayed: they end visibly instead of holding up the shutdown", async () => {
    const s = await setup({ chunks: Array.from({ length: 40 }, (_, i) => `${i} `), chunkDelayMs: 100 });
    const q = ask(s.h, "長い質問");
    s.journal.accept({
      key: `discord:${q.id}`,
      address: { platform: "discord", channelId: q.channel_id, questionId: q.id },
      conversation: { systemPrompt: "sys", turns: [{ role: "user", text: "長い質問" }] },
      userKey: "discord:alice",
      channelKey: `discord:${q.channel_id}`,
    });
    void s.recovery.recoverAtStart();
    await s.h.fake.waitFor(() => repliesTo(s.h, q)[0]?.content.startsWith("0 1"), 10_000, "the replayed answer to stream");
    await s.recovery[Symbol.asyncDispose]();
    expect(s.journal.get(`discord:${q.id}`)?.state).toBe("done");
    const replies = repliesTo(s.h, q);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.content.endsWith(messages.cutByCancel)).toBe(true);
  });

  it("a redelivered question the journal knows is not answered again", async () => {
    const s = await setup({ chunks: ["一度だけ。"] });
    ask(s.h, "テスト");
    const [first] = await s.h.settled(1);
    expect(first?.kind).toBe("answered");
    const again = await s.h.responder.answer(
      s.h.questions[0]!,
      await s.h.discord.replyChannel({ platform: "discord", channelId: s.h.fake.world.channels.general.id, questionId: s.h.questions[0]!.sourceKey.slice(8) }),
    );
    expect(again).toEqual({ kind: "duplicate" });
    expect(s.h.fake.botMessages()).toHaveLength(1);
    expect(s.h.engine.calls).toHaveLength(1);
  });
});
