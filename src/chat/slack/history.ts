// Conversation memory: the earlier messages of the thread (or of a DM) read back as chat turns. The
// bot's own messages are the assistant's turns, everyone else's the user's; status texts are skipped.

import type { webApi } from "@slack/bolt";
import type { ChatTurn } from "../../inference/types.js";
import { slackTextToPlain } from "./mrkdwn.js";

type WebClient = InstanceType<typeof webApi.WebClient>;

interface SlackMessage {
  readonly ts?: string;
  readonly user?: string;
  readonly bot_id?: string;
  readonly subtype?: string;
  readonly text?: string;
}

export interface HistoryRequest {
  readonly channel: string;
  /** The thread to read; undefined reads the channel's top level (a DM without threads). */
  readonly threadTs: string | undefined;
  /** Only messages before this one (the question itself) count. */
  readonly beforeTs: string;
  /** At most this many turns, the latest ones. */
  readonly limit: number;
  readonly botUserId: string;
  readonly botId: string;
}

// A thread is read oldest first; long ones take several pages. Beyond this many pages the newest
// replies are not reached (Slack pages from the start of the thread); 1,000 replies is plenty.
const PAGE = 200;
const MAX_PAGES = 5;

export async function readHistory(client: WebClient, req: HistoryRequest): Promise<ChatTurn[]> {
  if (req.limit <= 0) return [];
  const raw = req.threadTs === undefined ? await readTopLevel(client, req) : await readThread(client, req, req.threadTs);
  const turns: ChatTurn[] = [];
  for (const m of raw) {
    if (!m.ts || Number(m.ts) >= Number(req.beforeTs)) continue;
    if (m.subtype && m.subtype !== "thread_broadcast" && m.subtype !== "file_share") continue;
    const mine = m.user === req.botUserId || (m.bot_id !== undefined && m.bot_id === req.botId);
    const text = slackTextToPlain(m.text ?? "", req.botUserId);
    if (text === "") continue;
    // The chat core drops the bot's status messages and joins split answers (cleanHistory).
    turns.push({ role: mine ? "assistant" : "user", text });
  }
  return turns.slice(-req.limit);
}

async function readThread(client: WebClient, req: HistoryRequest, threadTs: string): Promise<SlackMessage[]> {
  const all: SlackMessage[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.conversations.replies({
      channel: req.channel,
      ts: threadTs,
      latest: req.beforeTs,
      inclusive: false,
      limit: PAGE,
      ...(cursor ? { cursor } : {}),
    });
    all.push(...((res.messages ?? []) as SlackMessage[]));
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!res.has_more || !cursor) break;
  }
  return all;
}

async function readTopLevel(client: WebClient, req: HistoryRequest): Promise<SlackMessage[]> {
  // conversations.history is newest first.
  const res = await client.conversations.history({ channel: req.channel, latest: req.beforeTs, inclusive: false, limit: req.limit * 2 });
  return ((res.messages ?? []) as SlackMessage[]).slice().reverse();
}
