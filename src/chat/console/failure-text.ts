// Terminal wording for a request that did not produce an answer.

export function describeFailure(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  switch (e.name) {
    case "QueueFullError":
      return `混み合っているため受け付けられませんでした: ${e.message}`;
    case "InferenceTimeoutError":
      return `時間切れ: ${e.message}`;
    case "CancelledError":
      return "中断しました";
    case "ContextOverflowError":
      return `質問が長すぎます: ${e.message}`;
    default:
      return `エラー: ${e.message}`;
  }
}
