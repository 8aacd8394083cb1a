// Slack's AI app surface end to end: DM answers streamed natively (chat.startStream / appendStream /
// stopStream) with the 考え中… status line, the fallback to chat.postMessage/chat.update when the
// fake refuses the stream, and the pane's suggested prompts — real Bolt against the fake Slack, the
// real Responder and queue in front of a ScriptedEngine.

import { afterEach, describe, expect, it, vi } from "vitest";
import { messages } from "../../../src/core/messages.js";
import { STOP_OFFER } from "../../../src/chat/slack/native-stream.js";
import { SUGGESTED_PROMPTS, SUGGESTED_PROMPTS_TITLE } from "../../../src/chat/slack/suggested-prompts.js";
import { startHarness, SYSTEM_PROMPT, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const chunks = ["富士山の", "標高は", "3776mです。"];

describe("Slack native streaming", () => {
  it("streams a DM answer with startStream/appendStream/stopStream, showing 考え中… as the status until it starts", async () => {
    h = await startHarness({ nativeStreaming: true, script: () => ({ chunks, chunkDelayMs: 30, firstChunkDelayMs: 50 }), editIntervalMs: 20 });
    const said = h.fake.userSays("D100", "U1", "富士山の高さは？");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("answered");

    // No placeholder message: the stream's first text is the answer's.
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(0);
    const started = h.fake.callsTo("chat.startStream");
    expect(started).toHaveLength(1);
    expect(started[0]!.args).toMatchObject({ channel: "D100", thread_ts: said.ts });
    const stream = [...h.fake.streams.values()][0]!;
    await vi.waitFor(() => expect(stream.stopped).toBe(true));
    expect(stream.chunks.join("")).toBe(chunks.join(""));
    expect(h.fake.callsTo("chat.appendStream").length).toBeGreaterThan(0);
    expect(h.botMessages("D100", said.ts)).toEqual([chunks.join("")]);
    // The status said 考え中… while waiting and was cleared once the answer started.
    const statuses = h.fake.assistantThreads.get(`D100:${said.ts}`)!.statuses;
    expect(statuses[0]).toBe(messages.thinking);
    expect(statuses.at(-1)).toBe("");
    // Regenerate and 👍/👎 went under the finished stream with chat.stopStream.
    const stop = h.fake.callsTo("chat.stopStream").at(-1)!;
    const blocks = stop.args["blocks"] as { type: string; elements: { action_id: string }[] }[];
    expect(blocks.map((b) => b.type)).toEqual(["actions"]);
    expect(blocks[0]!.elements.map((e) => e.action_id)).toEqual(["elyza_answer_regenerate", "elyza_answer_up", "elyza_answer_down"]);
  });

  it("falls back to chat.postMessage/chat.update when the fake refuses chat.startStream, and still clears the status", async () => {
    h = await startHarness({ nativeStreaming: true, script: () => ({ chunks, chunkDelayMs: 30 }), editIntervalMs: 20 });
    h.fake.failNext("chat.startStream", { error: "not_allowed" });
    const said = h.fake.userSays("D100", "U1", "富士山の高さは？");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    expect(h.fake.callsTo("chat.startStream")).toHaveLength(1);
    expect(h.fake.callsTo("chat.appendStream")).toHaveLength(0);
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(1);
    // The DM's top level, as without streaming.
    expect(h.botMessages("D100")).toEqual([chunks.join("")]);
    expect(h.logs.some((l) => l.includes("fell back to chat.update") && l.includes("not_allowed"))).toBe(true);
    const statuses = h.fake.assistantThreads.get(`D100:${said.ts}`)!.statuses;
    expect(statuses[0]).toBe(messages.thinking);
    expect(statuses.at(-1)).toBe("");
  });

  it("clears the status when the answer fails before any text", async () => {
    h = await startHarness({ nativeStreaming: true, script: () => ({ chunks: [], fail: new Error("GPU lost") }) });
    const said = h.fake.userSays("D100", "U1", "質問です");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("failed");
    const statuses = h.fake.assistantThreads.get(`D100:${said.ts}`)!.statuses;
    expect(statuses[0]).toBe(messages.thinking);
    expect(statuses.at(-1)).toBe("");
    expect(h.botMessages("D100", said.ts).join("")).toContain(messages.engineError);
  });

  it("offers Stop to the asker in an ephemeral message; Stop ends the generation and stops the stream with the partial text", async () => {
    h = await startHarness({ nativeStreaming: true, script: () => ({ chunks: ["途中まで", "の回答", "（続き）"], hangAfterChunks: 2 }), editIntervalMs: 20 });
    const said = h.fake.userSays("D100", "U1", "長い話をして");
    await vi.waitFor(() => expect([...h!.fake.streams.values()][0]?.chunks.join("")).toBe("途中までの回答"));
    const offer = h.fake.ephemerals.find((e) => e.user === "U1")!;
    expect(offer).toMatchObject({ channel: "D100", threadTs: said.ts, text: STOP_OFFER });
    const stop = (offer.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === "actions")!.elements![0]!;
    expect(stop.action_id).toBe("elyza_answer_stop");
    expect(h.queue.stats().running).toBe(1);

    h.fake.clickButton({ user: "U1", channel: "D100", messageTs: offer.ts, actionId: stop.action_id, value: stop.value, ephemeral: true, threadTs: said.ts });
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("cancelled");
    expect(h.queue.stats()).toEqual({ waiting: 0, running: 0 });
    const stream = [...h.fake.streams.values()][0]!;
    await vi.waitFor(() => expect(stream.stopped).toBe(true));
    expect(h.botMessages("D100", said.ts)).toEqual([`途中までの回答\n\n${messages.cutByStop}`]);
    // The ephemeral offer was replaced by a note that it stopped.
    await vi.waitFor(() => expect(h!.fake.responses.at(-1)?.body).toMatchObject({ replace_original: true }));
  });

  it("streams a channel answer in the question's thread, for the asker and their team, with the status line while it waits", async () => {
    h = await startHarness({ nativeStreaming: true, script: () => ({ chunks, chunkDelayMs: 30 }), editIntervalMs: 20 });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 富士山の高さは？");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(0);
    expect(h.fake.callsTo("chat.startStream").map((c) => c.args)).toEqual([
      expect.objectContaining({ channel: "C100", thread_ts: said.ts, recipient_user_id: "U1", recipient_team_id: h.fake.teamId }),
    ]);
    await vi.waitFor(() => expect([...h!.fake.streams.values()][0]?.stopped).toBe(true));
    expect(h.botMessages("C100", said.ts)).toEqual([chunks.join("")]);
    const statuses = h.fake.assistantThreads.get(`C100:${said.ts}`)!.statuses;
    expect(statuses[0]).toBe(messages.thinking);
    expect(statuses.at(-1)).toBe("");
  });

  it("streams a regenerated channel answer too, below the first, for the person who clicked", async () => {
    h = await startHarness({ nativeStreaming: true, script: (_, i) => ({ chunks: [i === 0 ? "最初の回答" : "二つ目の回答"], chunkDelayMs: 1 }) });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 富士山の高さは？");
    await h.waitForOutcomes(1);
    await vi.waitFor(() => expect([...h!.fake.streams.values()][0]?.stopped).toBe(true));
    const first = h.fake.store.thread("C100", said.ts).find((m) => m.user === h!.fake.botUserId)!;
    const actions = (first.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === "actions")!;
    const regenerate = actions.elements!.find((e) => e.action_id === "elyza_answer_regenerate")!;
    const click = h.fake.clickButton({ user: "U1", channel: "C100", messageTs: first.ts, actionId: regenerate.action_id, value: regenerate.value });
    await h.fake.waitForAck(click.envelopeId);

    await vi.waitFor(() => expect(h!.botMessages("C100", said.ts)).toEqual(["最初の回答", "二つ目の回答"]));
    expect(h.fake.callsTo("chat.startStream").map((c) => c.args)).toEqual([
      expect.objectContaining({ thread_ts: said.ts }),
      expect.objectContaining({ channel: "C100", thread_ts: said.ts, recipient_user_id: "U1", recipient_team_id: h.fake.teamId }),
    ]);
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("names the asker's own team in a channel shared with another workspace", async () => {
    h = await startHarness({ nativeStreaming: true });
    h.fake.userSays("C100", "U9", "<@UBOT> 質問です", { userTeam: "T0999" });
    await h.waitForOutcomes(1);
    expect(h.fake.callsTo("chat.startStream")[0]!.args).toMatchObject({ recipient_user_id: "U9", recipient_team_id: "T0999" });
  });

  it("shows a queued channel question's place on its status line, and its answer still streams", async () => {
    h = await startHarness({
      nativeStreaming: true,
      parallel: 1,
      script: (o) =>
        o.conversation.turns.at(-1)!.text.includes("一つ目") ? { chunks: ["先の回答", "（続き）"], hangAfterChunks: 1 } : { chunks: ["後の回答"] },
    });
    const first = h.fake.userSays("C100", "U1", "<@UBOT> 一つ目");
    await vi.waitFor(() => expect([...h!.fake.streams.values()][0]?.chunks.join("")).toBe("先の回答"));
    const second = h.fake.userSays("C100", "U2", "<@UBOT> 二つ目");
    await vi.waitFor(() => expect(h!.fake.assistantThreads.get(`C100:${second.ts}`)?.statuses).toContain(messages.queued(1)));
    // Nothing posted for the waiting question: its place is on the status line.
    expect(h.botMessages("C100", second.ts)).toEqual([]);
    // The first answer is stopped (its asker deletes the question): the second one streams.
    h.fake.deliverEvent({
      type: "message",
      subtype: "message_deleted",
      hidden: true,
      channel: "C100",
      channel_type: "channel",
      ts: h.fake.nextTs(),
      deleted_ts: first.ts,
    });
    await h.waitForOutcomes(2);
    expect(h.outcomes.map((o) => o.outcome.kind)).toEqual(["cancelled", "answered"]);
    expect(h.botMessages("C100", second.ts)).toEqual(["後の回答"]);
    expect(h.fake.callsTo("chat.startStream").map((c) => c.args["thread_ts"])).toEqual([first.ts, second.ts]);
  });

  it("posts the wait as a message in a channel whose workspace refuses the status, then answers in that message", async () => {
    h = await startHarness({ nativeStreaming: true, script: () => ({ chunks, chunkDelayMs: 30 }), editIntervalMs: 20 });
    h.fake.failNext("assistant.threads.setStatus", { error: "missing_scope" });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 富士山の高さは？");
    await h.waitForOutcomes(1);
    expect(h.fake.callsTo("chat.startStream")).toHaveLength(0);
    expect(h.fake.callsTo("chat.postMessage").map((c) => c.args["text"])).toEqual([messages.thinking]);
    expect(h.botMessages("C100", said.ts)).toEqual([chunks.join("")]);
    expect(h.logs.some((l) => l.includes("fell back to chat.update") && l.includes("missing_scope"))).toBe(true);
  });
});

describe("Slack assistant pane", () => {
  it("offers the suggested prompts when an assistant thread starts, and titles it from the first question", async () => {
    h = await startHarness({ nativeStreaming: true });
    const threadTs = h.fake.nextTs();
    h.fake.store.add({ channel: "D200", user: h.fake.botUserId, text: "こんにちは", ts: threadTs });
    const started = h.fake.deliverEvent({
      type: "assistant_thread_started",
      assistant_thread: {
        user_id: "U1",
        context: { channel_id: "C100", team_id: h.fake.teamId, enterprise_id: null },
        channel_id: "D200",
        thread_ts: threadTs,
      },
    });
    await h.fake.waitForAck(started.envelopeId);
    await vi.waitFor(() => expect(h!.fake.assistantThreads.get(`D200:${threadTs}`)?.prompts).toBeDefined());
    const pane = h.fake.assistantThreads.get(`D200:${threadTs}`)!;
    expect(pane.prompts).toEqual({ title: SUGGESTED_PROMPTS_TITLE, prompts: SUGGESTED_PROMPTS.map((p) => ({ title: p.title, message: p.message })) });

    h.fake.userSays("D200", "U1", "社内勉強会のテーマ案を5つ挙げてください。", { threadTs });
    await h.waitForOutcomes(1);
    await vi.waitFor(() => expect(pane.title).toBe("社内勉強会のテーマ案を5つ挙げてください。"));
    expect(h.fake.callsTo("chat.startStream")[0]!.args).toMatchObject({ channel: "D200", thread_ts: threadTs });
  });

  it("answers with the settings of the channel open beside the pane, and follows the person to another channel", async () => {
    h = await startHarness({
      nativeStreaming: true,
      channelSettings: {
        systemPrompt: SYSTEM_PROMPT,
        sampling: { temperature: 0.6, topP: 0.9, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 1200 },
        chat: { timeZone: "Asia/Tokyo", channels: { C200: { systemPrompt: "あなたは{channel}の案内係です。", sampling: { temperature: 0.1 } } } },
      },
    });
    const threadTs = h.fake.nextTs();
    h.fake.store.add({ channel: "D200", user: h.fake.botUserId, text: "こんにちは", ts: threadTs });
    const thread = (channel: string) => ({ user_id: "U1", context: { channel_id: channel, team_id: h!.fake.teamId }, channel_id: "D200", thread_ts: threadTs });
    await h.fake.waitForAck(h.fake.deliverEvent({ type: "assistant_thread_started", assistant_thread: thread("C200") }).envelopeId);
    h.fake.userSays("D200", "U1", "一つ目の質問", { threadTs });
    await h.waitForOutcomes(1);
    await h.fake.waitForAck(h.fake.deliverEvent({ type: "assistant_thread_context_changed", assistant_thread: thread("C300") }).envelopeId);
    h.fake.userSays("D200", "U1", "二つ目の質問", { threadTs });
    await h.waitForOutcomes(2);

    const [beside200, beside300] = h.scripted!.calls;
    expect(beside200!.conversation.systemPrompt).toBe("あなたはC200の案内係です。");
    expect(beside200!.sampling.temperature).toBe(0.1);
    expect(beside300!.conversation.systemPrompt).toBe(SYSTEM_PROMPT);
    expect(beside300!.sampling.temperature).toBe(0.6);
  });
});
