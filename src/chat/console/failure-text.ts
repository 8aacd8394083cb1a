// Terminal wording for a request that did not produce an answer.

import { CancelledError, ContextOverflowError, InferenceTimeoutError, QueueFullError } from "../../inference/errors.js";

export function describeFailure(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  if (e instanceof QueueFullError) return `混み合っているため受け付けられませんでした: ${e.message}`;
  if (e instanceof InferenceTimeoutError) return `時間切れ: ${e.message}`;
  if (e instanceof CancelledError) return "中断しました";
  if (e instanceof ContextOverflowError) return `質問が長すぎます: ${e.message}`;
  return `エラー: ${e.message}`;
}
