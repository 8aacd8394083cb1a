// Native streaming through the real @slack/web-api WebClient against the fake Slack, which answers
// chat.startStream / appendStream / stopStream and assistant.threads.* with Slack's documented
// shapes and errors: the stream used when it works, and chat.postMessage/chat.update taken over on
// every kind of refusal (no streaming, missing recipient, ratelimited, a stream Slack closed, a
// stream open too long, an edit that rewrites).

import { webApi } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { offerSuggestedPrompts, assistantThreadOf, setThreadTitle, threadTitle } from "../../../src/chat/slack/assistant-pane.js";
import { nativeStreamReplyChannel, type NativeStreamOptions } from "../../../src/chat/slack/native-stream.js";
import { slackReplyChannel } from "../../../src/chat/slack/reply-channel.js";
import { DEFAULT_STATUS_REFRESH_MS } from "../../../src/chat/slack/status-line.js";
import { SUGGESTED_PROMPTS } from "../../../src/chat/slack/suggested-prompts.js";
import { FakeSlack } from "../../fakes/slack/fake-slack.js";

let fake: FakeSlack;
beforeEach(async () => {
  fake = await FakeSlack.start();
});
afterEach(async () => {
  await fake.stop();
});

function writer(channel: string, options: Partial<NativeStreamOptions> & { recipientUserId?: string } = {}) {
  const question = fake.store.add({ channel, user: "U1", text: "質問です", ts: fake.nextTs() });
  const client = () => new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  const target = { channel, threadTs: undefined, questionTs: question.ts, recipientUserId: options.recipientUserId ?? "U1", recipientTeamId: fake.teamId };
  const fallbacks: string[] = [];
  const fallback = slackReplyChannel(target, { client: client(), postClient: client(), retryDelaysMs: [] });
  const statusErrors: string[] = [];
  const reply = nativeStreamReplyChannel(target, {
    client: client(),
    botUserId: fake.botUserId,
    fallback,
    onFallback: (reason) => fallbacks.push(reason),
    onStatusError: (reason) => statusErrors.push(reason),
    ...options,
  });
  return { reply, question, fallbacks, statusErrors };
}

const calls = () => fake.calls.map((c) => c.method).filter((m) => m.startsWith("chat.") || m.startsWith("assistant."));

