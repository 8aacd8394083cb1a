// How many of the oldest turns to drop when an OpenAI-compatible server refused a conversation as
// longer than its context. The in-process engine counts tokens itself (context-fit.ts); a remote
// server is the only one who knows its tokenizer and context size, and llama-server says both in
// its refusal (n_prompt_tokens, n_ctx). So the backend sends everything, and on a refusal drops
// turns in proportion to their share of the text, keeping the question and starting the kept
// history on a user turn, like fitConversation, and leaving room for the answer as it does.

import type { ChatTurn } from "../types.js";

export interface OverflowFacts {
  /** Tokens the server counted for the prompt it refused. */
  readonly neededTokens: number;
  /** The server's context per request. */
  readonly availableTokens: number;
  /** The answer's requested maximum; min(it, a quarter of the context) is kept free. */
  readonly maxTokens: number;
}

/**
 * Index of the first turn to keep (> 0: that many are dropped), or undefined when only the question
 * is left to send (nothing more can be dropped).
 */
export function keepFrom(systemPrompt: string, turns: readonly ChatTurn[], facts: OverflowFacts): number | undefined {
  if (turns.length <= 1) return undefined;
  const reserve = Math.max(1, Math.min(facts.maxTokens, Math.floor(facts.availableTokens / 4)));
  const excess = facts.neededTokens - (facts.availableTokens - reserve);
  const chars = systemPrompt.length + turns.reduce((sum, t) => sum + t.text.length, 0);
  const tokensPerChar = facts.neededTokens / Math.max(1, chars);
  let dropped = 0;
  for (let start = 1; start < turns.length; start++) {
    dropped += (turns[start - 1]?.text.length ?? 0) * tokensPerChar;
    const onUserTurn = turns[start]?.role === "user";
    if (onUserTurn && dropped >= excess) return start;
  }
  return turns.length - 1;
}
