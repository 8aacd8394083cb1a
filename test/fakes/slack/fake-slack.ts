// A stand-in for Slack on 127.0.0.1: the Web API methods the adapter and Bolt call (recorded, with a
// small message store so threads can be read back), and a Socket Mode WebSocket that says hello,
// delivers events_api / slash_commands envelopes and records the acks. Shapes follow Slack's docs
// and what @slack/socket-mode and @slack/web-api read.

import { expect, vi } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { FakeSlackStore, type StoredMessage } from "./store.js";

export type { StoredMessage } from "./store.js";

export interface FakeSlackOptions {
  readonly botToken?: string;
  readonly appToken?: string;
  readonly botUserId?: string;
  readonly botId?: string;
  readonly teamId?: string;
  readonly appId?: string;
  /** Deliver the message / message_changed events Slack sends for the bot's own posts and edits. */
  readonly echoOwnMessages?: boolean;
  /** How long a chat.startStream message stays streaming (Slack: about 5 minutes), then appends fail. */
  readonly streamLifetimeMs?: number;
}

/** A message opened with chat.startStream: appendable until stopped or past its lifetime. */
export interface FakeStream {
  readonly channel: string;
  readonly ts: string;
  readonly startedAt: number;
  /** Every markdown_text received, in order (start, appends, stop). */
  readonly chunks: string[];
  stopped: boolean;
}

/** assistant.threads.* calls per thread (the split-view pane's state). */
export interface FakeAssistantThread {
  /** Every status set, in order ("" clears it). */
  readonly statuses: string[];
  prompts?: { readonly title?: string; readonly prompts: readonly { readonly title: string; readonly message: string }[] };
  title?: string;
}

export interface ApiCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly token: string | undefined;
  readonly at: number;
  /** HTTP status the fake answered with. */
  readonly status: number;
}

export interface Ack {
  readonly envelopeId: string;
  readonly payload: Record<string, unknown> | undefined;
  /** ms from delivery to ack. */
  readonly latencyMs: number;
}

export interface Delivery {
  readonly envelopeId: string;
  readonly eventId?: string;
}

/**
 * How a call fails: a 429 with Retry-After, an HTTP status, or ok:false with an error. `applied`:
 * the call took effect (the message was stored) and only its response was lost to the status.
 */
