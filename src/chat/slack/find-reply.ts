// The marker the bot puts on each of its answer messages (message metadata, invisible in the client)
// and the search for it: how a post whose response was lost is found again instead of posted twice.

import type { webApi } from "@slack/bolt";

type WebClient = InstanceType<typeof webApi.WebClient>;

export const REPLY_EVENT_TYPE = "elyza_answer_part";

export interface ReplyMarker {
  readonly event_type: string;
  readonly event_payload: { readonly question: string; readonly part: number };
}

export function replyMarker(questionTs: string, part: number): ReplyMarker {
  return { event_type: REPLY_EVENT_TYPE, event_payload: { question: questionTs, part } };
}

interface MarkedMessage {
  readonly ts?: string;
  readonly metadata?: { readonly event_type?: string; readonly event_payload?: Record<string, unknown> };
}

/** Replies after the question are few (an answer is at most a handful of parts); two pages is plenty. */
const PAGE = 200;
const MAX_PAGES = 2;

/** The ts of the bot's message for `part` of the answer to the question at `questionTs`, if it exists. */
export async function findOwnReply(
  client: WebClient,
  target: { readonly channel: string; readonly threadTs: string | undefined; readonly questionTs: string },
  part: number,
): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const common = {
      channel: target.channel,
      oldest: target.questionTs,
      inclusive: false,
      include_all_metadata: true,
      limit: PAGE,
      ...(cursor ? { cursor } : {}),
    };
    const res = target.threadTs ? await client.conversations.replies({ ...common, ts: target.threadTs }) : await client.conversations.history(common);
    const found = ((res.messages ?? []) as MarkedMessage[]).find((m) => isMarked(m, target.questionTs, part));
    if (found?.ts) return found.ts;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!res.has_more || !cursor) return undefined;
  }
  return undefined;
}

function isMarked(message: MarkedMessage, questionTs: string, part: number): boolean {
  const meta = message.metadata;
  return meta?.event_type === REPLY_EVENT_TYPE && meta.event_payload?.["question"] === questionTs && Number(meta.event_payload?.["part"]) === part;
}

/**
 * The bot's stream message in the thread after the question that shows exactly `text` and is not
 * one of `known`: what a chat.startStream whose response was lost left behind (a stream message
 * carries no marker until it is stopped). The newest such message wins.
 */
export async function findStreamedReply(
  client: WebClient,
  target: { readonly channel: string; readonly threadTs: string; readonly questionTs: string },
  botUserId: string,
  text: string,
  known: ReadonlyMap<string, unknown>,
): Promise<string | undefined> {
  const res = await client.conversations.replies({ channel: target.channel, ts: target.threadTs, oldest: target.questionTs, inclusive: false, limit: PAGE });
  const candidates = (res.messages ?? []).filter((m) => m.ts && m.user === botUserId && m.text === text && !known.has(m.ts));
  return candidates.at(-1)?.ts;
}
