// How read attachments enter the conversation and the answer. The files go into the asker's own
// turn, after the question, each fenced and named, so that the model sees which text came from
// which file and that it is material rather than instructions from the asker. What was left out
// becomes one short Japanese line under the answer, naming each file and why.

import type { AttachmentsRead, LeftOut, LeftOutReason } from "./read-attachments.js";

/** The question with the attachments' text after it (the question alone when none was read). */
export function questionWithAttachments(question: string, read: AttachmentsRead): string {
  if (read.blocks.length === 0) return question;
  const parts = read.blocks.map((block) => {
    // A fence longer than any run of backticks inside, so a Markdown file cannot close it early.
    const longest = Math.max(2, ...[...block.text.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = "`".repeat(longest + 1);
    const note = block.truncated ? "（長いため途中まで）" : "";
    return `[添付ファイル: ${block.name}${note}]\n${fence}\n${block.text.replace(/\n+$/, "")}\n${fence}`;
  });
  return `${question}\n\n${parts.join("\n\n")}`;
}

const REASONS: Record<LeftOutReason, string> = {
  unsupported: "読めない種類",
  too_large: "大きすぎるため未読",
  truncated: "長いため途中まで",
  no_room: "長さの上限のため未読",
  too_many: "数が多すぎるため未読",
  unreadable: "文字を読み取れず",
  fetch_failed: "取得できず",
};

/** 「（添付ファイルの一部を読んでいません: big.csv（長いため途中まで）、photo.png（読めない種類））」, or undefined. */
export function leftOutNotice(leftOut: readonly LeftOut[]): string | undefined {
  if (leftOut.length === 0) return undefined;
  return `（添付ファイルの一部を読んでいません: ${leftOut.map((item) => `${item.name}（${REASONS[item.reason]}）`).join("、")}）`;
}

const LEFT_OUT_AT_END = /\s*（添付ファイルの一部を読んでいません: [^\n]*）\s*$/;

/** An answer read back from a thread, without the left-out notice: history for the next question. */
export function stripLeftOutNotice(text: string): string {
  return text.replace(LEFT_OUT_AT_END, "");
}
