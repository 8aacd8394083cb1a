// Slack's native streaming for an answer: chat.startStream opens the message, chat.appendStream adds
// what the model wrote since the last call, chat.stopStream closes it, and Slack animates the text
// (no edit-rate budget spent, unlike chat.update at ~50 calls a minute). It has the surface of the
// Slack reply channel (post/edit, same limits) plus `end()`, which the core calls once the answer is
// over (finished, stopped or failed) to close open streams. It is used in DMs, the assistant pane
// and channel threads alike; outside a DM Slack wants the recipient (the asker and their team).
//
// Streaming is an improvement, never a dependency: any error from the stream methods (a workspace
// without it, missing_recipient_*, ratelimited, message_not_in_streaming_state, a network failure)
// switches to the plain reply channel — chat.postMessage/chat.update with the same text — for the
// rest of the answer, and so does a stream open longer than Slack keeps one (about 5 minutes; we
// stop it earlier) or an edit that rewrites instead of extending what was streamed. Streams take
// Markdown (markdown_text), so `format` only defuses Slack's special mentions; the fallback path
// converts to mrkdwn itself.
//
// A stream can only grow, so the placeholder (考え中…, 順番待ち) cannot be its first text: the core
// shows it with `status()` (status-line.ts: Slack's "is thinking…" line under the thread, or a
// message when Slack refuses that), and calls `post()` with the first text of the answer.
//
// Exactly once: a stream message carries no marker until it is stopped, so when chat.startStream
// fails without Slack's verdict (a 5xx, a timeout: the message may exist), the thread is searched
// for the bot's message with that very text before the fallback posts one.

import type { webApi } from "@slack/bolt";
import type { AnswerControls } from "../../core/answer-actions.js";
import type { PostedMessage, ReplyChannel } from "../../core/types.js";
import { actionsBlock, answerBlocks } from "./answer-buttons.js";
import { slackError, type SlackReplyTarget } from "./reply-channel.js";
import { findStreamedReply } from "./find-reply.js";
import { statusLine } from "./status-line.js";

type WebClient = InstanceType<typeof webApi.WebClient>;

/** The ephemeral message with the Stop button of a streamed answer. */
export const STOP_OFFER = "回答を途中で止めるには「停止」を押してください。";

/** Slack's limit for markdown_text in one call. */
export const STREAM_CHUNK_CHARS = 12_000;
/** Slack closes a stream after about 5 minutes; we stop ours well before and go on with chat.update. */
export const DEFAULT_MAX_STREAM_MS = 4 * 60_000;

export interface NativeStreamTarget extends SlackReplyTarget {
  /** Outside a DM Slack requires the person the stream is for, and their team. */
  readonly recipientUserId: string;
  readonly recipientTeamId: string;
}

export interface NativeStreamOptions {
  /**
   * For the stream methods. Give it no retries and rejectRateLimitedCalls: a failed or rate-limited
   * stream call should switch to the fallback at once rather than hold the answer back.
   */
  readonly client: WebClient;
  /** The bot's user id: whose message a lost chat.startStream response may have left in the thread. */
  readonly botUserId: string;
  /** Today's reply channel (slackReplyChannel) for the same target: what an error falls back to. */
  readonly fallback: ReplyChannel;
  readonly maxStreamMs?: number;
  readonly now?: () => number;
  /** Told once per answer when (and why) it left native streaming: for logs and metrics. */
  readonly onFallback?: (reason: string) => void;
  /** Told when a status could not be cleared, or the wait's message edited (cosmetic: the answer goes on). */
  readonly onStatusError?: (reason: string) => void;
}

export interface NativeStreamReplyChannel extends ReplyChannel {
  /** Shows a placeholder as the thread's status line (or, if Slack refuses that, as a message); never rejects. */
  status(text: string): Promise<void>;
  /** Closes every stream still open (chat.stopStream) and clears the status; call once when the answer is over. */
  end(): Promise<void>;
  /**
   * The answer's buttons. A message takes no blocks while it streams (Slack's stream methods accept
   * none until chat.stopStream), so Stop is offered to the asker alone in an ephemeral message in
   * the thread (only they may stop it anyway); Regenerate and 👍/👎 go under the last message when
   * its stream is stopped (chat.stopStream's blocks), or by chat.update once it was closed.
   */
  controls(controls: AnswerControls): Promise<void>;
  /** "stream" while native streaming is in use, "update" once it fell back. */
  readonly mode: "stream" | "update";
}