type Failure = { status: 429; retryAfter: number } | { status: number; applied?: boolean } | { error: string };

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly acks: Ack[] = [];
  readonly responses: { url: string; body: Record<string, unknown> }[] = [];
  /** `content` as UTF-8 text (transcripts); `data` the exact bytes (images). */
  readonly uploads: { fileId: string; filename: string; content: string; data: Buffer }[] = [];
  readonly store = new FakeSlackStore();
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly appId: string;
  echoOwnMessages: boolean;
  /** Date.now() of every Socket Mode connection's hello, and of every close, in order. */
  readonly helloAt: number[] = [];
  readonly closedAt: number[] = [];

  private readonly sockets = new Set<WebSocket>();
  /** Envelopes sent and not acked yet, with the connection they went to. */
  private readonly unacked = new Map<string, { envelope: Record<string, unknown>; ws: WebSocket }>();
  /** Envelopes waiting for a connection (none was open, or theirs closed before the ack). */
  private readonly pending: Record<string, unknown>[] = [];
  /** Envelopes delivered again (retry_attempt > 0) after a connection was lost. */
  readonly redelivered: { envelopeId: string; retryAttempt: number }[] = [];
  private readonly sentAt = new Map<string, number>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly delays = new Map<string, number[]>();
  private readonly hangs = new Map<string, { applied: boolean; count: number }>();
  private readonly holds = new Map<string, Promise<void>[]>();
  private readonly uploadNames = new Map<string, string>();
  /** Native streams by ts (chat.startStream / appendStream / stopStream). */
  readonly streams = new Map<string, FakeStream>();
  /** chat.postEphemeral messages, in order. */
  readonly ephemerals: { channel: string; user: string; ts: string; threadTs: string | undefined; text: string; blocks: unknown }[] = [];
  /** assistant.threads.* state by "channel:thread_ts". */
  readonly assistantThreads = new Map<string, FakeAssistantThread>();
  streamLifetimeMs: number;
  /** Files people shared, by url_private path: served only with the bot token (files:read). */
  private readonly hostedFiles = new Map<string, { readonly mimetype: string; readonly data: Buffer }>();
  private counter = 0;
  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    options: FakeSlackOptions,
  ) {
    this.botToken = options.botToken ?? "xoxb-fake-bot-token";
    this.appToken = options.appToken ?? "xapp-fake-app-token";
    this.botUserId = options.botUserId ?? "UBOT";
    this.botId = options.botId ?? "BBOT";
    this.teamId = options.teamId ?? "T0001";
    this.appId = options.appId ?? "A0001";
    this.echoOwnMessages = options.echoOwnMessages ?? false;
    this.streamLifetimeMs = options.streamLifetimeMs ?? 5 * 60_000;
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true });
    const fake = new FakeSlack(server, wss, options);
    server.on("request", (req, res) => void fake.onRequest(req, res));
    server.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/socket")) return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => fake.onSocket(ws));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  /** Give this to the adapter as apiUrl (Bolt's clientOptions.slackApiUrl). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }
  get connectedSockets(): number {
    return this.sockets.size;
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The next `count` calls of `method` fail this way (429 with Retry-After, an HTTP status, or ok:false). */
  failNext(method: string, failure: Failure, count = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i++) list.push(failure);
    this.failures.set(method, list);
  }

  /** The next `count` calls of `method` are answered only after `ms`. */
  delayNext(method: string, ms: number, count = 1): void {
    const list = this.delays.get(method) ?? [];
    for (let i = 0; i < count; i++) list.push(ms);
    this.delays.set(method, list);
  }

  /**
   * The next `count` calls of `method` are never answered (the client waits until its timeout).
   * `applied`: the call still takes effect, as when Slack did the work and the response was lost.
   */
  hangNext(method: string, options: { applied: boolean; count?: number }): void {
    this.hangs.set(method, { applied: options.applied, count: options.count ?? 1 });
  }

  clearHangs(): void {
    this.hangs.clear();
  }

  /** The next call of `method` is answered only once the returned function is called. */
  holdNext(method: string): () => void {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const list = this.holds.get(method) ?? [];
    list.push(held);
    this.holds.set(method, list);
    return release;
  }

  nextTs(): string {
    this.counter++;
    return `${1_700_000_000 + Math.floor(this.counter / 1000)}.${String(this.counter % 1000).padStart(3, "0")}100`;
  }

  // ---- Socket Mode ------------------------------------------------------------------------------

  /** Sends an events_api envelope; returns its envelope and event ids. */
  deliverEvent(event: Record<string, unknown>, options: { eventId?: string; retryAttempt?: number; retryReason?: string } = {}): Delivery {
    const eventId = options.eventId ?? `Ev${String(++this.counter).padStart(8, "0")}`;
    const payload = {
      token: "verification-token",
      team_id: this.teamId,
      api_app_id: this.appId,
      event: { event_ts: event["ts"] ?? this.nextTs(), ...event },
      type: "event_callback",
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: this.teamId, user_id: this.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: `4-${eventId}`,
    };
    const envelopeId = this.send({
      type: "events_api",
      payload,
      accepts_response_payload: false,
      retry_attempt: options.retryAttempt ?? 0,
      retry_reason: options.retryReason ?? "",
    });
    return { envelopeId, eventId };
  }

  /** Sends a slash_commands envelope (the payload is the command's form fields, as Slack sends them). */
  deliverCommand(fields: { command: string; text: string; user_id: string; channel_id: string } & Record<string, string>): Delivery {
    const id = ++this.counter;
    const payload = {
      token: "verification-token",
      team_id: this.teamId,
      team_domain: "fake",
      channel_name: "general",
      user_name: fields.user_id.toLowerCase(),
      api_app_id: this.appId,
      is_enterprise_install: "false",
      response_url: `http://127.0.0.1:${this.port}/respond/${id}`,
      trigger_id: `trigger-${id}`,
      ...fields,
    };
    return { envelopeId: this.send({ type: "slash_commands", payload, accepts_response_payload: true }) };
  }

  /**
   * A person clicks a button in a message: an `interactive` envelope with a block_actions payload,
   * as Slack sends it over Socket Mode (the message as stored, the clicked element with its
   * action_ts, a response_url served by this fake).
   */
  clickButton(options: {
    user: string;
    channel: string;
    messageTs: string;
    actionId: string;
    value: string;
    ephemeral?: boolean;
    threadTs?: string;
  }): Delivery {
    const id = ++this.counter;
    const stored = this.store.find(options.channel, options.messageTs);
    const message = stored ? this.store.render(stored) : { ts: options.messageTs };
    const threadTs = stored?.thread_ts ?? options.threadTs;
    const payload = {
      type: "block_actions",
      user: { id: options.user, username: options.user.toLowerCase(), name: options.user.toLowerCase(), team_id: this.teamId },
      api_app_id: this.appId,
      token: "verification-token",
      container: {
        type: "message",
        message_ts: options.messageTs,
        channel_id: options.channel,
        is_ephemeral: options.ephemeral ?? false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      },
      trigger_id: `trigger-${id}`,
      team: { id: this.teamId, domain: "fake" },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: options.channel, name: "general" },
      message,
      state: { values: {} },
      response_url: `http://127.0.0.1:${this.port}/respond/${id}`,
      actions: [
        {
          action_id: options.actionId,
          block_id: "elyza_answer",
          text: { type: "plain_text", text: options.actionId, emoji: true },
          value: options.value,
          type: "button",
          action_ts: this.nextTs(),
        },
      ],
    };
    return { envelopeId: this.send({ type: "interactive", payload, accepts_response_payload: false }) };
  }

  /**
   * A person writes in a channel: stores the message and delivers what Slack would — a `message`
   * event (channel_type from the id) and, when it mentions the bot outside a DM, an `app_mention`.
   */
  userSays(
    channel: string,
    user: string,
    text: string,
    /** `userTeam`: the asker's own workspace, as Slack names it in a channel shared with another one. */
    options: { threadTs?: string; retryAttempt?: number; files?: readonly Record<string, unknown>[]; userTeam?: string } = {},
  ): { ts: string; message: Delivery; mention?: Delivery } {
    const msg = this.store.add({ channel, user, text, ts: this.nextTs(), thread_ts: options.threadTs });
    const base = {
      user,
      text,
      ts: msg.ts,
      channel,
      team: this.teamId,
      ...(options.userTeam ? { user_team: options.userTeam } : {}),
      ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      ...(options.files ? { files: options.files, upload: false } : {}),
    };
    // Slack marks a message that shares files with subtype file_share (app_mention has no subtype).
    const message = this.deliverEvent({ type: "message", channel_type: channelType(channel), ...(options.files ? { subtype: "file_share" } : {}), ...base });
    const mention = !channel.startsWith("D") && text.includes(`<@${this.botUserId}>`) ? this.deliverEvent({ type: "app_mention", ...base }) : undefined;
    return { ts: msg.ts, message, ...(mention ? { mention } : {}) };
  }

  /**
   * A file a person uploaded: served at its url_private (and url_private_download) to requests with
   * the bot token, as Slack does with the files:read scope; without it Slack redirects to its
   * sign-in page (HTML, 200). Returns the file object as message events carry it in `files`.
   */
  hostFile(file: { name: string; mimetype: string; filetype?: string; data: Buffer; mode?: string; title?: string }): Record<string, unknown> {
    const id = `F${String(++this.counter).padStart(8, "0")}`;
    const path = `/files-pri/${this.teamId}-${id}/${encodeURIComponent(file.name)}`;
    this.hostedFiles.set(path, { mimetype: file.mimetype, data: file.data });
    const url = `http://127.0.0.1:${this.port}${path}`;
    return {
      id,
      created: Math.floor(Date.now() / 1000),
      name: file.name,
      title: file.title ?? file.name,
      mimetype: file.mimetype,
      filetype: file.filetype ?? file.name.split(".").pop() ?? "text",
      pretty_type: file.filetype ?? "Plain Text",
      user: "U0PERSON",
      mode: file.mode ?? "hosted",
      editable: file.mode === "snippet",
      is_external: false,
      external_type: "",
      is_public: true,
      size: file.data.length,
      url_private: url,
      url_private_download: `${url}?download=1`,
      permalink: `https://fake.slack.com/files/U0PERSON/${id}/${file.name}`,
    };
  }

  /**
   * Sends a Socket Mode message exactly as given (malformed ones included: an object without a
   * payload, a string that is not JSON); an `envelope_id` in it is tracked for waitForAck.
   */
  deliverRaw(message: Record<string, unknown> | string): void {
    if (this.sockets.size === 0) throw new Error("FakeSlack: no Socket Mode client is connected");
    if (typeof message === "object" && typeof message["envelope_id"] === "string") this.sentAt.set(message["envelope_id"], Date.now());
    const [ws] = this.sockets;
    ws?.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The connections drop without a close handshake (a network failure, a Slack host going away). */
  dropConnections(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Slack asks the client to reconnect (it then calls apps.connections.open again). */
  sendDisconnect(reason = "refresh_requested"): void {
    for (const ws of this.sockets) ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "fake" } }));
  }

  /** The connections drop (no close frame), as on a network failure; the client must reconnect. */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  async waitForAck(envelopeId: string, timeoutMs = 5000): Promise<Ack> {
    return vi.waitFor(
      () => {
        const ack = this.acks.find((a) => a.envelopeId === envelopeId);
        expect(ack, `ack of ${envelopeId}`).toBeDefined();
        return ack!;
      },
      { timeout: timeoutMs },
    );
  }

  async waitForSocket(timeoutMs = 5000): Promise<void> {
    await vi.waitFor(() => expect(this.sockets.size, "a Socket Mode connection").toBeGreaterThan(0), { timeout: timeoutMs });
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Sends an envelope to one of the app's connections, as Slack does. With none open (between a
   * disconnect and the reconnection) it waits, and it is delivered when a connection opens — like an
   * envelope whose connection closed before the ack — again, under a new envelope_id, with
   * retry_attempt + 1 and retry_reason "timeout" (Slack's redelivery).
   */
  private send(envelope: Record<string, unknown>): string {
    const envelopeId = `env-${++this.counter}`;
    const [ws] = [...this.sockets].filter((s) => s.readyState === s.OPEN);
    if (!ws) {
      this.pending.push(envelope);
      return envelopeId;
    }
    this.sentAt.set(envelopeId, Date.now());
    this.unacked.set(envelopeId, { envelope, ws });
    ws.send(JSON.stringify({ envelope_id: envelopeId, ...envelope }));
    return envelopeId;
  }

  private redeliver(): void {
    for (const envelope of this.pending.splice(0)) {
      const retryAttempt = Number(envelope["retry_attempt"] ?? 0) + 1;
      const envelopeId = this.send({ ...envelope, retry_attempt: retryAttempt, retry_reason: "timeout" });
      this.redelivered.push({ envelopeId, retryAttempt });
    }
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on("close", () => {
      this.sockets.delete(ws);
      for (const [id, sent] of this.unacked) {
        if (sent.ws !== ws) continue;
        this.unacked.delete(id);
        this.pending.push(sent.envelope);
      }
      this.closedAt.push(Date.now());
    });
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: Record<string, unknown> };
      if (!msg.envelope_id) return;
      this.unacked.delete(msg.envelope_id);
      const sent = this.sentAt.get(msg.envelope_id) ?? Date.now();
      this.acks.push({ envelopeId: msg.envelope_id, payload: msg.payload, latencyMs: Date.now() - sent });
    });
    this.helloAt.push(Date.now());
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.sockets.size,
        debug_info: { host: "fake-slack", approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    this.redeliver();
  }

  // ---- Web API ----------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith("/upload/")) return this.onUpload(url.pathname.slice(8), req, raw, res);
    if (url.pathname.startsWith("/files-pri/")) return this.onFileDownload(url.pathname, req, res);
    if (url.pathname === "/signin") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return void res.end("<!DOCTYPE html><html><body>Sign in to Fake</body></html>");
    }
    if (url.pathname.startsWith("/respond/")) {
      this.responses.push({ url: url.pathname, body: JSON.parse(raw.toString() || "{}") as Record<string, unknown> });
      return reply(res, 200, { ok: true });
    }
    if (!url.pathname.startsWith("/api/")) return reply(res, 404, { ok: false, error: "not_found" });
    const method = url.pathname.slice(5);
    const args = await parseArgs(req, raw);
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "") || (args["token"] as string | undefined);
    const record = (status: number) => this.calls.push({ method, args, token, at: Date.now(), status });
    const delay = this.delays.get(method)?.shift();
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const hold = this.holds.get(method)?.shift();
    if (hold) await hold;

    const hang = this.hangs.get(method);
    if (hang && hang.count > 0) {
      hang.count--;
      record(0);
      if (hang.applied && token === this.botToken) this.handle(method, args);
      return; // never answered; stop() closes the connection
    }

    const failure = this.failures.get(method)?.shift();
    if (failure) {
      if ("error" in failure) {
        record(200);
        return reply(res, 200, { ok: false, error: failure.error });
      }
      record(failure.status);
      if ("applied" in failure && failure.applied && token === (method === "apps.connections.open" ? this.appToken : this.botToken)) {
        this.handle(method, args);
      }
      const headers: Record<string, string> = "retryAfter" in failure ? { "retry-after": String(failure.retryAfter) } : {};
      return reply(res, failure.status, { ok: false, error: failure.status === 429 ? "ratelimited" : "fatal_error" }, headers);
    }
    const expected = method === "apps.connections.open" ? this.appToken : this.botToken;
    if (token !== expected) {
      record(200);
      return reply(res, 200, { ok: false, error: token ? "invalid_auth" : "not_authed" });
    }
    record(200);
    reply(res, 200, this.handle(method, args));
  }

  private handle(method: string, a: Record<string, unknown>): Record<string, unknown> {
    const str = (k: string) => (a[k] === undefined ? undefined : String(a[k]));
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://fake.slack.com/",
          team: "Fake",
          user: "elyza",
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        };
      case "apps.connections.open":
        return { ok: true, url: `ws://127.0.0.1:${this.port}/socket?ticket=${++this.counter}` };
      case "chat.postMessage": {
        const channel = str("channel");
        if (!channel) return { ok: false, error: "channel_not_found" };
        if (!str("text") && !a["blocks"]) return { ok: false, error: "no_text" };
        const msg = this.store.add({
          channel,
          user: this.botUserId,
          bot_id: this.botId,
          text: str("text") ?? "",
          blocks: a["blocks"],
          ts: this.nextTs(),
          thread_ts: str("thread_ts"),
          metadata: a["metadata"],
        });
        if (this.echoOwnMessages) this.echoPost(msg);
        return { ok: true, channel, ts: msg.ts, message: this.store.render(msg) };
      }
      case "chat.update": {
        const msg = this.store.find(str("channel") ?? "", str("ts") ?? "");
        if (!msg) return { ok: false, error: "message_not_found" };
        const previous = this.store.render(msg);
        msg.text = str("text") ?? msg.text;
        if (a["blocks"] !== undefined) msg.blocks = a["blocks"];
        msg.edits++;
        if (this.echoOwnMessages) this.echoEdit(msg, previous);
        return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text, message: this.store.render(msg) };
      }
      case "chat.startStream":
        return this.startStream(a);
      case "chat.appendStream":
      case "chat.stopStream":
        return this.continueStream(method, a);
      case "assistant.threads.setStatus":
      case "assistant.threads.setSuggestedPrompts":
      case "assistant.threads.setTitle":
        return this.assistantThread(method, a);
      case "chat.postEphemeral": {
        // Shown to `user` alone and never stored in the conversation (history does not return it).
        const channel = str("channel");
        const user = str("user");
        if (!channel) return { ok: false, error: "channel_not_found" };
        if (!user) return { ok: false, error: "user_not_found" };
        if (!str("text") && !a["blocks"]) return { ok: false, error: "no_text" };
        const ts = this.nextTs();
        this.ephemerals.push({ channel, user, ts, threadTs: str("thread_ts"), text: str("text") ?? "", blocks: a["blocks"] });
        return { ok: true, message_ts: ts };
      }
      case "conversations.replies":
        return this.store.replies(str("channel") ?? "", str("ts") ?? "", pageArgs(a));
      case "conversations.history":
        return this.store.history(str("channel") ?? "", pageArgs(a));
      case "files.getUploadURLExternal": {
        const fileId = `F${String(++this.counter).padStart(8, "0")}`;
        this.uploadNames.set(fileId, str("filename") ?? "file");
        return { ok: true, upload_url: `http://127.0.0.1:${this.port}/upload/${fileId}`, file_id: fileId };
      }
      case "files.completeUploadExternal": {
        const raw = a["files"];
        const files = (typeof raw === "string" ? JSON.parse(raw) : (raw ?? [])) as { id: string; title?: string }[];
        const unknown = files.find((f) => !this.uploads.some((u) => u.fileId === f.id));
        if (unknown) return { ok: false, error: "file_not_found" };
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title, name: this.uploadNames.get(f.id) })) };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  /**
   * chat.startStream as Slack documents it: a thread reply (thread_ts required) with markdown_text
   * or chunks; outside a DM the recipient user and team are required. The message is stored and
   * shows the text streamed so far.
   */
  private startStream(a: Record<string, unknown>): Record<string, unknown> {
    const channel = a["channel"] === undefined ? undefined : String(a["channel"]);
    if (!channel) return { ok: false, error: "channel_not_found" };
    const threadTs = a["thread_ts"] === undefined ? undefined : String(a["thread_ts"]);
    if (!threadTs) return { ok: false, error: "invalid_arguments", response_metadata: { messages: ["[ERROR] missing required field: thread_ts"] } };
    if (!this.store.find(channel, threadTs)) return { ok: false, error: "thread_not_found" };
    if (!channel.startsWith("D")) {
      if (!a["recipient_user_id"]) return { ok: false, error: "missing_recipient_user_id" };
      if (!a["recipient_team_id"]) return { ok: false, error: "missing_recipient_team_id" };
    }
    const text = streamText(a);
    if (text === undefined) return { ok: false, error: "invalid_arguments", response_metadata: { messages: ["[ERROR] markdown_text or chunks is required"] } };
    if (text.length > 12_000) return { ok: false, error: "msg_too_long" };
    const msg = this.store.add({ channel, user: this.botUserId, bot_id: this.botId, text, ts: this.nextTs(), thread_ts: threadTs });
    this.streams.set(msg.ts, { channel, ts: msg.ts, startedAt: Date.now(), chunks: [text], stopped: false });
    return { ok: true, channel, ts: msg.ts };
  }

  private continueStream(method: string, a: Record<string, unknown>): Record<string, unknown> {
    const channel = String(a["channel"] ?? "");
    const ts = String(a["ts"] ?? "");
    const msg = this.store.find(channel, ts);
    if (!msg) return { ok: false, error: "message_not_found" };
    const stream = this.streams.get(ts);
    // Not a stream, stopped, or open longer than Slack keeps a stream: it cannot be written to.
    if (!stream || stream.stopped || Date.now() - stream.startedAt > this.streamLifetimeMs) return { ok: false, error: "message_not_in_streaming_state" };
    const text = streamText(a);
    if (method === "chat.appendStream" && text === undefined) {
      return { ok: false, error: "invalid_arguments", response_metadata: { messages: ["[ERROR] markdown_text or chunks is required"] } };
    }
    if (text !== undefined) {
      if (text.length > 12_000) return { ok: false, error: "msg_too_long" };
      stream.chunks.push(text);
      msg.text += text;
    }
    if (method === "chat.stopStream") {
      stream.stopped = true;
      if (a["blocks"] !== undefined) msg.blocks = a["blocks"];
      return { ok: true, channel, ts, message: this.store.render(msg) };
    }
    return { ok: true, channel, ts };
  }

  /** The pane's status, suggested prompts (1–4, each a title and a message) and title. */
  private assistantThread(method: string, a: Record<string, unknown>): Record<string, unknown> {
    const channel = a["channel_id"] === undefined ? "" : String(a["channel_id"]);
    const threadTs = a["thread_ts"] === undefined ? "" : String(a["thread_ts"]);
    if (!channel || !threadTs) return { ok: false, error: "invalid_arguments" };
    if (!channel.startsWith("D") && !this.store.find(channel, threadTs)) return { ok: false, error: "thread_not_found" };
    const key = `${channel}:${threadTs}`;
    const thread = this.assistantThreads.get(key) ?? { statuses: [] };
    this.assistantThreads.set(key, thread);
    if (method === "assistant.threads.setStatus") {
      if (a["status"] === undefined) return { ok: false, error: "invalid_arguments" };
      thread.statuses.push(String(a["status"]));
    } else if (method === "assistant.threads.setSuggestedPrompts") {
      const raw = a["prompts"];
      const prompts = (typeof raw === "string" ? JSON.parse(raw) : raw) as { title?: unknown; message?: unknown }[] | undefined;
      if (!Array.isArray(prompts) || prompts.length < 1 || prompts.length > 4) return { ok: false, error: "invalid_arguments" };
      if (prompts.some((p) => typeof p.title !== "string" || typeof p.message !== "string" || p.title === "" || p.message === "")) {
        return { ok: false, error: "invalid_arguments" };
      }
      thread.prompts = {
        ...(a["title"] === undefined ? {} : { title: String(a["title"]) }),
        prompts: prompts.map((p) => ({ title: String(p.title), message: String(p.message) })),
      };
    } else {
      if (!a["title"]) return { ok: false, error: "invalid_arguments" };
      thread.title = String(a["title"]);
    }
    return { ok: true };
  }

  private async onUpload(fileId: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    this.calls.push({ method: "(upload)", args: { fileId }, token: undefined, at: Date.now(), status: 200 });
    let data = raw;
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("multipart/form-data")) {
      const form = await new Response(new Uint8Array(raw), { headers: { "content-type": type } }).formData();
      const part = [...form.values()][0];
      data = typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(await (part as Blob).arrayBuffer());
    }
    this.uploads.push({ fileId, filename: this.uploadNames.get(fileId) ?? "", content: data.toString("utf8"), data });
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`OK - ${raw.length}`);
  }

  private onFileDownload(path: string, req: IncomingMessage, res: ServerResponse): void {
    const file = this.hostedFiles.get(path);
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    this.calls.push({
      method: "(file download)",
      args: { path },
      token: token || undefined,
      at: Date.now(),
      status: file && token === this.botToken ? 200 : 302,
    });
    if (!file || token !== this.botToken) {
      res.writeHead(302, { location: `/signin?redir=${encodeURIComponent(path)}` });
      return void res.end();
    }
    res.writeHead(200, { "content-type": file.mimetype, "content-length": String(file.data.length) });
    res.end(file.data);
  }

  private echoPost(msg: StoredMessage): void {
    if (this.sockets.size === 0) return;
    this.deliverEvent({ type: "message", channel_type: channelType(msg.channel), channel: msg.channel, ...this.store.render(msg) });
  }

  private echoEdit(msg: StoredMessage, previous: Record<string, unknown>): void {
    if (this.sockets.size === 0) return;
    this.deliverEvent({
      type: "message",
      subtype: "message_changed",
      hidden: true,
      channel: msg.channel,
      channel_type: channelType(msg.channel),
      message: { ...this.store.render(msg), edited: { user: this.botUserId, ts: this.nextTs() } },
      previous_message: previous,
      ts: this.nextTs(),
    });
  }
}

