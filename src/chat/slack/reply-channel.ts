// Where an answer goes in Slack: chat.postMessage into the thread (or the DM), chat.update for the
// streamed edits.

import type { webApi } from "@slack/bolt";
import { MessageDeletedError, type MessageLimits, type PostedMessage, type ReplyChannel } from "../../bot/types.js";
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

export function slackReplyChannel(client: WebClient, target: { channel: string; threadTs: string | undefined }): ReplyChannel {
  return {
    limits: SLACK_REPLY_LIMITS,
    async post(text: string): Promise<PostedMessage> {
      const res = await client.chat.postMessage({
        channel: target.channel,
        ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
        text: nonEmpty(text),
        // The model's links are not worth a preview card each; @here in an answer must not ping.
        unfurl_links: false,
        unfurl_media: false,
        link_names: false,
      });
      if (!res.ts) throw new Error("chat.postMessage returned no ts");
      return { id: res.ts };
    },
    async edit(message: PostedMessage, text: string): Promise<void> {
      try {
        await client.chat.update({ channel: target.channel, ts: message.id, text: nonEmpty(text), link_names: false });
      } catch (error) {
        // Someone deleted the bot's message: the chat core stops the answer as cancelled.
        if (slackError(error) === "message_not_found") throw new MessageDeletedError(`message ${message.id} was deleted`);
        throw error;
      }
    },
    format: (markdown) => safeMrkdwn(markdown),
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
