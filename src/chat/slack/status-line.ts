// The wait before a streamed answer's first text (考え中…, 順番待ち), shown in its thread. A stream can
// only grow, so the wait cannot be the stream's first text; it goes on Slack's status line
// (assistant.threads.setStatus, which since March 2026 takes chat:write and works in channel threads,
// not only in the assistant pane). Slack drops a status after 2 minutes without a message, so while a
// question waits in the queue the status is sent again before that.
//
// A question must never wait with nothing to see: when Slack refuses the status (an older workspace,
// a missing scope, a rate limit), the wait is posted as an ordinary message instead, and the answer's
// first text takes that message over (the answer then goes on with chat.update).

import type { webApi } from "@slack/bolt";
import type { PostedMessage, ReplyChannel } from "../../core/types.js";

type WebClient = InstanceType<typeof webApi.WebClient>;

/** Slack clears a status after 2 minutes without a message; send it again well before. */
export const DEFAULT_STATUS_REFRESH_MS = 90_000;

export interface StatusLineOptions {
  readonly client: WebClient;
  /** Posts the wait as a message when no status can be shown. */
  readonly fallback: ReplyChannel;
  /** The wait's text as the fallback posts it (mrkdwn). */
  readonly format: (text: string) => string;
  readonly refreshMs?: number;
  /** Slack refused the status, so the wait became a message: the answer leaves native streaming. */
  readonly onRefused: (reason: string) => void;
  /** A call that failed without consequence (clearing the status, editing the wait's message). */
  readonly onError?: (reason: string) => void;
  readonly describe: (error: unknown) => string;
}

export interface StatusLine {
  /** Shows the wait (never rejects). Calls run in order, so the last text shown wins. */
  show(text: string): Promise<void>;
  /**
   * The answer has its first text: the wait ends. Returns the message posted in place of a status,
   * if one was, for the answer to take over; the status line itself stays until `clear()`.
   */
  takeOver(): Promise<PostedMessage | undefined>;
  /** Ends the wait and clears the status line (never rejects). */
  clear(): Promise<void>;
}

export function statusLine(target: { readonly channel: string; readonly threadTs: string }, options: StatusLineOptions): StatusLine {
  const { client, fallback } = options;
  const refreshMs = options.refreshMs ?? DEFAULT_STATUS_REFRESH_MS;
  let work: Promise<void> = Promise.resolve();
  let shown = ""; // the status Slack shows now
  let placeholder: PostedMessage | undefined;
  let refused = false;
  let over = false;
  let refresh: NodeJS.Timeout | undefined;
  const inOrder = (step: () => Promise<void>): Promise<void> => (work = work.then(step, step));
  const report = (what: string, error: unknown) => options.onError?.(`${what}: ${options.describe(error)}`);

  const setStatus = async (status: string): Promise<void> => {
    await client.assistant.threads.setStatus({ channel_id: target.channel, thread_ts: target.threadTs, status });
    shown = status;
  };
  const stopRefresh = () => {
    clearInterval(refresh);
    refresh = undefined;
  };

  const showNow = async (text: string): Promise<void> => {
    if (over) return;
    if (refused) {
      try {
        if (placeholder) await fallback.edit(placeholder, options.format(text));
        else placeholder = await fallback.post(options.format(text), 0);
      } catch (error) {
        report("the wait's message", error);
      }
      return;
    }
    try {
      await setStatus(text);
      refresh ??= setInterval(() => void inOrder(() => (over || shown === "" ? Promise.resolve() : setStatus(shown).catch(() => undefined))), refreshMs);
      refresh.unref();
    } catch (error) {
      refused = true;
      stopRefresh();
      options.onRefused(`assistant.threads.setStatus: ${options.describe(error)}`);
      await showNow(text);
    }
  };

  return {
    show: (text) => inOrder(() => showNow(text)),
    async takeOver() {
      await inOrder(async () => {
        over = true;
        stopRefresh();
      });
      const message = placeholder;
      placeholder = undefined;
      return message;
    },
    clear: () =>
      inOrder(async () => {
        over = true;
        stopRefresh();
        if (shown === "") return;
        try {
          await setStatus("");
        } catch (error) {
          report("assistant.threads.setStatus", error);
        }
      }),
  };
}