describe("nativeStreamReplyChannel", () => {
  it("streams an answer in a channel: start with the recipient, append the new text only, stop at the end", async () => {
    const { reply, question, fallbacks } = writer("C1");
    await reply.status("考え中…");
    const message = await reply.post("こんにちは");
    await reply.edit(message, "こんにちは、世界");
    await reply.edit(message, "こんにちは、世界"); // no change: no call
    await reply.edit(message, "こんにちは、世界。**以上**です");
    await reply.end();

    expect(calls()).toEqual([
      "assistant.threads.setStatus",
      "chat.startStream",
      "assistant.threads.setStatus",
      "chat.appendStream",
      "chat.appendStream",
      "chat.stopStream",
    ]);
    const start = fake.callsTo("chat.startStream")[0]!.args;
    expect(start).toMatchObject({
      channel: "C1",
      thread_ts: question.ts,
      markdown_text: "こんにちは",
      recipient_user_id: "U1",
      recipient_team_id: fake.teamId,
    });
    expect(fake.callsTo("chat.appendStream").map((c) => c.args["markdown_text"])).toEqual(["、世界", "。**以上**です"]);
    expect(fake.store.find("C1", message.id)).toMatchObject({ text: "こんにちは、世界。**以上**です", thread_ts: question.ts });
    expect(fake.streams.get(message.id)?.stopped).toBe(true);
    // The status was shown while thinking and cleared when the answer started.
    expect(fake.assistantThreads.get(`C1:${question.ts}`)?.statuses).toEqual(["考え中…", ""]);
    expect(reply.mode).toBe("stream");
    expect(fallbacks).toEqual([]);
  });

  it("needs no recipient in a DM, and threads the answer under the question", async () => {
    const { reply, question } = writer("D1", { recipientUserId: "" });
    const message = await reply.post("はい");
    await reply.end();
    expect(fake.callsTo("chat.startStream")[0]!.args).not.toHaveProperty("recipient_user_id");
    expect(fake.store.find("D1", message.id)?.thread_ts).toBe(question.ts);
    expect(reply.mode).toBe("stream");
  });

  it("falls back to chat.postMessage and chat.update when the workspace refuses chat.startStream", async () => {
    fake.failNext("chat.startStream", { error: "not_allowed_token_type" });
    const { reply, fallbacks } = writer("C1");
    const message = await reply.post("答え");
    await reply.edit(message, "答えの続き");
    await reply.end();
    expect(calls()).toEqual(["chat.startStream", "chat.postMessage", "chat.update"]);
    expect(fake.store.find("C1", message.id)?.text).toBe("答えの続き");
    expect(reply.mode).toBe("update");
    expect(fallbacks).toEqual(["chat.startStream: not_allowed_token_type"]);
  });

  it("falls back when Slack wants a recipient it was not given (missing_recipient_user_id)", async () => {
    const { reply, fallbacks } = writer("C1", { recipientUserId: "" });
    await reply.post("答え");
    expect(fallbacks).toEqual(["chat.startStream: missing_recipient_user_id"]);
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
  });

  it("takes over with chat.update when an append is rate limited, with the whole text", async () => {
    const { reply, fallbacks } = writer("C1");
    const message = await reply.post("一");
    fake.failNext("chat.appendStream", { status: 429, retryAfter: 30 });
    await reply.edit(message, "一二");
    await reply.edit(message, "一二三");
    await reply.end();
    expect(calls()).toEqual(["chat.startStream", "chat.appendStream", "chat.stopStream", "chat.update", "chat.update"]);
    expect(fake.store.find("C1", message.id)?.text).toBe("一二三");
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatch(/^chat\.appendStream: /);
  });

  it("takes over when Slack closed the stream (message_not_in_streaming_state)", async () => {
    const { reply, fallbacks } = writer("C1");
    const message = await reply.post("前半");
    fake.streams.get(message.id)!.stopped = true; // Slack ended it (about 5 minutes after the start)
    await reply.edit(message, "前半と後半");
    await reply.end();
    expect(fallbacks).toEqual(["chat.appendStream: message_not_in_streaming_state"]);
    expect(fake.store.find("C1", message.id)?.text).toBe("前半と後半");
    expect(fake.callsTo("chat.update")).toHaveLength(1);
  });

  it("stops a stream before Slack would and goes on with chat.update", async () => {
    let clock = 0;
    const { reply, fallbacks } = writer("C1", { now: () => clock, maxStreamMs: 1000 });
    const message = await reply.post("長い");
    await reply.edit(message, "長い回答");
    clock = 1001;
    await reply.edit(message, "長い回答の続き");
    await reply.end();
    expect(calls()).toEqual(["chat.startStream", "chat.appendStream", "chat.stopStream", "chat.update"]);
    expect(fallbacks).toEqual(["the stream was open for more than 1000 ms"]);
    expect(fake.store.find("C1", message.id)?.text).toBe("長い回答の続き");
  });

  it("rewrites with chat.update when an edit does not extend the streamed text", async () => {
    const { reply, fallbacks } = writer("C1");
    const message = await reply.post("下書き");
    await reply.edit(message, "清書");
    expect(calls()).toEqual(["chat.startStream", "chat.stopStream", "chat.update"]);
    expect(fallbacks).toEqual(["an edit rewrote streamed text"]);
    expect(fake.store.find("C1", message.id)?.text).toBe("清書");
  });

  it("posts the wait as a message when Slack refuses the status, and the answer takes that message over", async () => {
    fake.failNext("assistant.threads.setStatus", { error: "missing_scope" });
    const { reply, question, fallbacks } = writer("C1");
    await reply.status("順番待ち: 2番目");
    await reply.status("順番待ち: 1番目");
    const message = await reply.post("答えです");
    await reply.edit(message, "答えです。以上");
    await reply.end();

    expect(calls()).toEqual(["assistant.threads.setStatus", "chat.postMessage", "chat.update", "chat.update", "chat.update"]);
    // One message: the wait, then the answer in its place.
    const inThread = fake.store.all("C1").filter((m) => m.ts !== question.ts);
    expect(inThread.map((m) => [m.ts, m.text])).toEqual([[message.id, "答えです。以上"]]);
    expect(fake.callsTo("chat.update").map((c) => c.args["text"])).toEqual(["順番待ち: 1番目", "答えです", "答えです。以上"]);
    expect(reply.mode).toBe("update");
    expect(fallbacks).toEqual(["assistant.threads.setStatus: missing_scope"]);
  });

  it("sends a waiting question's status again before Slack's 2-minute timeout drops it, and stops once the answer starts", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const { reply, question } = writer("C1");
      const statuses = () => fake.assistantThreads.get(`C1:${question.ts}`)?.statuses ?? [];
      await reply.status("順番待ち: 1番目");
      expect(statuses()).toEqual(["順番待ち: 1番目"]);
      vi.advanceTimersByTime(DEFAULT_STATUS_REFRESH_MS - 1);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1);
      await vi.waitFor(() => expect(statuses()).toEqual(["順番待ち: 1番目", "順番待ち: 1番目"]));
      expect(DEFAULT_STATUS_REFRESH_MS).toBeLessThan(120_000);
      await reply.post("答え");
      expect(statuses().at(-1)).toBe("");
      // The answer started: nothing is left to send the status again.
      expect(vi.getTimerCount()).toBe(0);
      await reply.end();
    } finally {
      vi.useRealTimers();
    }
  });

  it("adopts the stream a lost chat.startStream response left in the thread instead of posting a second message", async () => {
    fake.failNext("chat.startStream", { status: 500, applied: true });
    const { reply, question, fallbacks } = writer("C1");
    const message = await reply.post("こんにちは");
    await reply.edit(message, "こんにちは、世界");
    await reply.end();
    const inThread = fake.store.all("C1").filter((m) => m.ts !== question.ts);
    expect(inThread.map((m) => m.text)).toEqual(["こんにちは、世界"]);
    expect(inThread[0]!.ts).toBe(message.id);
    expect(fake.streams.get(message.id)?.stopped).toBe(true);
    expect(fake.callsTo("chat.postMessage")).toHaveLength(0);
    expect(reply.mode).toBe("stream");
    expect(fallbacks).toEqual([]);
  });

  it("falls back to one chat.postMessage when chat.startStream failed without a verdict and left nothing", async () => {
    fake.failNext("chat.startStream", { status: 503 });
    const { reply, question, fallbacks } = writer("C1");
    await reply.post("こんにちは");
    await reply.end();
    const inThread = fake.store.all("C1").filter((m) => m.ts !== question.ts);
    expect(inThread.map((m) => m.text)).toEqual(["こんにちは"]);
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatch(/^chat\.startStream: /);
  });

  it("never lets model output ping a channel", () => {
    const { reply } = writer("C1");
    const formatted = reply.format!("みなさん <!channel> と <@U123> へ");
    expect(formatted).not.toContain("<!channel>");
    expect(formatted).not.toContain("<@U123>");
  });
});

