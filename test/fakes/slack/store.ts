// The fake Slack's messages, per channel in ts order, answering conversations.replies / .history
// with Slack's paging (limit + cursor, latest/oldest/inclusive).

export interface StoredMessage {
  readonly channel: string;
  readonly ts: string;
  readonly user: string;
  readonly bot_id?: string;
  readonly thread_ts?: string;
  text: string;
  blocks?: unknown;
  /** Message metadata as posted ({ event_type, event_payload }); Slack returns it with include_all_metadata. */
  readonly metadata?: unknown;
  /** chat.update calls on this message. */
  edits: number;
}

export interface PageArgs {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
  readonly latest?: string | undefined;
  readonly oldest?: string | undefined;
  readonly inclusive?: boolean;
  readonly includeMetadata?: boolean;
}

export class FakeSlackStore {
  private readonly byChannel = new Map<string, StoredMessage[]>();

  add(m: {
    channel: string;
    ts: string;
    user: string;
    text: string;
    bot_id?: string;
    thread_ts?: string | undefined;
    blocks?: unknown;
    metadata?: unknown;
  }): StoredMessage {
    const msg: StoredMessage = {
      channel: m.channel,
      ts: m.ts,
      user: m.user,
      text: m.text,
      edits: 0,
      ...(m.bot_id ? { bot_id: m.bot_id } : {}),
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.metadata !== undefined ? { metadata: typeof m.metadata === "string" ? (JSON.parse(m.metadata) as unknown) : m.metadata } : {}),
    };
    const list = this.byChannel.get(m.channel) ?? [];
    list.push(msg);
    list.sort((x, y) => Number(x.ts) - Number(y.ts));
    this.byChannel.set(m.channel, list);
    return msg;
  }

  find(channel: string, ts: string): StoredMessage | undefined {
    return this.byChannel.get(channel)?.find((m) => m.ts === ts);
  }

  /** Every message in a channel (threads included), oldest first. */
  all(channel: string): StoredMessage[] {
    return [...(this.byChannel.get(channel) ?? [])];
  }

  /** The replies in a thread (root excluded), oldest first. */
  thread(channel: string, rootTs: string): StoredMessage[] {
    return this.all(channel).filter((m) => m.thread_ts === rootTs && m.ts !== rootTs);
  }

  /** The message as Slack returns it. */
  render(m: StoredMessage, withMetadata = false): Record<string, unknown> {
    return {
      type: "message",
      user: m.user,
      text: m.text,
      ts: m.ts,
      ...(m.bot_id ? { bot_id: m.bot_id, app_id: "A0001" } : {}),
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.edits > 0 ? { edited: { user: m.user, ts: m.ts } } : {}),
      ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
    };
  }

  replies(channel: string, rootTs: string, page: PageArgs): Record<string, unknown> {
    const root = this.find(channel, rootTs);
    if (!root) return { ok: false, error: "thread_not_found" };
    const inThread = this.all(channel).filter((m) => m.ts === rootTs || m.thread_ts === rootTs);
    return this.paged(inThread, page, false);
  }

  history(channel: string, page: PageArgs): Record<string, unknown> {
    const top = this.all(channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
    return this.paged(top, page, true);
  }

  private paged(list: StoredMessage[], page: PageArgs, newestFirst: boolean): Record<string, unknown> {
    const within = list.filter((m) => {
      const ts = Number(m.ts);
      if (page.latest !== undefined && (page.inclusive ? ts > Number(page.latest) : ts >= Number(page.latest))) return false;
      if (page.oldest !== undefined && (page.inclusive ? ts < Number(page.oldest) : ts <= Number(page.oldest))) return false;
      return true;
    });
    if (newestFirst) within.reverse();
    const start = page.cursor ? Number(page.cursor) : 0;
    const limit = page.limit && page.limit > 0 ? page.limit : 100;
    const slice = within.slice(start, start + limit);
    const more = start + limit < within.length;
    return {
      ok: true,
      messages: slice.map((m) => this.render(m, page.includeMetadata)),
      has_more: more,
      response_metadata: { next_cursor: more ? String(start + limit) : "" },
    };
  }
}
