// Turns the Responder's AnswerOutcome into the labels of elyza_answers_total: a small, fixed set
// of reasons (a label must never carry free text: one series per distinct message would grow
// without bound, and refusal texts are what the user was shown).

import { messages } from "../core/messages.js";
import type { AnswerOutcome } from "../core/types.js";
import type { AnswerOutcomeLabel } from "./bot-metrics.js";

export function outcomeLabels(outcome: AnswerOutcome): { outcome: AnswerOutcomeLabel; reason: string } {
  switch (outcome.kind) {
    case "answered":
      return { outcome: "answered", reason: "" };
    case "cancelled":
      return { outcome: "cancelled", reason: "" };
    case "refused":
      return { outcome: "refused", reason: refusalReason(outcome.reason) };
    case "failed":
      return { outcome: "failed", reason: failureKind(outcome.reason) };
    case "duplicate":
      // A redelivered question the journal already holds: not answered again.
      return { outcome: "refused", reason: "duplicate" };
  }
}

function refusalReason(text: string): string {
  if (text === messages.channelNotAllowed) return "channel_not_allowed";
  if (text === messages.userNotAllowed) return "user_not_allowed";
  if (text === messages.emptyQuestion) return "empty_question";
  if (text === messages.queueFull) return "queue_full";
  if (text === messages.userLimit) return "user_limit";
  if (text.startsWith(messages.rateLimited(0, 0).slice(0, 6))) return "rate_limited";
  return "other";
}

// The Responder's failure reasons start with their kind (src/core/responder.ts).
const FAILURE_KINDS: readonly [RegExp, string][] = [
  [/^timeout \(queue_wait\)/, "timeout_queue_wait"],
  [/^timeout \(first_token\)/, "timeout_first_token"],
  [/^timeout \(total\)/, "timeout_total"],
  [/^timeout/, "timeout"],
  [/^context overflow/, "context_overflow"],
  [/^engine error/, "engine_error"],
  [/^empty answer/, "empty_answer"],
  [/^submit failed/, "submit_failed"],
  [/^internal error/, "internal_error"],
  [/^could not post the refusal/, "platform"],
];

function failureKind(reason: string): string {
  for (const [pattern, kind] of FAILURE_KINDS) if (pattern.test(reason)) return kind;
  // What remains are failed posts and edits (PlatformCallError messages).
  return "platform";
}
