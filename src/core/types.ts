// The chat core's surface. Platform adapters (src/chat/<platform>) turn platform events into an
// IncomingQuestion and give a ReplyChannel that posts/edits messages, and hand both to the ChatCore;
// the core decides the rest (access, empty question, rate limit, then history, deletion, queueing,
// streaming edits, splitting, error messages, outcome logging, shutdown). It never imports a
// platform package.

import { ElyzaBotError } from "../errors.js";
import type { AttachmentDescriptor } from "../attachments/read-attachments.js";
import type { ChatTurn } from "../inference/types.js";
import type { AnswerClick, AnswerControls, ClickResult } from "./answer-actions.js";

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
  /**
   * Reads the earlier turns of the thread / reply chain, oldest first (mentions stripped). The core
   * calls it only for a question it accepted, after its placeholder is up; a loader handles (logs)
   * its own platform failures and then returns what it has, or nothing.
   */
  readonly loadHistory: () => Promise<readonly ChatTurn[]>;
  /** Identifies the message asked in; deleting it cancels the answer (see ChatCore.cancelSource). */
  readonly sourceKey: string;
  /** The channel's name (e.g. "general"), when the adapter knows it: fills {channel} in a channel prompt. */
  readonly channelName?: string;
  /** Files attached to the question; the core reads them (within a budget) after its checks. */
  readonly attachments?: readonly AttachmentDescriptor[];
  /**
   * The channel whose chat.channels prompt and sampling apply, when not the one asked in: Slack's
   * pane answers with the settings of the channel the person has open beside it. Access, rate
   * limits and the edit pace stay with `channelId`.
   */
  readonly settingsChannel?: { readonly id: string; readonly name?: string };
}

/**
 * What every adapter needs of the chat core (Responder implements it): one interface for all
 * platforms. An adapter only translates: platform event → IncomingQuestion + ReplyChannel, deletion
 * → cancelSource, the /probe command → the probe chat handler (probe-chat.ts).
 */
export interface ChatCore {
  /**
   * Decides and answers one question; never rejects, so an adapter can fire and forget it. The core
   * tracks it until it has ended visibly (also through shutdown) and reports its outcome.
   */
  answer(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome>;
  /**
   * The message `sourceKey` was deleted: its answer is cancelled, or — when the core has not started
   * it yet — never started. True when an answer was in progress.
   */
  cancelSource(sourceKey: string): boolean;
  /** May run /probe from chat (the terminal needs no check). */
  isProbeAdmin(asker: Asker): boolean;
  /**
   * A button under an answer was pressed (answer-actions.ts decides who may do what). `reply` is
   * where a regenerated answer goes (below the old one). Never rejects. Absent: the core shows no
   * buttons.
   */
  act?(click: AnswerClick, reply: () => ReplyChannel): Promise<ClickResult>;
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

/**
 * Where an answer goes, as plain JSON that outlives the process: the journal stores it with each
 * question, and after a restart the adapter of `platform` turns it back into a ReplyChannel
 * (see ReplyChannelSource). The other fields are the adapter's own (channel and message ids).
 */
export interface ReplyAddress {
  readonly platform: string;
  readonly [field: string]: string | undefined;
}

/** An adapter's way back to a conversation after a restart. */
export type ReplyChannelSource = (address: ReplyAddress) => Promise<ReplyChannel>;

export interface ReplyChannel {
  readonly limits: MessageLimits;
  /** Set by adapters whose answers survive a restart (the journal keeps it). */
  readonly address?: ReplyAddress;
  /**
   * Posts a new message where the answer belongs (the thread, or as a reply). `part` is its place in
   * the answer (0 = the first message): a platform that can make posting idempotent uses it, so that
   * the same part posted twice (a retry after a lost response, a replay after a restart) is still
   * one message. Without it, the channel counts its own posts.
   */
  post(text: string, part?: number): Promise<PostedMessage>;
  /** Sets the message's whole text: sending the same edit again changes nothing (edits are idempotent). */
  edit(message: PostedMessage, text: string): Promise<void>;
  /** Converts the model's Markdown to the platform's dialect (Slack mrkdwn); identity if absent. */
  format?(markdown: string): string;
  /**
   * This channel's own pace of edits, for a surface without a platform rate limit (the terminal:
   * 0, every chunk at once); absent: the core's chat.editIntervalMs, shared per channel.
   */
  readonly editIntervalMs?: number;
  /**
   * The buttons under the answer's last message: Stop while it streams, Regenerate and 👍/👎 once
   * it is over, none after a failure. The channel takes the new controls synchronously (the posts
   * and edits that follow carry them) and re-renders its last message with them if it has one.
   * Absent: the platform shows no buttons.
   */
  controls?(controls: AnswerControls): Promise<void>;
  /**
   * Shows the placeholder (考え中…, the queue position) as a status line instead of a message (Slack's
   * native streaming: a stream can only grow, so its first text must be the answer's). With it, the
   * core posts nothing until the answer has text. Never rejects.
   */
  status?(text: string): Promise<void>;
  /** Called once when the answer is over (finished, stopped or failed): close what is still open. */
  end?(): Promise<void>;
}

export type AnswerOutcome =
  | { readonly kind: "answered"; readonly text: string; readonly messages: number }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "cancelled" }
  /** The journal already has this question (a redelivery, or a replay after a restart): not answered again. */
  | { readonly kind: "duplicate" };

/**
 * ReplyChannel.post/edit reject with this when the bot's own message is gone (deleted by a user):
 * the answer is then stopped and reported as cancelled rather than failed. Any other rejection
 * counts as a platform failure.
 */
export class MessageDeletedError extends ElyzaBotError {
  override readonly name = "MessageDeletedError";
}
