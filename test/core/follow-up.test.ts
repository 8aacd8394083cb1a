import { describe, expect, it } from "vitest";
import { decideFollowUp } from "../../src/core/follow-up.js";

const on = { enabled: true, ignorePrefix: "//" };

describe("decideFollowUp", () => {
  it("answers a plain message in the bot's conversation", () => {
    expect(decideFollowUp({ text: "続きは？", mentionsOthers: false, inBotConversation: true }, on)).toEqual({ kind: "answer" });
  });

  it("asks for the conversation fact only when everything else says answer", () => {
    expect(decideFollowUp({ text: "続きは？", mentionsOthers: false, inBotConversation: "unknown" }, on)).toEqual({ kind: "check-conversation" });
    expect(decideFollowUp({ text: "// メモ", mentionsOthers: false, inBotConversation: "unknown" }, on).kind).toBe("ignore");
    expect(decideFollowUp({ text: "@佐藤 見て", mentionsOthers: true, inBotConversation: "unknown" }, on).kind).toBe("ignore");
  });

  it("ignores outside the bot's conversation, with the prefix (after spaces), with others mentioned, and when off", () => {
    expect(decideFollowUp({ text: "はい", mentionsOthers: false, inBotConversation: false }, on)).toEqual({
      kind: "ignore",
      reason: "not in a conversation with the bot",
    });
    expect(decideFollowUp({ text: "  //メモ", mentionsOthers: false, inBotConversation: true }, on).kind).toBe("ignore");
    expect(decideFollowUp({ text: "見て", mentionsOthers: true, inBotConversation: true }, on).kind).toBe("ignore");
    expect(decideFollowUp({ text: "はい", mentionsOthers: false, inBotConversation: true }, { ...on, enabled: false }).kind).toBe("ignore");
  });

  it("ignores nothing by prefix when the prefix is empty", () => {
    expect(decideFollowUp({ text: "//コード", mentionsOthers: false, inBotConversation: true }, { enabled: true, ignorePrefix: "" })).toEqual({
      kind: "answer",
    });
  });
});
