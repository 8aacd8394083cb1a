import { describe, expect, it } from "vitest";
import { messages } from "../../../src/core/messages.js";
import { classifyEvent } from "../../../src/chat/slack/events.js";
import { isStatusText, stripStatusNotes } from "../../../src/core/status-texts.js";

const BOT = "UBOT";

describe("classifyEvent", () => {
  it("answers a mention in the thread it was made in (or starts one)", () => {
    expect(classifyEvent({ type: "app_mention", user: "U1", text: "<@UBOT> q", ts: "2.0", channel: "C1" }, BOT)).toMatchObject({
      kind: "question",
      threadTs: "2.0",
      isDirect: false,
      sourceKey: "slack:C1:2.0",
    });
    expect(classifyEvent({ type: "app_mention", user: "U1", text: "q", ts: "3.0", thread_ts: "1.0", channel: "C1" }, BOT)).toMatchObject({
      kind: "question",
      threadTs: "1.0",
    });
  });

  it("offers a channel thread message without the bot's mention as a possible follow-up, with who else it mentions", () => {
    const reply = { type: "message", channel_type: "channel", user: "U1", ts: "3.0", thread_ts: "1.0", channel: "C1" };
    expect(classifyEvent({ ...reply, text: "続きは？" }, BOT)).toMatchObject({
      kind: "thread-message",
      threadTs: "1.0",
      mentionsOthers: false,
      sourceKey: "slack:C1:3.0",
    });
    expect(classifyEvent({ ...reply, text: "<@U2|sato> 見て" }, BOT)).toMatchObject({ kind: "thread-message", mentionsOthers: true });
    // With the bot's mention it is answered from app_mention; at the top level it is no follow-up.
    expect(classifyEvent({ ...reply, text: "<@UBOT> 続き" }, BOT).kind).toBe("ignore");
    expect(classifyEvent({ ...reply, thread_ts: undefined, text: "雑談" }, BOT).kind).toBe("ignore");
    expect(classifyEvent({ ...reply, thread_ts: "3.0", text: "スレッドの親" }, BOT).kind).toBe("ignore");
  });

  it("answers DMs from their message event, at the top level unless in a thread", () => {
    expect(classifyEvent({ type: "message", channel_type: "im", user: "U1", text: "q", ts: "2.0", channel: "D1" }, BOT)).toMatchObject({
      kind: "question",
      threadTs: undefined,
      isDirect: true,
    });
    expect(classifyEvent({ type: "app_mention", user: "U1", text: "<@UBOT> q", ts: "2.0", channel: "D1" }, BOT).kind).toBe("ignore");
  });

  it("ignores bots, itself, subtypes and plain channel messages", () => {
    const base = { type: "message", channel_type: "im", text: "x", ts: "2.0", channel: "D1" };
    expect(classifyEvent({ ...base, user: "U2", bot_id: "B2" }, BOT).kind).toBe("ignore");
    expect(classifyEvent({ ...base, user: BOT }, BOT).kind).toBe("ignore");
    for (const subtype of ["message_changed", "bot_message", "channel_join", "message_replied"]) {
      expect(classifyEvent({ ...base, user: "U1", subtype }, BOT).kind).toBe("ignore");
    }
    expect(classifyEvent({ ...base, user: "U1", subtype: "file_share" }, BOT).kind).toBe("question");
    expect(classifyEvent({ ...base, channel_type: "channel", channel: "C1", user: "U1", text: "<@UBOT> q" }, BOT).kind).toBe("ignore");
  });

  it("turns a deletion into a cancel of the deleted message's answer", () => {
    expect(classifyEvent({ type: "message", subtype: "message_deleted", channel: "C1", deleted_ts: "2.0", ts: "9.0" }, BOT)).toEqual({
      kind: "cancel",
      sourceKey: "slack:C1:2.0",
    });
  });
});

describe("status texts", () => {
  it("recognises the chat core's placeholders, refusals and errors", () => {
    for (const t of [messages.thinking, messages.queued(3), messages.queueFull, messages.rateLimited(10, 42), messages.timeout("total"), messages.cancelled]) {
      expect(isStatusText(t)).toBe(true);
    }
    expect(isStatusText("富士山は3,776メートルです。")).toBe(false);
  });

  it("strips the remark after a partial answer", () => {
    expect(stripStatusNotes(`途中まで\n\n${messages.cutByTimeout}`)).toBe("途中まで");
    expect(stripStatusNotes("全部")).toBe("全部");
  });
});
