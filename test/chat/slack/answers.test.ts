// The real Bolt App in Socket Mode against the fake Slack, with the real Responder and queue in
// front of a ScriptedEngine.

import { afterEach, describe, expect, it, vi } from "vitest";
import { messages } from "../../../src/core/messages.js";
import { markdownToMrkdwn } from "../../../src/chat/slack/mrkdwn.js";
import { SLACK_REPLY_LIMITS } from "../../../src/chat/slack/reply-channel.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("Slack adapter (Socket Mode)", () => {
  it("answers a mention in its thread, streaming edits up to the complete text", async () => {
    const chunks = ["サリーは", "最初に", "**かご**を", "探します。", "\n\n理由: ", "ボールが移されたことを", "知らないからです。"];
    h = await startHarness({ script: () => ({ chunks, chunkDelayMs: 60 }), editIntervalMs: 50 });
    const { fake } = h;
    const said = fake.userSays("C100", "U1", "<@UBOT> サリーはどこを探しますか？");
    const ack = await fake.waitForAck(said.mention!.envelopeId);
    expect(ack.latencyMs).toBeLessThan(1000);
    await h.waitForOutcomes(1);

    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    expect(h.outcomes[0]!.question).toBe("サリーはどこを探しますか？");
    const posts = fake.callsTo("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args).toMatchObject({ channel: "C100", thread_ts: said.ts });
    // The placeholder became the answer through several edits, the last one complete.
    const edits = fake.callsTo("chat.update");
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(h.botMessages("C100", said.ts)).toEqual([markdownToMrkdwn(chunks.join(""))]);
    expect(h.botMessages("C100", said.ts)[0]).toContain("*かご*");
    // The channel's own message event (not a mention) never reached the engine twice.
    expect(h.scripted!.calls).toHaveLength(1);
    expect(h.scripted!.calls[0]!.conversation.turns).toEqual([{ role: "user", text: "サリーはどこを探しますか？" }]);
  });

  it("answers inside an existing thread, in that thread", async () => {
    h = await startHarness();
    const root = h.fake.userSays("C100", "U1", "今日の議題です");
    const said = h.fake.userSays("C100", "U2", "<@UBOT> 要約して", { threadTs: root.ts });
    await h.waitForOutcomes(1);
    expect(h.fake.callsTo("chat.postMessage")[0]!.args["thread_ts"]).toBe(root.ts);
    expect(h.botMessages("C100", root.ts)).toEqual(["はい。"]);
    expect(said.mention).toBeDefined();
  });

  it("splits an answer longer than the limit, every part within it and nothing lost", async () => {
    const lines = Array.from({ length: 250 }, (_, i) => `${i + 1}行目: 日本語の長い回答を分割して投稿できるか確かめるための文です。`);
    const chunks = lines.map((l) => `${l}\n`);
    h = await startHarness({ script: () => ({ chunks, chunkDelayMs: 1 }) });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 長く書いて");
    await h.waitForOutcomes(1);

    const outcome = h.outcomes[0]!.outcome;
    expect(outcome.kind).toBe("answered");
    const parts = h.botMessages("C100", said.ts);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(outcome.kind === "answered" && outcome.messages).toBe(parts.length);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(SLACK_REPLY_LIMITS.maxChars);
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(SLACK_REPLY_LIMITS.maxBytes!);
    }
    const norm = (s: string) => s.replace(/\s+/g, "");
    expect(norm(parts.join(""))).toBe(norm(chunks.join("")));
    // Every part went to the same thread.
    expect(h.fake.callsTo("chat.postMessage").every((c) => c.args["thread_ts"] === said.ts)).toBe(true);
  });

  it("answers a redelivered event (same event_id, retry_attempt 1) only once", async () => {
    h = await startHarness({ script: () => ({ chunks: ["一度だけ", "答えます。"], chunkDelayMs: 100 }) });
    const { fake } = h;
    const ts = fake.nextTs();
    fake.store.add({ channel: "C100", user: "U1", text: "<@UBOT> 質問", ts });
    const event = { type: "app_mention", user: "U1", text: "<@UBOT> 質問", ts, channel: "C100" };
    const first = fake.deliverEvent(event, { eventId: "EvSAME" });
    const retry = fake.deliverEvent(event, { eventId: "EvSAME", retryAttempt: 1, retryReason: "timeout" });
    await fake.waitForAck(first.envelopeId);
    await fake.waitForAck(retry.envelopeId);
    await h.waitForOutcomes(1);
    // The adapter saw the redelivery and dropped it (the positive signal), so no second answer can follow.
    await vi.waitFor(() => expect(h!.logs).toContain("debug duplicate event EvSAME dropped"));
    expect(h.outcomes).toHaveLength(1);
    expect(h.scripted!.calls).toHaveLength(1);
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
    expect(h.botMessages("C100", ts)).toEqual(["一度だけ答えます。"]);
  });

  it("ignores its own messages, other bots, and message_changed (no loops)", async () => {
    h = await startHarness({ echoOwnMessages: true });
    const { fake } = h;
    const said = fake.userSays("C100", "U1", "<@UBOT> こんにちは");
    await h.waitForOutcomes(1);
    // Another bot mentions us; our own user posts; an edit arrives; a bot_message subtype arrives.
    const deliveries = [
      fake.deliverEvent({ type: "app_mention", user: "U0THERBOT", bot_id: "B0THER", text: "<@UBOT> hi", ts: fake.nextTs(), channel: "C100" }),
      fake.deliverEvent({ type: "app_mention", user: "UBOT", text: "<@UBOT> echo", ts: fake.nextTs(), channel: "C100" }),
      fake.deliverEvent({ type: "message", channel_type: "im", user: "UBOT", text: "self", ts: fake.nextTs(), channel: "D1" }),
      fake.deliverEvent({ type: "message", subtype: "bot_message", channel_type: "im", bot_id: "B0THER", text: "bot", ts: fake.nextTs(), channel: "D1" }),
      fake.deliverEvent({
        type: "message",
        subtype: "message_changed",
        channel_type: "im",
        channel: "D1",
        hidden: true,
        message: { type: "message", user: "U1", text: "<@UBOT> edited", ts: "1.0" },
        ts: fake.nextTs(),
      }),
    ];
    for (const d of deliveries) await fake.waitForAck(d.envelopeId);
    // Events are handled in the order they arrive: once a later question has been answered, the
    // ones above were processed too (ignored by Bolt or by the adapter) — the positive signal.
    const sentinel = fake.userSays("C100", "U1", "<@UBOT> 最後に");
    await h.waitForOutcomes(2);
    expect(h.outcomes.map((o) => o.question)).toEqual(["こんにちは", "最後に"]);
    expect(h.scripted!.calls).toHaveLength(2);
    expect(h.botMessages("C100", sentinel.ts)).toEqual(["はい。"]);
    // The bot's own post and edits did come back as events (echo), and changed nothing.
    expect(fake.acks.length).toBeGreaterThan(deliveries.length + 2);
    expect(h.botMessages("C100", said.ts)).toEqual(["はい。"]);
  });

  it("survives a 429 with Retry-After and delivers the answer once", async () => {
    h = await startHarness({ script: () => ({ chunks: ["レート制限の", "あとでも", "届きます。"], chunkDelayMs: 30 }) });
    const { fake } = h;
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const said = fake.userSays("C100", "U1", "<@UBOT> テスト");
    await h.waitForOutcomes(1);

    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    const posts = fake.callsTo("chat.postMessage");
    expect(posts.map((p) => p.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(h.botMessages("C100", said.ts)).toEqual(["レート制限のあとでも届きます。"]);
    expect(h.logs).toContain("warn Slack rate limit on chat.postMessage: retrying after 1 s");
  });

  it("survives a 429 on an edit too", async () => {
    h = await startHarness({ script: () => ({ chunks: ["編集が", "制限されても", "最後まで届きます。"], chunkDelayMs: 80 }) });
    const { fake } = h;
    fake.failNext("chat.update", { status: 429, retryAfter: 1 });
    const said = fake.userSays("C100", "U1", "<@UBOT> テスト");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    expect(fake.callsTo("chat.update").some((c) => c.status === 429)).toBe(true);
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
    expect(h.botMessages("C100", said.ts)).toEqual(["編集が制限されても最後まで届きます。"]);
  });

  it("refuses clearly when the queue is full", async () => {
    h = await startHarness({ parallel: 1, maxWaiting: 0, script: () => ({ chunks: ["ゆっくり", "答えます。"], chunkDelayMs: 400 }) });
    const { fake } = h;
    const first = fake.userSays("C100", "U1", "<@UBOT> 一つ目");
    await vi.waitFor(() => expect(h!.scripted!.calls.length === 1).toBeTruthy(), { timeout: 5000 });
    const second = fake.userSays("C100", "U2", "<@UBOT> 二つ目");
    await h.waitForOutcomes(2);
    const byKey = new Map(h.outcomes.map((o) => [o.question, o.outcome]));
    expect(byKey.get("二つ目")).toEqual({ kind: "refused", reason: messages.queueFull });
    expect(byKey.get("一つ目")?.kind).toBe("answered");
    expect(h.botMessages("C100", second.ts)).toEqual([messages.queueFull]);
    expect(h.botMessages("C100", first.ts)).toEqual(["ゆっくり答えます。"]);
  });

  it("gives the thread's earlier messages to the model as history", async () => {
    h = await startHarness();
    const { fake } = h;
    const root = fake.userSays("C100", "U1", "<@UBOT> 富士山の高さは？");
    await h.waitForOutcomes(1);
    // Later in the thread: someone else talks, a stale placeholder and a refusal of the bot linger.
    fake.store.add({ channel: "C100", user: "UBOT", bot_id: "BBOT", text: messages.thinking, ts: fake.nextTs(), thread_ts: root.ts });
    fake.store.add({ channel: "C100", user: "UBOT", bot_id: "BBOT", text: messages.queued(2), ts: fake.nextTs(), thread_ts: root.ts });
    fake.store.add({ channel: "C100", user: "U2", text: "ありがとう &amp; よろしく", ts: fake.nextTs(), thread_ts: root.ts });
    fake.userSays("C100", "U1", "<@UBOT> では二番目に高い山は？", { threadTs: root.ts });
    await h.waitForOutcomes(2);

    expect(fake.callsTo("conversations.replies")).toHaveLength(1);
    expect(h.scripted!.calls[1]!.conversation.turns).toEqual([
      { role: "user", text: "富士山の高さは？" },
      { role: "assistant", text: "はい。" },
      { role: "user", text: "ありがとう & よろしく" },
      { role: "user", text: "では二番目に高い山は？" },
    ]);
  });

  it("keeps only the latest historyMessages turns", async () => {
    h = await startHarness({ historyMessages: 2 });
    const { fake } = h;
    const root = fake.userSays("C100", "U1", "はじめ");
    for (let i = 1; i <= 5; i++) fake.store.add({ channel: "C100", user: "U1", text: `発言${i}`, ts: fake.nextTs(), thread_ts: root.ts });
    fake.userSays("C100", "U1", "<@UBOT> まとめて", { threadTs: root.ts });
    await h.waitForOutcomes(1);
    // The last two thread messages; the core joins consecutive turns of one speaker.
    expect(h.scripted!.calls[0]!.conversation.turns.map((t) => t.text)).toEqual(["発言4\n発言5", "まとめて"]);
  });

  it("answers a DM at the top level, with the DM's earlier messages as history", async () => {
    h = await startHarness();
    const { fake } = h;
    fake.userSays("D200", "U1", "こんにちは");
    await h.waitForOutcomes(1);
    fake.userSays("D200", "U1", "もう一度");
    await h.waitForOutcomes(2);

    const posts = fake.callsTo("chat.postMessage");
    expect(posts).toHaveLength(2);
    expect(posts.every((p) => p.args["channel"] === "D200" && p.args["thread_ts"] === undefined)).toBe(true);
    expect(h.botMessages("D200")).toEqual(["はい。", "はい。"]);
    expect(h.scripted!.calls[1]!.conversation.turns).toEqual([
      { role: "user", text: "こんにちは" },
      { role: "assistant", text: "はい。" },
      { role: "user", text: "もう一度" },
    ]);
  });

  it("cancels the answer when the question is deleted", async () => {
    h = await startHarness({ script: () => ({ chunks: ["長い", "長い", "回答", "です", "。"], chunkDelayMs: 300 }) });
    const { fake } = h;
    const said = fake.userSays("C100", "U1", "<@UBOT> 長い質問");
    await vi.waitFor(() => expect(h!.scripted!.calls.length === 1).toBeTruthy(), { timeout: 5000 });
    await vi.waitFor(() => expect(fake.callsTo("chat.postMessage").length === 1).toBeTruthy(), { timeout: 5000 });
    fake.deliverEvent({
      type: "message",
      subtype: "message_deleted",
      hidden: true,
      channel: "C100",
      channel_type: "channel",
      ts: fake.nextTs(),
      deleted_ts: said.ts,
      previous_message: { type: "message", user: "U1", text: "<@UBOT> 長い質問", ts: said.ts },
    });
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome).toEqual({ kind: "cancelled" });
    const [shown] = h.botMessages("C100", said.ts);
    expect(shown === messages.cancelled || shown?.endsWith(messages.cutByCancel)).toBe(true);
  });

  it("stops a question deleted while its thread was being read: its placeholder says so, nothing is generated", async () => {
    h = await startHarness();
    const { fake } = h;
    const root = fake.userSays("C100", "U1", "スレッドの始まり");
    fake.delayNext("conversations.replies", 500);
    const said = fake.userSays("C100", "U1", "<@UBOT> やっぱりいいです", { threadTs: root.ts });
    // Acked; conversations.replies is now held back by the fake for 500 ms.
    await fake.waitForAck(said.mention!.envelopeId);
    fake.deliverEvent({
      type: "message",
      subtype: "message_deleted",
      hidden: true,
      channel: "C100",
      channel_type: "channel",
      ts: fake.nextTs(),
      deleted_ts: said.ts,
    });
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome).toEqual({ kind: "cancelled" });
    // The placeholder went up before the thread was read; it now says the question was cancelled.
    expect(h.botMessages("C100", root.ts)).toEqual([messages.cancelled]);
    expect(h.scripted!.calls).toHaveLength(0);
  });

  it("cancels as well when someone deletes the bot's reply", async () => {
    h = await startHarness({ script: () => ({ chunks: ["一", "二", "三", "四", "五", "六"], chunkDelayMs: 150 }), editIntervalMs: 50 });
    const { fake } = h;
    const said = fake.userSays("C100", "U1", "<@UBOT> 数えて");
    await vi.waitFor(() => expect(fake.callsTo("chat.update").length >= 1).toBeTruthy(), { timeout: 5000 });
    const [reply] = fake.store.thread("C100", said.ts);
    // Deleted on Slack's side: the next chat.update finds nothing.
    fake.failNext("chat.update", { error: "message_not_found" }, 10);
    expect(reply).toBeDefined();
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome).toEqual({ kind: "cancelled" });
  });
});