interface OpenStream {
  readonly startedAt: number;
  /** The text the message shows: everything sent to it. */
  shown: string;
  open: boolean;
}

export function nativeStreamReplyChannel(target: NativeStreamTarget, options: NativeStreamOptions): NativeStreamReplyChannel {
  const { client, fallback } = options;
  const now = options.now ?? (() => Date.now());
  const maxStreamMs = options.maxStreamMs ?? DEFAULT_MAX_STREAM_MS;
  const streams = new Map<string, OpenStream>();
  let mode: "stream" | "update" = "stream";
  const toMrkdwn = (text: string) => (fallback.format ? fallback.format(text) : text);
  const fallBack = (reason: string) => {
    if (mode === "update") return;
    mode = "update";
    options.onFallback?.(reason);
  };
  const direct = target.channel.startsWith("D");
  const threadTs = target.threadTs ?? target.questionTs;
  let controls: AnswerControls | undefined;
  /** The answer's newest message (the one that carries the buttons). */
  let lastTs: string | undefined;
  let stopOffered = false;
  const wait = statusLine(
    { channel: target.channel, threadTs },
    {
      client,
      fallback,
      format: toMrkdwn,
      describe,
      onRefused: fallBack,
      ...(options.onStatusError ? { onError: options.onStatusError } : {}),
    },
  );

  /** Stops a stream, if Slack still has it open; errors here only mean it is already closed. */
  const stop = async (ts: string, stream: OpenStream): Promise<string | undefined> => {
    if (!stream.open) return undefined;
    stream.open = false;
    const blocks = ts === lastTs ? actionsBlock(controls) : [];
    try {
      await client.chat.stopStream({ channel: target.channel, ts, ...(blocks.length > 0 ? { blocks } : {}) });
      return undefined;
    } catch (error) {
      return describe(error);
    }
  };

  /** The message leaves streaming for good: stop it and set its whole text with chat.update. */
  const rewrite = async (message: PostedMessage, stream: OpenStream, text: string, reason: string): Promise<void> => {
    fallBack(reason);
    await stop(message.id, stream);
    await fallback.edit(message, toMrkdwn(text));
    stream.shown = text;
  };

  return {
    limits: fallback.limits,
    ...(fallback.address ? { address: fallback.address } : {}),
    get mode() {
      return mode;
    },
    format: defuseMentions,

    status: (text) => wait.show(text),

    async post(text: string, part?: number): Promise<PostedMessage> {
      // Parts are at most limits.maxChars (3,000), well under a stream call's 12,000.
      const first = text === "" ? "…" : text;
      // The earlier parts are complete once the answer goes on in a new message: close their streams.
      for (const [ts, stream] of streams) await stop(ts, stream);
      // The wait was posted as a message (Slack refused the status): the answer takes it over.
      const waited = await wait.takeOver();
      if (waited) {
        await fallback.edit(waited, toMrkdwn(first));
        lastTs = waited.id;
        return waited;
      }
      if (mode === "stream") {
        try {
          const ts = await startStream(first);
          streams.set(ts, { startedAt: now(), shown: first, open: true });
          lastTs = ts;
          await wait.clear();
          return { id: ts };
        } catch (error) {
          fallBack(`chat.startStream: ${describe(error)}`);
        }
      }
      const posted = await fallback.post(toMrkdwn(first), part);
      lastTs = posted.id;
      await wait.clear();
      return posted;
    },

    async edit(message: PostedMessage, text: string): Promise<void> {
      const stream = streams.get(message.id);
      if (!stream) return fallback.edit(message, toMrkdwn(text));
      if (!stream.open) {
        if (text !== stream.shown) await fallback.edit(message, toMrkdwn(text));
        stream.shown = text;
        return;
      }
      if (now() - stream.startedAt > maxStreamMs) return rewrite(message, stream, text, `the stream was open for more than ${maxStreamMs} ms`);
      if (!text.startsWith(stream.shown)) return rewrite(message, stream, text, "an edit rewrote streamed text");
      try {
        for (const piece of chunks(text.slice(stream.shown.length))) await append(message.id, stream, piece);
      } catch (error) {
        return rewrite(message, stream, text, `chat.appendStream: ${describe(error)}`);
      }
    },

    async controls(next: AnswerControls): Promise<void> {
      controls = next;
      if (next.phase === "streaming" && mode === "stream" && !stopOffered) {
        stopOffered = true;
        try {
          await client.chat.postEphemeral({
            channel: target.channel,
            user: target.recipientUserId,
            thread_ts: threadTs,
            text: STOP_OFFER,
            blocks: [{ type: "section", text: { type: "mrkdwn", text: STOP_OFFER } }, ...actionsBlock(next)],
          });
        } catch (error) {
          options.onStatusError?.(`chat.postEphemeral (the Stop button): ${describe(error)}`);
        }
      }
      const stream = lastTs ? streams.get(lastTs) : undefined;
      // Nothing streamed (yet): what the fallback posts carries the buttons, and it re-renders its own.
      if (!stream) return fallback.controls?.(next);
      // Still streaming: end() hands the buttons to chat.stopStream.
      if (stream.open) return;
      const text = toMrkdwn(stream.shown);
      await client.chat.update({ channel: target.channel, ts: lastTs!, text, blocks: answerBlocks(text, next) });
    },

    async end(): Promise<void> {
      await wait.clear();
      for (const [ts, stream] of streams) {
        const failed = await stop(ts, stream);
        // A stream Slack already closed shows what was appended; anything else: set the text for sure.
        if (failed !== undefined && failed !== "message_not_in_streaming_state") {
          fallBack(`chat.stopStream: ${failed}`);
          await fallback.edit({ id: ts }, toMrkdwn(stream.shown));
        }
      }
    },
  };

  /** Opens a stream; a failure without Slack's verdict first looks for the message it may have made. */
  async function startStream(first: string): Promise<string> {
    try {
      const res = await client.chat.startStream({
        channel: target.channel,
        // Streams are thread replies: a DM question that is not in a thread gets one.
        thread_ts: threadTs,
        markdown_text: first,
        ...(direct ? {} : { recipient_user_id: target.recipientUserId, recipient_team_id: target.recipientTeamId }),
      });
      if (!res.ts) throw new Error("chat.startStream returned no ts");
      return res.ts;
    } catch (error) {
      if (slackError(error) !== undefined) throw error;
      const found = await findStreamedReply(
        client,
        { channel: target.channel, threadTs, questionTs: target.questionTs },
        options.botUserId,
        first,
        streams,
      ).catch(() => undefined);
      if (found === undefined) throw error;
      return found;
    }
  }

  async function append(ts: string, stream: OpenStream, piece: string): Promise<void> {
    if (piece === "") return;
    await client.chat.appendStream({ channel: target.channel, ts, markdown_text: piece });
    stream.shown += piece;
  }
}

