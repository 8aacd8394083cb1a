import { describe, expect, it } from "vitest";
import { messages } from "../../src/core/messages.js";
import { cleanHistory } from "../../src/core/status-texts.js";

describe("cleanHistory", () => {
  it("drops the bot's status messages, strips partial-answer notes, joins split turns", () => {
    expect(
      cleanHistory([
        { role: "user", text: "富士山の高さは？" },
        { role: "assistant", text: messages.rateLimited(10, 30) },
        { role: "user", text: "もう一度: 富士山の高さは？" },
        { role: "assistant", text: "3,776メートルです。" },
        { role: "assistant", text: `続きです。\n\n${messages.cutByTimeout}` },
        { role: "assistant", text: messages.thinking },
        { role: "user", text: "  ありがとう  " },
      ]),
    ).toEqual([
      { role: "user", text: "富士山の高さは？\nもう一度: 富士山の高さは？" },
      { role: "assistant", text: "3,776メートルです。\n続きです。" },
      { role: "user", text: "ありがとう" },
    ]);
  });

  it("keeps a user's text even when it looks like a status message", () => {
    expect(cleanHistory([{ role: "user", text: messages.thinking }])).toEqual([{ role: "user", text: messages.thinking }]);
  });
});
