// The Slack adapter: Bolt in Socket Mode (appToken) or over HTTP with signature verification
// (signingSecret), turning @mentions and DMs into questions for the chat core and /probe into probe
// runs. Events are acked by Bolt before any listener runs; the answer is worked on after, never
// inside the ack window, and redeliveries are dropped by event_id.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, SocketModeReceiver, webApi } from "@slack/bolt";
import { LRUCache } from "lru-cache";
import pTimeout from "p-timeout";
import { decideFollowUp, type FollowUpSettings } from "../../core/follow-up.js";
import { type ProbeChat, withoutProbes } from "../../core/probe-chat.js";
import type { ChatCore, IncomingQuestion, ReplyChannelSource } from "../../core/types.js";
import type { RouteHandler } from "../../http/server.js";
import type { ChatTurn } from "../../inference/types.js";
import { NO_OBSERVER, type PlatformObserver } from "../../metrics/platform-observer.js";
import { registerAnswerClicks } from "./answer-clicks.js";
import { assistantThreadOf, offerSuggestedPrompts, setThreadTitle } from "./assistant-pane.js";
import { nativeStreamReplyChannel, stoppingLeftStreams } from "./native-stream.js";
import { guardProcessEvent, guardSocketEnvelopes, type SocketClientLike } from "./envelope-guard.js";
import { slackAttachments } from "./attachments.js";
import { classifyEvent, type SlackAction } from "./events.js";
import { readHistory } from "./history.js";
import { consoleLogger, toBoltLogger, type AdapterLogger } from "./logging.js";
import { slackTextToPlain } from "./mrkdwn.js";
import { observedFetch } from "./observed-fetch.js";
import { registerProbeCommand } from "./probe-command.js";
import { slackReplyChannel, type SlackReplyTarget } from "./reply-channel.js";
import { reconnectImmediately, type ReconnectableClient } from "./socket-reconnect.js";

type WebClientOptions = NonNullable<ConstructorParameters<typeof webApi.WebClient>[1]>;
export type RetryOptions = NonNullable<WebClientOptions["retryConfig"]>;

export interface SlackAdapterOptions {
  readonly botToken: string;
  /** xapp- token: Socket Mode. Without it, HTTP (Events API) with signingSecret on port. */
  readonly appToken?: string;
  readonly signingSecret?: string;
  /** Web API base URL (GovSlack, a proxy, a test double); Socket Mode's apps.connections.open goes there too. */
  readonly apiUrl?: string;
  /** HTTP mode: port to listen on (0 = any free one; see SlackAdapter.port). */
  readonly port?: number;
  /** HTTP mode: interface to listen on; all interfaces when absent (Slack must reach it). */
  readonly host?: string;
  /** The chat core every question is handed to (src/core/responder.ts). */
  readonly responder: ChatCore;
  /** /probe in chat (src/core/probe-chat.ts); absent: /probe answers that probes are not available. */
  readonly probeChat?: ProbeChat;
  /** Earlier thread messages read as history. */
  readonly historyMessages: number;
  /** Follow-ups without a mention in threads the bot answered in (chat.followUps); default on, prefix "//". */
  readonly followUps?: FollowUpSettings;
  /** /probe progress is edited at most this often (and never more than once a second). */
  readonly editIntervalMs: number;
  readonly logger?: AdapterLogger;
  /** Retries of Web API calls (429 after Retry-After, 5xx, network); a sane default otherwise. */
  readonly retryConfig?: RetryOptions;
  /** Told of the connection's state, every Web API attempt and malformed input (metrics, readiness). */
  readonly observer?: PlatformObserver;
  /**
   * HTTP mode: mount the Events API endpoint (POST /slack/events) on this server instead of
   * listening on `port` (the bot's one server on http.port, with /healthz, /readyz, /metrics).
   */
  readonly httpServer?: { mount(handler: RouteHandler): void };
  /**
   * Stream answers (DMs, the assistant pane and channel threads) with chat.startStream/appendStream/
   * stopStream and a 考え中… status line (native-stream.ts), falling back to chat.update on any error.
   */
  readonly nativeStreaming?: boolean;
}

