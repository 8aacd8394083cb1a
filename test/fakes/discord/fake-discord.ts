// A protocol-faithful stand-in for Discord on 127.0.0.1: REST v10 (rest.ts) and the gateway
// (gateway.ts) on one port. Tests point the real discord.js Client at `apiUrl`, then act as users
// (say, delete, run a slash command) and read back every REST request the bot made.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGateway, Intents } from "./gateway.js";
import { snowflake } from "./ids.js";
import { handleRest, type RecordedRequest } from "./rest.js";
import { defaultWorld, memberPayload, type FakeChannel, type FakeMessage, type FakeUser, type World } from "./world.js";

export { Intents } from "./gateway.js";
export type { RecordedRequest } from "./rest.js";

export interface FakeDiscordOptions {
  readonly heartbeatIntervalMs?: number;
  readonly privilegedIntentsEnabled?: boolean;
  /** How long an interaction token works for follow-ups (Discord: 15 minutes). */
  readonly interactionTokenLifetimeMs?: number;
  /** How long until an interaction must have its first response (Discord: 3 s). */
  readonly interactionAckDeadlineMs?: number;
}

export interface RateLimitPlan {
  readonly method: string;
  readonly path: RegExp;
  /** Seconds, as Discord's Retry-After header and retry_after body field. */
  readonly retryAfter: number;
  readonly global?: boolean;
}

/**
 * A fault on matching REST requests, for the next `count` of them (default: until cleared).
 * `applied`: Discord did the work (stored the message, applied the edit) and only the response
 * went wrong — a lost response. Otherwise the request never took effect. `status` answers with that
 * HTTP status (a 5xx body as Discord's edge sends it); `hang` never answers at all.
 */
export interface FaultPlan {
  readonly method: string;
  readonly path: RegExp;
  readonly applied: boolean;
  readonly status?: number;
  readonly hang?: boolean;
  count?: number;
}

/** How long Discord remembers a nonce for enforce_nonce ("the past few minutes"). */
export const NONCE_WINDOW_MS = 5 * 60_000;

export interface FakeInteraction {
  readonly id: string;
  readonly token: string;
  readonly channelId: string;
  readonly guildId: string | undefined;
  readonly user: FakeUser;
  readonly createdAt: number;
  /** The first response's callback type (4 reply, 5 deferred, 6 deferred update, 7 update), once acknowledged. */
  responseType?: number;
  /** A component interaction: the message whose button was clicked. */
  readonly message?: FakeMessage;
  original?: FakeMessage;
  readonly followups: FakeMessage[];
}

export interface SayOptions {
  readonly channel: FakeChannel;
  readonly author: FakeUser;
  readonly content: string;
  /** Replying to this message (type 19, message_reference, referenced_message). */
  readonly replyTo?: FakeMessage;
  /** A reply pings the replied author by default, as in the Discord client. */
  readonly pingReply?: boolean;
  /** False: stored only (posted "before the bot connected"); the bot must fetch it over REST. */
  readonly dispatch?: boolean;
  /** Files attached to the message, served at their attachment url like Discord's CDN. */
  readonly files?: readonly { readonly filename: string; readonly contentType?: string; readonly data: Buffer }[];
}

