// The conversation features through the real Bolt App against the fake Slack: follow-ups without a
// mention in a thread the bot answered in, per-channel prompts and sampling, attached files in the
// context, and the line that says older history was dropped.

import { afterEach, describe, expect, it, vi } from "vitest";
import { historyNotice } from "../../../src/core/history-notice.js";
import { startHarness, SYSTEM_PROMPT, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const waitForLog = (fragment: string) =>
  vi.waitFor(() =>
    expect(
      h!.logs.some((l) => l.includes(fragment)),
      fragment,
    ).toBe(true),
  );

describe("Slack follow-ups", () => {
  it("answers the next message in a thread the bot answered in, without a mention, with the thread as history", async () => {
    h = await startHarness({ script: (_, i) => ({ chunks: [i === 0 ? "最初の答えです。" : "続きの答えです。"] }) });
    const asked = h.fake.userSays("C100", "U1", "<@UBOT> 東京の人口は？");
    await h.waitForOutcomes(1);
    h.fake.userSays("C100", "U1", "大阪は？", { threadTs: asked.ts });
    await h.waitForOutcomes(2);

    expect(h.outcomes[1]!.outcome.kind).toBe("answered");
    expect(h.scripted!.calls[1]!.conversation.turns).toEqual([
      { role: "user", text: "東京の人口は？" },
      { role: "assistant", text: "最初の答えです。" },
      { role: "user", text: "大阪は？" },
    ]);
    expect(h.botMessages("C100", asked.ts)).toEqual(["最初の答えです。", "続きの答えです。"]);
  });

  it("does not answer a message there that mentions someone else, or starts with the ignore prefix", async () => {
    h = await startHarness();
    const asked = h.fake.userSays("C100", "U1", "<@UBOT> 質問です");
    await h.waitForOutcomes(1);
    h.fake.userSays("C100", "U2", "<@U7OTHER> これ見ておいて", { threadTs: asked.ts });
    await waitForLog("mentions someone else");
    h.fake.userSays("C100", "U1", "// メモ: あとで確認", { threadTs: asked.ts });
    await waitForLog("ignore prefix");
    // A message that is a follow-up goes through: the two before it were decided and dropped.
    h.fake.userSays("C100", "U1", "ありがとう、もう一つ", { threadTs: asked.ts });
    await h.waitForOutcomes(2);
    expect(h.scripted!.calls).toHaveLength(2);
    expect(h.outcomes.map((o) => o.question)).toEqual(["質問です", "ありがとう、もう一つ"]);
  });

  it("does not answer in a thread the bot has not answered in, nor when follow-ups are off", async () => {
    h = await startHarness({ followUps: { enabled: false, ignorePrefix: "//" } });
    const root = h.fake.userSays("C100", "U1", "人間同士のスレッド");
    h.fake.userSays("C100", "U2", "返信します", { threadTs: root.ts });
    await waitForLog("follow-ups are off");
    await h.stop();

    h = await startHarness();
    const other = h.fake.userSays("C100", "U1", "人間同士のスレッド");
    h.fake.userSays("C100", "U2", "返信します", { threadTs: other.ts });
    await waitForLog("not in a conversation with the bot");
    expect(h.scripted!.calls).toHaveLength(0);
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("knows a thread the bot answered in before a restart from the thread itself", async () => {
    h = await startHarness();
    // The question and the answer of an earlier process: in the thread, not in this adapter's memory.
    const rootTs = h.fake.nextTs();
    h.fake.store.add({ channel: "C100", user: "U1", text: "<@UBOT> 前の質問", ts: rootTs });
    h.fake.store.add({ channel: "C100", user: h.fake.botUserId, bot_id: "BBOT", text: "前の答え", ts: h.fake.nextTs(), thread_ts: rootTs });
    h.fake.userSays("C100", "U1", "続きです", { threadTs: rootTs });
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.question).toBe("続きです");
    expect(h.fake.callsTo("conversations.replies").length).toBeGreaterThanOrEqual(1);
    expect(h.scripted!.calls[0]!.conversation.turns.map((t) => t.role)).toEqual(["user", "assistant", "user"]);
  });
});

describe("Slack per-channel settings", () => {
  it("sends a channel's own system prompt (placeholders filled in) and sampling to the engine; other channels keep the default", async () => {
    h = await startHarness({
      channelSettings: {
        systemPrompt: SYSTEM_PROMPT,
        sampling: { temperature: 0.6, topP: 0.9, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 1200 },
        chat: { timeZone: "Asia/Tokyo", channels: { C200: { systemPrompt: "あなたは{channel}の案内係です。", sampling: { temperature: 0.1 } } } },
      },
    });
    h.fake.userSays("C200", "U1", "<@UBOT> こんにちは");
    await h.waitForOutcomes(1);
    h.fake.userSays("C100", "U1", "<@UBOT> こんにちは");
    await h.waitForOutcomes(2);

    const [special, plain] = h.scripted!.calls;
    expect(special!.conversation.systemPrompt).toBe("あなたはC200の案内係です。");
    expect(special!.sampling.temperature).toBe(0.1);
    expect(special!.sampling.topP).toBe(0.9);
    expect(plain!.conversation.systemPrompt).toBe(SYSTEM_PROMPT);
    expect(plain!.sampling.temperature).toBe(0.6);
  });
});

describe("Slack attachments in the context", () => {
  it("puts a shared text file into the question the model sees, and names an oversized one under the answer", async () => {
    h = await startHarness({ attachments: { budgetTokens: 1000, countTokens: (t) => [...t].length, maxBytes: 64 } });
    const memo = h.fake.hostFile({ name: "memo.txt", mimetype: "text/plain", data: Buffer.from("会議は15時から第2会議室") });
    const big = h.fake.hostFile({ name: "big.csv", mimetype: "text/csv", data: Buffer.from("a,b\n".repeat(100)) });
    const asked = h.fake.userSays("C100", "U1", "<@UBOT> 要約して", { files: [memo, big] });
    await h.waitForOutcomes(1);

    const question = h.scripted!.calls[0]!.conversation.turns.at(-1)!.text;
    expect(question).toContain("要約して");
    expect(question).toContain("[添付ファイル: memo.txt]");
    expect(question).toContain("会議は15時から第2会議室");
    expect(question).not.toContain("a,b");
    const answer = h.botMessages("C100", asked.ts).join("\n");
    expect(answer).toContain("big.csv（大きすぎるため未読）");
  });

  it("reads a file shared in a follow-up (a file_share message in the bot's thread)", async () => {
    h = await startHarness();
    const asked = h.fake.userSays("C100", "U1", "<@UBOT> これから資料を送ります");
    await h.waitForOutcomes(1);
    const file = h.fake.hostFile({ name: "notes.md", mimetype: "text/markdown", data: Buffer.from("# 議事録\n- 予算承認") });
    h.fake.userSays("C100", "U1", "", { threadTs: asked.ts, files: [file] });
    await h.waitForOutcomes(2);
    expect(h.outcomes[1]!.outcome.kind).toBe("answered");
    expect(h.scripted!.calls[1]!.conversation.turns.at(-1)!.text).toContain("- 予算承認");
  });
});

describe("Slack history-trim notice", () => {
  it("says under the answer that older turns were dropped, and strips that line when the thread is read back", async () => {
    h = await startHarness({ script: (_, i) => ({ chunks: ["答えです。"], ...(i === 0 ? { trimmedTurns: 4 } : {}) }) });
    const asked = h.fake.userSays("C100", "U1", "<@UBOT> 長い会話");
    await h.waitForOutcomes(1);
    expect(h.botMessages("C100", asked.ts)[0]).toBe(`答えです。\n\n${historyNotice(4)}`);

    h.fake.userSays("C100", "U1", "続けて", { threadTs: asked.ts });
    await h.waitForOutcomes(2);
    expect(h.scripted!.calls[1]!.conversation.turns[1]).toEqual({ role: "assistant", text: "答えです。" });
    expect(h.botMessages("C100", asked.ts)[1]).toBe("答えです。");
  });
});
