// Fits a conversation into one sequence's context: the oldest turns go first; the system prompt
// and the newest question always stay; room is kept for the answer.

import { ContextOverflowError } from "./errors.js";
import type { ChatTurn, Conversation } from "./types.js";

export interface FitResult {
  readonly turns: readonly ChatTurn[];
  readonly trimmedTurns: number;
  readonly promptTokens: number;
  /** New tokens the answer may use: the requested maximum, or what is left of the context. */
  readonly maxTokens: number;
}

/**
 * @param countPrompt tokens of the rendered prompt (chat template included) for these turns
 * @param contextSize tokens of one sequence
 * @param maxTokens requested answer length; at least min(maxTokens, contextSize / 4) stays free
 */
export function fitConversation(
  conversation: Conversation,
  countPrompt: (turns: readonly ChatTurn[]) => number,
  contextSize: number,
  maxTokens: number,
): FitResult {
  const reserve = Math.max(1, Math.min(maxTokens, Math.floor(contextSize / 4)));
  const budget = contextSize - reserve;
  const turns = conversation.turns;
  if (turns.length === 0) throw new Error("a conversation needs at least the question");
  const question = turns.slice(-1);
  const alone = countPrompt(question);
  if (alone > budget) throw new ContextOverflowError(alone + reserve, contextSize);

  // Drop the oldest turns until it fits; start the kept history on a user turn so the model never
  // sees an answer without its question.
  for (let start = 0; start < turns.length; start++) {
    if (start > 0 && turns[start]?.role !== "user" && start < turns.length - 1) continue;
    const kept = turns.slice(start);
    const tokens = start === turns.length - 1 ? alone : countPrompt(kept);
    if (tokens <= budget) {
      return { turns: kept, trimmedTurns: start, promptTokens: tokens, maxTokens: Math.min(maxTokens, contextSize - tokens) };
    }
  }
  return { turns: question, trimmedTurns: turns.length - 1, promptTokens: alone, maxTokens: Math.min(maxTokens, contextSize - alone) };
}
