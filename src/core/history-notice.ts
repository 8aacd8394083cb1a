// The one line an answer carries when older turns of its conversation were dropped to fit the
// context (GenerationResult.trimmedTurns, set by the in-process engine and by the openai backend):
// without it the model silently "forgets" the start of a long thread and people wonder why. It is
// put under the answer like the core's other remarks (messages.ts cutBy…), so reading the thread
// back as history must strip it again: stripHistoryNotice does that.

/** 「（会話が長いため、古いメッセージ4件を省いて回答しました）」, or undefined when nothing was dropped. */
export function historyNotice(trimmedTurns: number): string | undefined {
  if (!Number.isInteger(trimmedTurns) || trimmedTurns <= 0) return undefined;
  return `（会話が長いため、古いメッセージ${trimmedTurns}件を省いて回答しました）`;
}

/** The answer with the notice on its own last line (unchanged when nothing was dropped). */
export function withHistoryNotice(answer: string, trimmedTurns: number): string {
  const notice = historyNotice(trimmedTurns);
  return notice === undefined ? answer : `${answer.trimEnd()}\n\n${notice}`;
}

const NOTICE_AT_END = /\s*（会話が長いため、古いメッセージ\d+件を省いて回答しました）\s*$/;

/** An answer read back from a thread, without the notice: history for the next question. */
export function stripHistoryNotice(text: string): string {
  return text.replace(NOTICE_AT_END, "");
}
