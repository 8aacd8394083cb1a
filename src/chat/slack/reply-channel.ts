// Where an answer goes in Slack: chat.postMessage into the thread (or the DM), chat.update for the
// streamed edits.
//
// Exactly once: Slack has no idempotency key, so a chat.postMessage whose response was lost (a 5xx,
// a timeout, a dropped connection after Slack stored the message) would post the answer twice if
// simply retried. Each message therefore carries a marker in its `metadata` (the question's ts and
// the part number), and before a post is retried — or, in a conversation reopened after a restart,
// before the first try — the thread is searched for a message with that marker, which is adopted
// instead. chat.update sets the whole text, so its retries (inside @slack/web-api) are harmless.

import type { webApi } from "@slack/bolt";
import type { AnswerControls } from "../../core/answer-actions.js";
import { answerBlocks } from "./answer-buttons.js";
import { MessageDeletedError, type MessageLimits, type PostedMessage, type ReplyAddress, type ReplyChannel } from "../../core/types.js";
import { findOwnReply, replyMarker } from "./find-reply.js";
import { escapeMrkdwn, markdownToMrkdwn } from "./mrkdwn.js";

type WebClient = InstanceType<typeof webApi.WebClient>;

/**
 * Slack cuts `text` at 40,000 characters but asks for at most 4,000, and a section block holds
 * 3,000: parts of 3,000 characters keep every message readable without "Show more", leave room for
 * the mrkdwn escaping (& → &amp;) added after splitting, and could move into a section block as they
 * are. Slack counts characters, not bytes; the byte cap (3 UTF-8 bytes per UTF-16 unit, so it never
 * binds before maxChars) only keeps the part safe should maxChars be raised for ASCII-heavy text.
 */
export const SLACK_REPLY_LIMITS: MessageLimits = { maxChars: 3000, maxBytes: 9000 };

export interface SlackReplyTarget {
  readonly channel: string;
  /** The thread to answer in; undefined = the top level (a DM message that is not in a thread). */
  readonly threadTs: string | undefined;
  /** The question's own ts (the marker names it). */
  readonly questionTs: string;
}

export interface SlackReplyOptions {
  /** The bot's client (with @slack/web-api's retries): edits and thread reads. */
  readonly client: WebClient;
  /** A client WITHOUT retries, for chat.postMessage: a retry must first look for the lost message. */
  readonly postClient: WebClient;
  /** Waits before each further try of a post that failed without a verdict (5xx, timeout, network). */
  readonly retryDelaysMs: readonly number[];
  /** Look for an earlier attempt's message before the first try too (a conversation reopened after a restart). */
  readonly lookFirst?: boolean;
}

export function slackReplyChannel(target: SlackReplyTarget, options: SlackReplyOptions): ReplyChannel {
  const { client, postClient } = options;
  let nextPart = 0;
  // The answer's buttons ride on its last message (answer-buttons.ts): what it shows, to re-render it.
  let controls: AnswerControls | undefined;
  let last: { id: string; text: string } | undefined;
  /** `blocks` for a call on the last message; none at all while the core never asked for buttons. */
  const blocksOf = (text: string) => (controls ? { blocks: answerBlocks(nonEmpty(text), controls) } : {});
  const update = async (ts: string, text: string, withBlocks: boolean): Promise<void> => {
    await client.chat.update({
      channel: target.channel,
      ts,
      text: nonEmpty(text),
      link_names: false,
      ...(withBlocks ? blocksOf(text) : controls ? { blocks: [] } : {}),
    });
  };
  /** A new part is posted: the buttons leave the message before it. */
  const becomeLast = async (id: string, text: string): Promise<void> => {
    const previous = last;
    last = { id, text };
    if (previous && previous.id !== id && controls && controls.phase !== "none") await update(previous.id, previous.text, false);
  };
  const address: ReplyAddress = { platform: "slack", channel: target.channel, threadTs: target.threadTs, questionTs: target.questionTs };
  const lookFor = async (part: number): Promise<string | undefined> => {
    try {
      return await findOwnReply(client, target, part);
    } catch {
      return undefined; // the lookup failed too (the outage goes on): the next try decides
    }
  };
  return {
    limits: SLACK_REPLY_LIMITS,
    address,
    async post(text: string, part?: number): Promise<PostedMessage> {
      const index = part ?? nextPart;
      nextPart = Math.max(nextPart, index + 1);
      const adopt = async (ts: string): Promise<PostedMessage> => {
        // The earlier attempt's message may show an older text (a replay's placeholder): set this one.
        await update(ts, text, true);
        await becomeLast(ts, text);
        return { id: ts };
      };
      if (options.lookFirst) {
        const found = await lookFor(index);
        if (found) return adopt(found);
      }
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await postClient.chat.postMessage({
            channel: target.channel,
            ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
            text: nonEmpty(text),
            metadata: replyMarker(target.questionTs, index),
            // The model's links are not worth a preview card each; @here in an answer must not ping.
            unfurl_links: false,
            unfurl_media: false,
            link_names: false,
            ...blocksOf(text),
          });
          if (!res.ts) throw new Error("chat.postMessage returned no ts");
          await becomeLast(res.ts, text);
          return { id: res.ts };
        } catch (error) {
          // Slack answered ok:false: it did not post, and trying again would fail the same way.
          const wait = options.retryDelaysMs[attempt];
          if (slackError(error) !== undefined || wait === undefined) throw error;
          // Without a verdict the message may exist: adopt it rather than post a second one.
          await new Promise((resolve) => setTimeout(resolve, wait));
          const found = await lookFor(index);
          if (found) {
            await becomeLast(found, text);
            return { id: found };
          }
        }
      }
    },
    async edit(message: PostedMessage, text: string): Promise<void> {
      try {
        const isLast = message.id === last?.id;
        if (isLast) last = { id: message.id, text };
        await update(message.id, text, isLast);
      } catch (error) {
        // Someone deleted the bot's message: the chat core stops the answer as cancelled.
        if (slackError(error) === "message_not_found") throw new MessageDeletedError(`message ${message.id} was deleted`);
        throw error;
      }
    },
    format: (markdown) => safeMrkdwn(markdown),
    async controls(next: AnswerControls): Promise<void> {
      controls = next;
      if (last) await update(last.id, last.text, true);
    },
  };
}

/** The `error` of an ok:false Web API response (WebAPIPlatformError), if that is what failed. */
export function slackError(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === "string" ? data.error : undefined;
}

/** Slack refuses an empty text (no_text). */
function nonEmpty(text: string): string {
  return text.trim() === "" ? "…" : text;
}

/**
 * Markdown → mrkdwn that cannot fail open: if the converter ever throws, the text is still escaped,
 * so "<!channel>" written by the model never reaches Slack as a ping.
 */
export function safeMrkdwn(markdown: string, convert: (markdown: string) => string = markdownToMrkdwn): string {
  try {
    return convert(markdown);
  } catch {
    return escapeMrkdwn(markdown);
  }
}