/** Text in pieces Slack takes in one stream call (whole code points). */
function chunks(text: string): string[] {
  const points = [...text];
  const out: string[] = [];
  for (let i = 0; i < points.length; i += STREAM_CHUNK_CHARS) out.push(points.slice(i, i + STREAM_CHUNK_CHARS).join(""));
  return out;
}

/**
 * Slack reads <!channel>, <!here>, <!everyone>, <@U…> and <#C…> in message text as pings and links;
 * model output must never ping anyone. A zero-width space after "<" keeps the text readable and inert.
 */
export function defuseMentions(markdown: string): string {
  return markdown.replace(/<(?=[!@#])/g, "<\u200b");
}

function describe(error: unknown): string {
  return slackError(error) ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The reply channel of a journaled answer taken up again after a restart: the killed process may
 * have left its message streaming (Slack keeps a stream open for minutes), so each message is
 * stopped with chat.stopStream before its first edit. A message that was never a stream, or whose
 * stream Slack already closed, answers with an error that changes nothing; it is ignored.
 */
export function stoppingLeftStreams(channel: ReplyChannel, client: WebClient, channelId: string): ReplyChannel {
  const stopped = new Set<string>();
  return {
    ...channel,
    async edit(message, text) {
      if (!stopped.has(message.id)) {
        stopped.add(message.id);
        await client.chat.stopStream({ channel: channelId, ts: message.id }).catch(() => undefined);
      }
      return channel.edit(message, text);
    },
  };
}