export interface SlackAdapter extends AsyncDisposable {
  /** Stops taking events and disconnects (the core drains its answers before; see app/bot.ts). Safe twice. */
  [Symbol.asyncDispose](): Promise<void>;
  readonly botUserId: string;
  readonly mode: "socket" | "http";
  /** HTTP mode: the port actually listened on. */
  readonly port?: number;
  /** The way back to a conversation after a restart (for the answer journal). */
  readonly replyChannel: ReplyChannelSource;
}

/**
 * Retries of the bot's Web API calls. Explicit, because Socket Mode writes { retries: 100, factor:
 * 1.3 } into an absent retryConfig of the options object it shares with the App. A 429 waits its
 * Retry-After inside @slack/web-api and then counts as one retry; 5xx and network errors back off.
 */
export const DEFAULT_RETRY: RetryOptions = { retries: 4, factor: 2, minTimeout: 500, maxTimeout: 10_000, randomize: true };
/**
 * apps.connections.open (the Socket Mode client's own WebClient) keeps retrying for hours: after a
 * dropped connection, SocketModeClient reconnects through it and a network error that outlasts the
 * retries becomes an unhandled rejection inside @slack/socket-mode. Hence its own options object.
 */
const CONNECT_RETRY: RetryOptions = { retries: 1000, factor: 1.5, minTimeout: 1000, maxTimeout: 30_000, randomize: true };
/** A hung Web API call fails instead of holding an answer forever. */
const REQUEST_TIMEOUT_MS = 20_000;
/** Disconnecting waits at most this long for the close handshake. */
const DISCONNECT_MS = 5_000;
/**
 * Slack redelivers an event when the ack is late (at once, after 1 min, after 5 min): event ids are
 * remembered for 10 min, at most this many, so each event is answered once.
 */
const SEEN_TTL_MS = 10 * 60_000;
const SEEN_MAX = 10_000;
/**
 * Whether the bot has answered in a thread, remembered so that a busy thread is read once: set when
 * the bot takes a question there, and from conversations.replies for threads it does not know
 * (after a restart). A "no" is kept only briefly: the bot may be mentioned there any moment.
 */
const THREADS_MAX = 10_000;
const THREAD_YES_TTL_MS = 24 * 60 * 60_000;
const THREAD_NO_TTL_MS = 60_000;
const DEFAULT_FOLLOW_UPS: FollowUpSettings = { enabled: true, ignorePrefix: "//" };

