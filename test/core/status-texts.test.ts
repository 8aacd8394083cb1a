import { describe, expect, it } from "vitest";
import { messages } from "../../src/core/messages.js";
import { leftOutNotice } from "../../src/attachments/render.js";
import { historyNotice } from "../../src/core/history-notice.js";
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

  it("strips the lines put under an answer (cut note, dropped history, files left out), in any combination", () => {
    const leftOut = leftOutNotice([{ name: "big.csv", reason: "too_large", detail: "" }])!;
    expect(
      cleanHistory([
        { role: "assistant", text: `途中まで。\n\n${messages.cutByTimeout}\n\n${historyNotice(3)}\n\n${leftOut}` },
        { role: "user", text: "次" },
        { role: "assistant", text: `全部です。\n\n${leftOut}` },
      ]),
    ).toEqual([
      { role: "assistant", text: "途中まで。" },
      { role: "user", text: "次" },
      { role: "assistant", text: "全部です。" },
    ]);
  });
});
