// The benchmark's shared workload: the same chat prompts, token counts and seeds for every side
// (the queue over node-llama-cpp, and llama.cpp's own llama-server), and the figures taken from it.

export const PROMPTS = [
  "日本の首都はどこですか？",
  "富士山の高さを教えてください。",
  "おすすめの本を三冊挙げてください。",
  "Explain a binary search in one paragraph.",
  "明日の会議の議題を考えてください。",
  "猫と犬の違いは何ですか？",
  "俳句をひとつ作ってください。",
  "TypeScript の利点を説明してください。",
];
export const SYSTEM = "あなたは誠実で優秀な日本人のアシスタントです。";

/** One request as the bench saw it: times from its submission. */
export interface Timed {
  readonly tokens: number;
  readonly firstTokenMs: number;
  readonly endMs: number;
}

export interface ConcurrentFigures {
  /** All tokens over the wall time, prompts included. */
  readonly wholeTokensPerSecond: number;
  /** Tokens after the last first token, over the time after it: every request generating. */
  readonly decodeTokensPerSecond: number;
  readonly medianFirstTokenMs: number;
  readonly slowestFirstTokenMs: number;
}

/** Figures of rounds of n requests submitted together (each Timed relative to the round's start). */
export function concurrentFigures(rounds: readonly (readonly Timed[])[]): ConcurrentFigures {
  let tokens = 0;
  let wall = 0;
  let decodeTokens = 0;
  let decodeMs = 0;
  const firsts: number[] = [];
  let slowest = 0;
  for (const round of rounds) {
    const end = Math.max(...round.map((r) => r.endMs));
    const lastFirst = Math.max(...round.map((r) => r.firstTokenMs));
    tokens += round.reduce((s, r) => s + r.tokens, 0);
    wall += end;
    decodeTokens += round.reduce((s, r) => s + r.tokens - 1, 0);
    decodeMs += end - lastFirst;
    firsts.push(...round.map((r) => r.firstTokenMs));
    slowest = Math.max(slowest, lastFirst);
  }
  return {
    wholeTokensPerSecond: (1000 * tokens) / Math.max(1, wall),
    decodeTokensPerSecond: (1000 * decodeTokens) / Math.max(1, decodeMs),
    medianFirstTokenMs: percentile(firsts, 0.5),
    slowestFirstTokenMs: slowest,
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
