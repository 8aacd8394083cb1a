// The chat core's surface. Platform adapters (src/chat/<platform>) turn platform events into an
// IncomingQuestion and give a ReplyChannel that posts/edits messages; the core does the rest
// (access, rate limit, queueing, streaming edits, splitting, error messages). It never imports a
// platform package.

import type { ChatTurn } from "../inference/types.js";

export interface Asker {
  /** "slack" | "discord" | "console" — only used to namespace ids, never branched on. */
  readonly platform: string;
  readonly userId: string;
  /** Discord role ids of the asker in that guild; empty elsewhere. */
  readonly roleIds: readonly string[];
}

export interface IncomingQuestion {
  readonly asker: Asker;
  readonly channelId: string;
  readonly isDirect: boolean;
  /** The question with the bot's mention stripped. */
  readonly text: string;
  /** Earlier turns of the thread / reply chain, oldest first (mentions stripped). */
  readonly history: readonly ChatTurn[];
  /** Identifies the message asked in; deleting it cancels the answer (see Responder.cancelSource). */
  readonly sourceKey: string;
}

export interface MessageLimits {
  /** Characters (UTF-16 code units as the platforms count them) per message. */
  readonly maxChars: number;
  /** UTF-8 bytes per message, where the platform limits bytes. */
  readonly maxBytes?: number;
}

export interface PostedMessage {
  readonly id: string;
}

export interface ReplyChannel {
  readonly limits: MessageLimits;
  /** Posts a new message where the answer belongs (the thread, or as a reply). */
  post(text: string): Promise<PostedMessage>;
  edit(message: PostedMessage, text: string): Promise<void>;
  /** Converts the model's Markdown to the platform's dialect (Slack mrkdwn); identity if absent. */
  format?(markdown: string): string;
}

export type AnswerOutcome =
  | { readonly kind: "answered"; readonly text: string; readonly messages: number }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "cancelled" };

/**
 * ReplyChannel.post/edit reject with this when the bot's own message is gone (deleted by a user):
 * the answer is then stopped and reported as cancelled rather than failed. Any other rejection
 * counts as a platform failure.
 */
export class MessageDeletedError extends Error {
  override readonly name = "MessageDeletedError";
}