describe("the assistant pane", () => {
  it("offers the Japanese suggested prompts and titles the thread from the first question", async () => {
    const client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    const event = {
      type: "assistant_thread_started",
      assistant_thread: {
        user_id: "U1",
        context: { channel_id: "C9", team_id: fake.teamId, enterprise_id: null },
        channel_id: "D1",
        thread_ts: "1729999327.187299",
      },
      event_ts: "1729999327.187299",
    };
    const thread = assistantThreadOf(event)!;
    expect(thread).toEqual({ channelId: "D1", threadTs: "1729999327.187299", userId: "U1", contextChannelId: "C9", teamId: fake.teamId });
    await offerSuggestedPrompts(client, thread);
    await setThreadTitle(client, thread, "\n  富士山の高さは？\n詳しく");
    const state = fake.assistantThreads.get("D1:1729999327.187299")!;
    expect(state.prompts?.prompts).toEqual(SUGGESTED_PROMPTS.map((p) => ({ title: p.title, message: p.message })));
    expect(state.title).toBe("富士山の高さは？");
    expect(threadTitle("あ".repeat(50))).toBe(`${"あ".repeat(40)}…`);
    expect(assistantThreadOf({ type: "assistant_thread_started" })).toBeUndefined();
  });

  it("is refused by the fake as by Slack with more than four prompts", async () => {
    const client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    const five = Array.from({ length: 5 }, (_, i) => ({ title: `t${i}`, message: `m${i}` }));
    await expect(client.assistant.threads.setSuggestedPrompts({ channel_id: "D1", thread_ts: "1.2", prompts: five })).rejects.toMatchObject({
      data: { error: "invalid_arguments" },
    });
    // offerSuggestedPrompts never sends more than Slack takes.
    await offerSuggestedPrompts(client, { channelId: "D1", threadTs: "1.2" }, five);
    expect(fake.assistantThreads.get("D1:1.2")?.prompts?.prompts).toHaveLength(4);
  });
});

describe("an answer in several messages", () => {
  it("closes the stream of a part once the next part starts", async () => {
    const { reply } = writer("C1");
    const first = await reply.post("第一部");
    const second = await reply.post("第二部");
    expect(fake.streams.get(first.id)?.stopped).toBe(true);
    expect(fake.streams.get(second.id)?.stopped).toBe(false);
    // A last edit of the closed part still lands (as chat.update).
    await reply.edit(first, "第一部（完）");
    await reply.end();
    expect(fake.store.find("C1", first.id)?.text).toBe("第一部（完）");
    expect(fake.streams.get(second.id)?.stopped).toBe(true);
    expect(reply.mode).toBe("stream");
  });
});