/** The text of a stream call: markdown_text, or its markdown_text chunks joined. */
function streamText(a: Record<string, unknown>): string | undefined {
  if (typeof a["markdown_text"] === "string") return a["markdown_text"];
  const raw = a["chunks"];
  const chunks = (typeof raw === "string" ? tryJson(raw) : raw) as { type?: string; text?: string }[] | undefined;
  if (!Array.isArray(chunks)) return undefined;
  return chunks
    .filter((c) => c.type === "markdown_text")
    .map((c) => c.text ?? "")
    .join("");
}

export function channelType(channel: string): "im" | "mpim" | "group" | "channel" {
  return channel.startsWith("D") ? "im" : channel.startsWith("M") ? "mpim" : channel.startsWith("G") ? "group" : "channel";
}

function pageArgs(a: Record<string, unknown>) {
  const num = (k: string) => (a[k] === undefined ? undefined : Number(a[k]));
  return {
    limit: num("limit"),
    cursor: a["cursor"] === undefined ? undefined : String(a["cursor"]),
    latest: a["latest"] === undefined ? undefined : String(a["latest"]),
    oldest: a["oldest"] === undefined ? undefined : String(a["oldest"]),
    inclusive: a["inclusive"] === true || a["inclusive"] === "true" || a["inclusive"] === "1",
    includeMetadata: a["include_all_metadata"] === true || a["include_all_metadata"] === "true" || a["include_all_metadata"] === "1",
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** @slack/web-api sends form-encoded bodies (objects JSON-encoded), or JSON. */
async function parseArgs(req: IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("application/json")) return JSON.parse(raw.toString() || "{}") as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw.toString())) {
    args[k] = /^[[{]/.test(v) ? tryJson(v) : v;
  }
  return args;
}

function tryJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}