export async function startSlack(options: SlackAdapterOptions): Promise<SlackAdapter> {
  const log = options.logger ?? consoleLogger();
  const boltLog = toBoltLogger(log);
  const observer = options.observer ?? NO_OBSERVER;
  observer.connecting();
  const clientOptions: WebClientOptions = {
    retryConfig: options.retryConfig ?? DEFAULT_RETRY,
    timeout: REQUEST_TIMEOUT_MS,
    fetch: observedFetch(observer),
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
  };

  // auth.test first: a wrong token fails here with Slack's reason, and Bolt gets the ids it would
  // otherwise fetch in the background (where a failure is an unhandled rejection).
  const auth = await new webApi.WebClient(options.botToken, { ...clientOptions, logger: boltLog }).auth.test();
  const botUserId = auth.user_id;
  const botId = auth.bot_id;
  if (!botUserId || !botId) throw new Error("Slack auth.test did not return a bot user: SLACK_BOT_TOKEN must be a bot token (xoxb-)");

  const socketMode = options.appToken !== undefined && options.appToken !== "";
  let receiver: SocketModeReceiver | undefined;
  let mounted: HTTPReceiver | undefined;
  let app: App;
  if (socketMode) {
    const connectOptions: WebClientOptions = { ...clientOptions, retryConfig: CONNECT_RETRY };
    // Reconnection is ours (socket-reconnect.ts): the library's waits 5 s before its first attempt.
    receiver = new SocketModeReceiver({
      appToken: options.appToken,
      logger: boltLog,
      autoReconnectEnabled: false,
      installerOptions: { clientOptions: connectOptions },
    });
    app = new App({ token: options.botToken, botId, botUserId, receiver, logger: boltLog, clientOptions, convoStore: false });
  } else {
    if (!options.signingSecret) throw new Error("Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)");
    // On the bot's own server, Bolt's receiver only handles requests; it never listens itself.
    if (options.httpServer) mounted = new HTTPReceiver({ signingSecret: options.signingSecret, logger: boltLog });
    app = new App({
      token: options.botToken,
      botId,
      botUserId,
      ...(mounted ? { receiver: mounted } : { signingSecret: options.signingSecret }),
      logger: boltLog,
      clientOptions,
      convoStore: false,
    });
  }
  guardProcessEvent(app, log, (m) => observer.malformed(m.type));
  if (receiver) {
    const client = receiver.client;
    guardSocketEnvelopes(client as unknown as SocketClientLike, log, (m) => observer.malformed(m.type));
    // "connected" follows Slack's hello; "close" is a dropped or refreshed socket (reconnecting).
    client.on("connected", () => observer.connected());
    client.on("close", () => {
      if (!stopping) observer.connecting();
    });
    reconnectImmediately(client as unknown as ReconnectableClient, { stopping: () => stopping, log });
  }

  // Answers are posted without @slack/web-api's retries: the reply channel retries itself, after
  // looking for the message a lost response may have created (see reply-channel.ts).
  const retry = options.retryConfig ?? DEFAULT_RETRY;
  const postClient = new webApi.WebClient(options.botToken, { ...clientOptions, retryConfig: { retries: 0 }, logger: boltLog });
  const replyOptions = { client: app.client, postClient, retryDelaysMs: retryDelays(retry) };
  const replyTo = (target: SlackReplyTarget, lookFirst = false) => slackReplyChannel(target, { ...replyOptions, lookFirst });
  // The stream methods without retries and without waiting out a 429: any failure falls back at once.
  const streamClient = new webApi.WebClient(options.botToken, { ...clientOptions, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: boltLog });
  const teamId = auth.team_id ?? "";
  /** An answer for `recipient` (the asker, or who clicked Regenerate): streamed natively when configured. */
  const answerChannel = (target: SlackReplyTarget, recipient: { readonly userId: string; readonly teamId: string | undefined }, name: string) =>
    options.nativeStreaming
      ? nativeStreamReplyChannel(
          { ...target, recipientUserId: recipient.userId, recipientTeamId: recipient.teamId ?? teamId },
          {
            client: streamClient,
            botUserId,
            fallback: replyTo(target),
            onFallback: (reason) => log.info(`native streaming of ${name} fell back to chat.update: ${reason}`),
            onStatusError: (reason) => log.debug(`status of ${name}: ${reason}`),
          },
        )
      : replyTo(target);
  /**
   * Assistant threads opened in the pane (their first question names them), with the channel the
   * person has open beside it (its chat.channels settings apply); bounded like `seen`.
   */
  const paneThreads = new LRUCache<string, { contextChannelId: string | undefined; titled: boolean }>({ max: SEEN_MAX, ttl: 24 * 60 * 60_000 });

  // @slack/web-api waits out a 429 itself (Retry-After, then a retry); say so in the log.
  for (const client of [app.client, postClient]) {
    client.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number, info: { url?: string }) =>
      log.warn(`Slack rate limit on ${info.url?.split("/").pop() ?? "a call"}: retrying after ${seconds} s`),
    );
  }

  const seen = new LRUCache<string, true>({ max: SEEN_MAX, ttl: SEEN_TTL_MS });
  /** True the first time `id` is seen within the TTL (and remembers it). */
  const firstSeen = (id: string): boolean => {
    if (seen.has(id)) return false;
    seen.set(id, true);
    return true;
  };
  let stopping = false;

  const botThreads = new LRUCache<string, boolean>({ max: THREADS_MAX, ttl: THREAD_YES_TTL_MS });
  const threadKey = (channel: string, threadTs: string) => `${channel}:${threadTs}`;
  /** Has the bot posted in this thread? The cache, else the thread itself (first page: the bot's answer is near the start). */
  const botAnsweredIn = async (channel: string, threadTs: string): Promise<boolean> => {
    const known = botThreads.get(threadKey(channel, threadTs));
    if (known !== undefined) return known;
    try {
      const res = await app.client.conversations.replies({ channel, ts: threadTs, limit: 200 });
      const answered = (res.messages ?? []).some((m) => m.user === botUserId || (m.bot_id !== undefined && m.bot_id === botId));
      botThreads.set(threadKey(channel, threadTs), answered, answered ? {} : { ttl: THREAD_NO_TTL_MS });
      return answered;
    } catch (error) {
      log.warn(
        `could not read thread ${threadTs} in ${channel} to see whether the bot answered there: ${error instanceof Error ? error.message : String(error)}`,
      );
      return false;
    }
  };
  const followUps = options.followUps ?? DEFAULT_FOLLOW_UPS;
  /** A thread message without a mention: the core's rule decides, with the facts of this thread. */
  const isFollowUp = async (action: Extract<SlackAction, { kind: "thread-message" }>): Promise<string | true> => {
    const facts = { text: slackTextToPlain(action.text, botUserId), mentionsOthers: action.mentionsOthers };
    let decision = decideFollowUp({ ...facts, inBotConversation: "unknown" }, followUps);
    if (decision.kind === "check-conversation")
      decision = decideFollowUp({ ...facts, inBotConversation: await botAnsweredIn(action.channel, action.threadTs) }, followUps);
    return decision.kind === "answer" ? true : decision.kind === "ignore" ? decision.reason : "undecided";
  };

  const onEvent = async ({ event, body }: { event: unknown; body: unknown }) => {
    if (stopping) return;
    const action = classifyEvent(event as Record<string, unknown>, botUserId);
    const eventId = (body as { event_id?: string }).event_id;
    if (action.kind === "ignore") {
      log.debug(`ignored event ${eventId ?? "?"}: ${action.reason}`);
      return;
    }
    // A redelivered event keeps its event_id; a DM mention could also come twice as two events.
    if ((eventId && !firstSeen(eventId)) || (action.kind !== "cancel" && !firstSeen(action.sourceKey))) {
      log.debug(`duplicate event ${eventId ?? "?"} dropped`);
      return;
    }
    if (action.kind === "cancel") {
      if (options.responder.cancelSource(action.sourceKey)) log.info(`answer cancelled: ${action.sourceKey} was deleted`);
      return;
    }
    if (action.kind === "thread-message") {
      const followUp = await isFollowUp(action);
      if (followUp !== true) {
        log.debug(`not a follow-up ${eventId ?? "?"}: ${followUp}`);
        return;
      }
    }
    const question = { ...action, kind: "question" } as const;
    if (question.threadTs !== undefined && !question.isDirect) botThreads.set(threadKey(question.channel, question.threadTs), true);
    const paneKey = question.threadTs ? `${question.channel}:${question.threadTs}` : undefined;
    const pane = paneKey ? paneThreads.get(paneKey) : undefined;
    if (pane && !pane.titled) {
      pane.titled = true; // titled once, from the first question
      setThreadTitle(app.client, { channelId: question.channel, threadTs: question.threadTs! }, slackTextToPlain(question.text, botUserId)).catch(
        (error: unknown) => log.warn(`could not title the assistant thread ${paneKey}: ${describe(error)}`),
      );
    }
    // The core decides, tracks and logs the rest; answer() never rejects.
    void options.responder.answer(
      questionOf(question),
      answerChannel(
        { channel: question.channel, threadTs: question.threadTs, questionTs: question.ts },
        { userId: question.user, teamId: question.team },
        question.sourceKey,
      ),
    );
  };
  // The split-view pane: a new assistant thread gets the suggested prompts.
  app.event("assistant_thread_started", async ({ event }) => {
    if (stopping) return;
    const thread = assistantThreadOf(event);
    if (!thread) return log.warn("assistant_thread_started without a thread (channel_id, thread_ts, user_id) was ignored");
    paneThreads.set(`${thread.channelId}:${thread.threadTs}`, { contextChannelId: thread.contextChannelId, titled: false });
    try {
      await offerSuggestedPrompts(app.client, thread);
    } catch (error) {
      log.warn(`could not offer the suggested prompts in ${thread.channelId}:${thread.threadTs}: ${describe(error)}`);
    }
  });
  // The person opened another channel beside the pane: its settings apply to the next questions.
  app.event("assistant_thread_context_changed", async ({ event }) => {
    const thread = assistantThreadOf(event);
    if (!thread) return log.warn("assistant_thread_context_changed without a thread (channel_id, thread_ts, user_id) was ignored");
    const key = `${thread.channelId}:${thread.threadTs}`;
    // A thread not seen starting (opened before a restart) already has its title.
    paneThreads.set(key, { contextChannelId: thread.contextChannelId, titled: paneThreads.get(key)?.titled ?? true });
    log.debug(`assistant thread ${thread.channelId}:${thread.threadTs} now beside ${thread.contextChannelId ?? "no channel"}`);
  });
  app.event("app_mention", onEvent);
  app.event("message", onEvent);
  app.error(async (error) => log.error(`Bolt: ${error.message}`));

  const questionOf = (q: Extract<SlackAction, { kind: "question" }>): IncomingQuestion => ({
    asker: { platform: "slack", userId: q.user, roleIds: [] },
    channelId: q.channel,
    isDirect: q.isDirect,
    text: slackTextToPlain(q.text, botUserId),
    loadHistory: () => threadHistory(q),
    sourceKey: q.sourceKey,
    ...(q.files.length > 0 ? { attachments: slackAttachments(q.files, options.botToken) } : {}),
    ...paneContext(q),
  });
  const paneContext = (q: Extract<SlackAction, { kind: "question" }>): { settingsChannel?: { id: string } } => {
    const beside = q.threadTs ? paneThreads.get(`${q.channel}:${q.threadTs}`)?.contextChannelId : undefined;
    return beside ? { settingsChannel: { id: beside } } : {};
  };

  const threadHistory = async (q: Extract<SlackAction, { kind: "question" }>): Promise<ChatTurn[]> => {
    // A mention that starts a thread has nothing before it.
    if (q.threadTs === q.ts) return [];
    try {
      return await readHistory(app.client, {
        channel: q.channel,
        threadTs: q.threadTs,
        beforeTs: q.ts,
        limit: options.historyMessages,
        botUserId,
        botId,
      });
    } catch (error) {
      log.warn(`could not read the history of ${q.sourceKey}: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  };

  registerAnswerClicks(app, {
    core: options.responder,
    // A stream is a thread reply: an old answer at a DM's top level gets its successor there, by chat.postMessage.
    replyTo: (target, clicker) => (target.threadTs ? answerChannel(target, clicker, `a regenerated answer in ${target.channel}`) : replyTo(target)),
    log,
  });

  registerProbeCommand(app, {
    probeChat: options.probeChat ?? withoutProbes(options.responder),
    editIntervalMs: options.editIntervalMs,
    log,
  });

  let port: number | undefined;
  if (socketMode) {
    await app.start();
  } else if (mounted && options.httpServer) {
    const events = mounted;
    options.httpServer.mount(async (req, res) => {
      if (req.method !== "POST" || new URL(req.url ?? "/", "http://localhost").pathname !== "/slack/events") return false;
      events.requestListener(req, res);
      return true;
    });
    observer.connected();
  } else {
    const server = (await app.start(options.host ? { port: options.port ?? 3000, host: options.host } : (options.port ?? 3000))) as Server;
    port = (server.address() as AddressInfo).port;
    observer.connected();
  }
  log.info(`connected to Slack as <@${botUserId}> (${socketMode ? "Socket Mode" : `HTTP on port ${port}`})`);

  return {
    botUserId,
    mode: socketMode ? "socket" : "http",
    ...(port !== undefined ? { port } : {}),
    async replyChannel(address) {
      if (address.platform !== "slack" || !address.channel || !address.questionTs) throw new Error(`not a Slack reply address: ${JSON.stringify(address)}`);
      const reply = replyTo({ channel: address.channel, threadTs: address.threadTs, questionTs: address.questionTs }, true);
      return options.nativeStreaming ? stoppingLeftStreams(reply, streamClient, address.channel) : reply;
    },
    async [Symbol.asyncDispose]() {
      if (stopping) return;
      stopping = true;
      if (receiver) {
        // SocketModeReceiver.stop() does not wait for the close handshake; the client's disconnect does.
        await waitAtMost(receiver.client.disconnect(), DISCONNECT_MS);
      } else if (mounted) {
        // The server is the bot's; it closes it last.
      } else {
        await waitAtMost(app.stop(), DISCONNECT_MS);
      }
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The waits of a retryConfig as a list (without the randomisation): what the reply channel retries with. */
function retryDelays(retry: RetryOptions): number[] {
  const count = retry.retries ?? 0;
  const min = retry.minTimeout ?? 1000;
  const factor = retry.factor ?? 2;
  const max = retry.maxTimeout ?? Infinity;
  return Array.from({ length: count }, (_, i) => Math.min(max, min * factor ** i));
}

/** Waits for `work` to settle, at most `ms`: shutdown must not hang on a platform call, nor fail on one. */
async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  await pTimeout(
    work.then(
      () => undefined,
      () => undefined,
    ),
    { milliseconds: ms, fallback: () => undefined },
  );
}