export class FakeDiscord {
  readonly token = "fake-bot-token.0123456789";
  readonly world: World;
  readonly requests: RecordedRequest[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly commands = new Map<string, unknown[]>();
  readonly rateLimits: RateLimitPlan[] = [];
  readonly faults: FaultPlan[] = [];
  /** author id + nonce → the message created with it (for enforce_nonce). */
  readonly nonces = new Map<string, { readonly messageId: string; readonly at: number }>();
  readonly gateway: FakeGateway;
  /** Attachment bytes by path (/attachments/ID/NAME), served as Discord's CDN serves them. */
  readonly hostedFiles = new Map<string, { readonly contentType: string | undefined; readonly data: Buffer }>();
  /** Paths of the hosted files downloaded, in order. */
  readonly downloads: string[] = [];
  readonly interactionTokenLifetimeMs: number;
  readonly interactionAckDeadlineMs: number;
  private readonly server: Server;
  private port = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(options: FakeDiscordOptions) {
    this.world = defaultWorld();
    this.interactionTokenLifetimeMs = options.interactionTokenLifetimeMs ?? 15 * 60_000;
    this.interactionAckDeadlineMs = options.interactionAckDeadlineMs ?? 3_000;
    this.server = createServer((req, res) => {
      handleRest(this, req, res).catch((error: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: String(error), code: 0 }));
      });
    });
    this.gateway = new FakeGateway({
      world: this.world,
      token: this.token,
      users: () => this.users(),
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      privilegedIntentsEnabled: options.privilegedIntentsEnabled ?? true,
      url: () => this.gatewayUrl,
    });
    this.gateway.attach(this.server);
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** What to pass as discord.js `rest.api` (it appends /v10/...). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiters) wake();
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  users(): FakeUser[] {
    const { bot, users } = this.world;
    return [bot, users.alice, users.bob, users.otherBot];
  }

  channel(id: string): FakeChannel | undefined {
    const { channels, threads } = this.world.guild;
    return [...channels, ...threads, this.world.channels.dm].find((c) => c.id === id);
  }

  /** The next matching request gets a 429 with this retry_after, once. */
  rateLimitOnce(plan: RateLimitPlan): void {
    this.rateLimits.push(plan);
  }

  /** Matching requests fail as `plan` says (see FaultPlan); returns a function that clears it. */
  fault(plan: FaultPlan): () => void {
    this.faults.push(plan);
    return () => {
      const index = this.faults.indexOf(plan);
      if (index >= 0) this.faults.splice(index, 1);
    };
  }

  /** A user posts a message: stored, then MESSAGE_CREATE to the bot (if its intents allow). */
  say(options: SayOptions): FakeMessage {
    const { channel, author, content, replyTo } = options;
    const mentions = this.mentionedUsers(content);
    if (replyTo && (options.pingReply ?? true) && !mentions.some((u) => u.id === replyTo.author.id)) {
      mentions.push(replyTo.author);
    }
    const message = this.createMessage({
      channel,
      author,
      content,
      mentions,
      mentionEveryone: /@(everyone|here)\b/.test(content),
      ...(replyTo && { replyTo }),
      ...(options.files && { attachments: options.files.map((file) => this.hostAttachment(file.filename, file.data, file.contentType)) }),
      dispatch: options.dispatch ?? true,
    });
    return message;
  }

  /** Serves `data` at a new attachment URL; returns the attachment object a message carries. */
  hostAttachment(filename: string, data: Buffer, contentType?: string): Record<string, unknown> {
    const id = snowflake();
    const path = `/attachments/${id}/${encodeURIComponent(filename)}`;
    this.hostedFiles.set(path, { contentType, data });
    const url = `http://127.0.0.1:${this.port}${path}`;
    return { id, filename, size: data.length, url, proxy_url: url, ...(contentType && { content_type: contentType }) };
  }

  /** Stores a message and dispatches MESSAGE_CREATE (also used for the bot's own posts). */
  createMessage(input: {
    channel: FakeChannel;
    author: FakeUser;
    content: string;
    mentions: FakeUser[];
    mentionEveryone: boolean;
    replyTo?: FakeMessage;
    embeds?: unknown[];
    attachments?: unknown[];
    components?: unknown[];
    dispatch?: boolean;
    nonce?: string;
  }): FakeMessage {
    const { channel, author, replyTo } = input;
    const guildId = channel.guild_id;
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: channel.id,
      ...(guildId && { guild_id: guildId }),
      author,
      content: input.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: input.mentionEveryone,
      mentions: input.mentions,
      mention_roles: [],
      attachments: input.attachments ?? [],
      embeds: input.embeds ?? [],
      components: input.components ?? [],
      pinned: false,
      type: replyTo ? 19 : 0,
      flags: 0,
      ...(input.nonce !== undefined && { nonce: input.nonce }),
      ...(replyTo && {
        message_reference: { type: 0, message_id: replyTo.id, channel_id: replyTo.channel_id, ...(guildId && { guild_id: guildId }) },
        referenced_message: stripReference(replyTo),
      }),
    };
    this.messages.set(message.id, message);
    this.notify();
    if (input.dispatch === false) return message;
    const intent = guildId ? Intents.GuildMessages : Intents.DirectMessages;
    this.gateway.dispatch("MESSAGE_CREATE", this.gatewayMessage(message, channel), intent, (d, intents) => this.redact(d as FakeMessage, intents));
    return message;
  }

  /** Applies an edit and dispatches MESSAGE_UPDATE, as Discord does for the bot's own edits. */
  updateMessage(
    message: FakeMessage,
    patch: Partial<Pick<FakeMessage, "content" | "embeds" | "attachments" | "components" | "flags" | "mention_everyone" | "mentions">>,
  ): void {
    Object.assign(message, patch, { edited_timestamp: new Date().toISOString() });
    const channel = this.channel(message.channel_id);
    if (channel && !message.webhook_id) {
      const intent = channel.guild_id ? Intents.GuildMessages : Intents.DirectMessages;
      this.gateway.dispatch("MESSAGE_UPDATE", this.gatewayMessage(message, channel), intent, (d, intents) => this.redact(d as FakeMessage, intents));
    }
    this.notify();
  }

  /** A user (or moderator) deletes a message: MESSAGE_DELETE. */
  deleteMessage(message: FakeMessage): void {
    this.messages.delete(message.id);
    const intent = message.guild_id ? Intents.GuildMessages : Intents.DirectMessages;
    this.gateway.dispatch(
      "MESSAGE_DELETE",
      { id: message.id, channel_id: message.channel_id, ...(message.guild_id && { guild_id: message.guild_id }) },
      intent,
    );
    this.notify();
  }

  /**
   * A user clicks a button of a message: INTERACTION_CREATE (type 3, message component) with the
   * message and the button's custom_id; the callback (POST /interactions/:id/:token) acks it.
   */
  clickButton(input: { user: FakeUser; message: FakeMessage; customId: string }): FakeInteraction {
    const channel = this.channel(input.message.channel_id);
    if (!channel) throw new Error(`FakeDiscord: no channel ${input.message.channel_id}`);
    return this.dispatchInteraction(input.user, channel, input.message, {
      type: 3,
      data: { custom_id: input.customId, component_type: 2 },
      message: this.gatewayMessage(input.message, channel),
    });
  }

  /** A user runs a slash command: INTERACTION_CREATE (type 2, chat input). */
  runCommand(input: { user: FakeUser; channel: FakeChannel; name: string; options?: unknown[] }): FakeInteraction {
    const guildId = input.channel.guild_id;
    return this.dispatchInteraction(input.user, input.channel, undefined, {
      type: 2,
      data: { id: snowflake(), name: input.name, type: 1, options: input.options ?? [], ...(guildId && { guild_id: guildId }) },
    });
  }

  /** Records an interaction and sends its INTERACTION_CREATE: the envelope every kind shares, plus `fields`. */
  private dispatchInteraction(user: FakeUser, channel: FakeChannel, message: FakeMessage | undefined, fields: Record<string, unknown>): FakeInteraction {
    const guildId = channel.guild_id;
    const interaction: FakeInteraction = {
      id: snowflake(),
      token: `interaction-token-${snowflake()}`,
      channelId: channel.id,
      guildId,
      user,
      createdAt: Date.now(),
      followups: [],
      ...(message ? { message } : {}),
    };
    this.interactions.set(interaction.token, interaction);
    const roles = this.world.guild.memberRoles.get(user.id) ?? [];
    this.gateway.dispatch("INTERACTION_CREATE", {
      id: interaction.id,
      application_id: this.world.applicationId,
      ...fields,
      ...(guildId ? { guild_id: guildId, member: { ...memberPayload(roles), user, permissions: "0" }, guild_locale: "ja" } : { user }),
      channel_id: channel.id,
      channel: { ...channel, ...(channel.recipients && { recipients: [...channel.recipients] }) },
      token: interaction.token,
      version: 1,
      app_permissions: "0",
      locale: "ja",
      entitlements: [],
      // discord.js 14.28 reads this unconditionally; Discord always sends it.
      authorizing_integration_owners: guildId ? { "0": guildId } : { "1": user.id },
      context: guildId ? 0 : 1,
      attachment_size_limit: 8 * 1024 * 1024,
    });
    return interaction;
  }

  /** Messages of a channel in posting order (what a person would see, edits applied). */
  channelMessages(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId);
  }

  botMessages(channelId?: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.author.id === this.world.bot.id && !m.webhook_id && (!channelId || m.channel_id === channelId));
  }

  /** Requests matching method and path, in order. */
  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** Resolves once `check` returns a value (re-checked after every request and event), or rejects on timeout. */
  async waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`FakeDiscord: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 50));
        this.waiters.add(wake);
      });
    }
  }

  /** Wakes waitFor() callers; called by REST and state changes. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Users written as <@id> / <@!id> in the content. */
  mentionedUsers(content: string): FakeUser[] {
    const ids = [...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]);
    return this.users().filter((u) => ids.includes(u.id));
  }

  /** Without the MessageContent intent Discord blanks content, except DMs, mentions of the bot and its own messages. */
  redact(message: FakeMessage, intents: number): FakeMessage {
    if ((intents & Intents.MessageContent) !== 0) return message;
    const bot = this.world.bot.id;
    if (!message.guild_id || message.author.id === bot || message.mentions.some((u) => u.id === bot)) return message;
    return { ...message, content: "", embeds: [], attachments: [], components: [] };
  }

  private gatewayMessage(message: FakeMessage, channel: FakeChannel): FakeMessage {
    const roles = this.world.guild.memberRoles.get(message.author.id);
    return {
      ...message,
      channel_type: channel.type,
      ...(message.guild_id && roles && !message.webhook_id && { member: memberPayload(roles) }),
    };
  }
}

/** referenced_message carries its own reference as a bare id, not another nested message. */
function stripReference(message: FakeMessage): FakeMessage {
  const { referenced_message: _dropped, ...rest } = message;
  return rest;
}
