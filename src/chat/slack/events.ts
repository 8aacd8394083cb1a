// Which Slack events are questions, which cancel one, and which are ignored. Only people's own
// messages are answered: anything with a bot_id, from the bot itself, or with a subtype (edits,
// deletions, joins, bot_message…) is ignored, so the bot's own chat.update calls (which come back as
// message_changed events) can never start a loop. A person's message in a channel thread without
// the bot's mention is a possible follow-up: the core's decideFollowUp (src/core/follow-up.ts)
// decides whether it is one, with the facts given here and whether the bot answered in that thread.

import type { SlackFile } from "./attachments.js";

interface Asked {
  readonly channel: string;
  readonly ts: string;
  /** Thread to answer in; undefined = top level (a DM message that is not in a thread). */
  readonly threadTs: string | undefined;
  readonly user: string;
  readonly text: string;
  readonly isDirect: boolean;
  readonly sourceKey: string;
  /** Files shared with the message (app_mention and file_share messages carry them). */
  readonly files: readonly SlackFile[];
  /** The asker's team: `user_team` in a channel shared with another workspace, else `team`. */
  readonly team: string | undefined;
}

export type SlackAction =
  | ({ readonly kind: "question" } & Asked)
  /** A message in a channel thread without the bot's mention: a follow-up if the bot answered there. */
  | ({ readonly kind: "thread-message"; readonly threadTs: string; readonly mentionsOthers: boolean } & Omit<Asked, "threadTs">)
  | { readonly kind: "cancel"; readonly sourceKey: string }
  | { readonly kind: "ignore"; readonly reason: string };

// Subtypes a person's message can carry and still be a question.
const HUMAN_SUBTYPES = new Set(["file_share", "thread_broadcast"]);

export function sourceKey(channel: string, ts: string): string {
  return `slack:${channel}:${ts}`;
}

export function classifyEvent(event: Record<string, unknown>, botUserId: string): SlackAction {
  const str = (key: string) => (typeof event[key] === "string" ? event[key] : undefined);
  const type = str("type");
  const subtype = str("subtype");
  const channel = str("channel");
  if (!channel) return ignore("no channel");

  if (type === "message" && subtype === "message_deleted") {
    const deleted = str("deleted_ts");
    return deleted ? { kind: "cancel", sourceKey: sourceKey(channel, deleted) } : ignore("deletion without deleted_ts");
  }
  if (type !== "app_mention" && type !== "message") return ignore(`event ${type ?? "?"}`);
  if (subtype && !HUMAN_SUBTYPES.has(subtype)) return ignore(`subtype ${subtype}`);
  if (event["bot_id"] !== undefined || event["bot_profile"] !== undefined) return ignore("from a bot");
  const user = str("user");
  if (!user) return ignore("no user");
  if (user === botUserId) return ignore("own message");
  const ts = str("ts");
  if (!ts) return ignore("no ts");
  const text = str("text") ?? "";
  const threadTs = str("thread_ts");
  const files = Array.isArray(event["files"]) ? (event["files"] as SlackFile[]) : [];
  const team = str("user_team") ?? str("team");

  if (type === "app_mention") {
    // DMs are answered from their message.im event; a mention there must not answer twice.
    if (channel.startsWith("D")) return ignore("mention in a DM");
    return { kind: "question", channel, ts, threadTs: threadTs ?? ts, user, text, isDirect: false, sourceKey: sourceKey(channel, ts), files, team };
  }
  if (str("channel_type") !== "im") {
    // A mention comes (also) as app_mention, answered from there; top-level channel messages
    // arrive only so that deletions can cancel.
    if (text.includes(`<@${botUserId}>`)) return ignore("channel message with a mention (answered from app_mention)");
    if (!threadTs || threadTs === ts) return ignore("channel message without app_mention");
    const mentionsOthers = [...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].some((m) => m[1] !== botUserId);
    return { kind: "thread-message", channel, ts, threadTs, user, text, isDirect: false, sourceKey: sourceKey(channel, ts), files, team, mentionsOthers };
  }
  return { kind: "question", channel, ts, threadTs, user, text, isDirect: true, sourceKey: sourceKey(channel, ts), files, team };
}

function ignore(reason: string): SlackAction {
  return { kind: "ignore", reason };
}
