// The Slack adapter: Bolt in Socket Mode (appToken) or over HTTP with signature verification
// (signingSecret), turning @mentions and DMs into questions for the chat core and /probe into probe
// runs. Events are acked by Bolt before any listener runs; the answer is worked on after, never
// inside the ack window, and redeliveries are dropped by event_id.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, SocketModeReceiver, webApi } from "@slack/bolt";
import { RecentIds } from "../../core/dedupe.js";
import type { AnswerOutcome, Asker, IncomingQuestion, ReplyChannel, ReplyChannelSource } from "../../core/types.js";
import { waitAtMost } from "../../core/wait-at-most.js";
import type { RouteHandler } from "../../http/server.js";
import type { ChatTurn } from "../../inference/types.js";
import { NO_OBSERVER, type PlatformObserver } from "../../metrics/platform-observer.js";
import type { ProbeService } from "../../probe/types.js";
import { guardProcessEvent, guardSocketEnvelopes, type SocketClientLike } from "./envelope-guard.js";
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

/** What the adapter needs of the chat core (src/core/responder.ts). */
export interface SlackResponder {
  answer(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome>;
  cancelSource(sourceKey: string): boolean;
  isProbeAdmin(asker: Asker): boolean;
  checkAccess(asker: Asker, channelId: string): { ok: true } | { ok: false; reason: string };
}

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
  readonly responder: SlackResponder;
  readonly probe?: ProbeService;
  /** Earlier thread messages read as history. */
  readonly historyMessages: number;
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
}

export interface SlackAdapter {
  stop(): Promise<void>;
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
/** stop() waits this long for answers in progress. */
const DRAIN_MS = 10_000;

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
    receiver = new SocketModeReceiver({ appToken: options.appToken!, logger: boltLog, autoReconnectEnabled: false, installerOptions: { clientOptions: connectOptions } });
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
  guardProcessEvent(app as unknown as Parameters<typeof guardProcessEvent>[0], log, (m) => observer.malformed(m.type));
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

  // @slack/web-api waits out a 429 itself (Retry-After, then a retry); say so in the log.
  for (const client of [app.client, postClient]) {
    client.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number, info: { url?: string }) =>
      log.warn(`Slack rate limit on ${info.url?.split("/").pop() ?? "a call"}: retrying after ${seconds} s`),
    );
  }

  const seen = new RecentIds();
  // Questions deleted before their answer reached the Responder (while history was being read).
  const deleted = new RecentIds();
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
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
    if ((eventId && !seen.firstSeen(eventId)) || (action.kind === "question" && !seen.firstSeen(action.sourceKey))) {
      log.debug(`duplicate event ${eventId ?? "?"} dropped`);
      return;
    }
    if (action.kind === "cancel") {
      deleted.firstSeen(action.sourceKey);
      if (options.responder.cancelSource(action.sourceKey)) log.info(`answer cancelled: ${action.sourceKey} was deleted`);
      return;
    }
    track(answer(action));
  };
  app.event("app_mention", onEvent);
  app.event("message", onEvent);
  app.error(async (error) => log.error(`Bolt: ${error.message}`));

  const answer = async (q: Extract<SlackAction, { kind: "question" }>): Promise<void> => {
    try {
      const asker: Asker = { platform: "slack", userId: q.user, roleIds: [] };
      // Nobody's thread is read for a question that will be refused anyway.
      const allowed = options.responder.checkAccess(asker, q.channel).ok;
      const history = allowed ? await threadHistory(q) : [];
      const question: IncomingQuestion = {
        asker,
        channelId: q.channel,
        isDirect: q.isDirect,
        text: slackTextToPlain(q.text, botUserId),
        history,
        sourceKey: q.sourceKey,
      };
      if (deleted.has(q.sourceKey)) {
        log.info(`not answering ${q.sourceKey}: it was deleted`);
        return;
      }
      const outcome = await options.responder.answer(question, replyTo({ channel: q.channel, threadTs: q.threadTs, questionTs: q.ts }));
      log.info(`answered ${q.sourceKey}: ${outcome.kind}${"reason" in outcome ? ` (${outcome.reason})` : ""}`);
    } catch (error) {
      log.error(`answering ${q.sourceKey} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
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

  const probe = registerProbeCommand(app, {
    responder: options.responder,
    probe: options.probe,
    editIntervalMs: options.editIntervalMs,
    log,
    track,
  });

  let port: number | undefined;
  if (socketMode) {
    await app.start();
  } else if (mounted && options.httpServer) {
    const events = mounted;
    options.httpServer.mount(async (req, res) => {
      if (req.method !== "POST" || new URL(req.url ?? "/", "http://localhost").pathname !== "/slack/events") return false;
      await events.requestListener(req, res);
      return true;
    });
    observer.connected();
  } else {
    const server = (await app.start(
      options.host ? { port: options.port ?? 3000, host: options.host } : (options.port ?? 3000),
    )) as Server;
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
      return replyTo({ channel: address.channel, threadTs: address.threadTs, questionTs: address.questionTs }, true);
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      probe.stop();
      if (receiver) {
        // SocketModeReceiver.stop() does not wait for the close handshake; the client's disconnect does.
        await waitAtMost(receiver.client.disconnect(), 5_000);
      } else if (mounted) {
        // The server is the bot's; it closes it last.
      } else {
        await waitAtMost(app.stop(), 5_000);
      }
      await waitAtMost(Promise.allSettled([...inFlight]), DRAIN_MS);
    },
  };
}

/** The waits of a retryConfig as a list (without the randomisation): what the reply channel retries with. */
function retryDelays(retry: RetryOptions): number[] {
  const count = retry.retries ?? 0;
  const min = retry.minTimeout ?? 1000;
  const factor = retry.factor ?? 2;
  const max = retry.maxTimeout ?? Infinity;
  return Array.from({ length: count }, (_, i) => Math.min(max, min * factor ** i));
}
