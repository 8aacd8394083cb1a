// REST v10 routes of the fake, with Discord's status codes and error bodies ({ message, code,
// errors }) so that discord.js raises the same DiscordAPIErrors it would live. Every request is
// recorded with its decoded path, JSON body (payload_json for multipart) and files.

import type { IncomingMessage, ServerResponse } from "node:http";
import { compareIds, snowflake } from "./ids.js";
import { readBody, type UploadedFile } from "./http-body.js";
import { channelPayload, type FakeChannel, type FakeMessage, type FakeUser } from "./world.js";
import { NONCE_WINDOW_MS, type FakeDiscord, type FakeInteraction } from "./fake-discord.js";

export interface RecordedRequest {
  readonly method: string;
  /** Decoded path after /api/v10, e.g. /webhooks/1/tok/messages/@original. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: any;
  readonly files: readonly UploadedFile[];
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly at: number;
  status: number;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

const MAX_CONTENT = 2000;

export async function handleRest(fake: FakeDiscord, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const hosted = req.method === "GET" ? fake.hostedFiles.get(url.pathname) : undefined;
  if (hosted) {
    fake.downloads.push(url.pathname);
    res.writeHead(200, { "content-length": String(hosted.data.length), ...(hosted.contentType && { "content-type": hosted.contentType }) });
    return void res.end(hosted.data);
  }
  const versioned = /^\/api\/v10(\/.*)$/.exec(url.pathname);
  if (!versioned?.[1]) return send(res, { status: 404, body: { message: "404: Not Found", code: 0 } });
  const path = versioned[1].split("/").map(decodeURIComponent).join("/");
  const parsed = await readBody(req);
  const record: RecordedRequest = {
    method: req.method ?? "GET",
    path,
    query: Object.fromEntries(url.searchParams),
    body: parsed.json,
    files: parsed.files,
    contentType: parsed.contentType,
    authorization: req.headers.authorization,
    at: Date.now(),
    status: 0,
  };
  fake.requests.push(record);
  const fault = takeFault(fake, record);
  if (fault) {
    // A lost response: the work is done, only the answer goes wrong.
    if (fault.applied) route(fake, record);
    record.status = fault.hang ? 0 : (fault.status ?? 500);
    fake.notify();
    if (fault.hang) return; // never answered (the server's closeAllConnections ends it)
    const body = record.status >= 500 ? { message: "Internal Server Error", code: 0 } : { message: "Missing Access", code: 50001 };
    return send(res, { status: record.status, body });
  }
  const reply = route(fake, record);
  record.status = reply.status;
  send(res, reply);
  fake.notify();
}

function takeFault(fake: FakeDiscord, r: RecordedRequest) {
  const plan = fake.faults.find((p) => p.method === r.method && p.path.test(r.path) && (p.count === undefined || p.count > 0));
  if (plan?.count !== undefined) plan.count--;
  return plan;
}

function route(fake: FakeDiscord, r: RecordedRequest): Reply {
  const planIndex = fake.rateLimits.findIndex((p) => p.method === r.method && p.path.test(r.path));
  if (planIndex >= 0) {
    const [plan] = fake.rateLimits.splice(planIndex, 1);
    return rateLimited(plan!.retryAfter, plan!.global ?? false);
  }
  const seg = r.path.split("/").slice(1);
  // Interaction callbacks and webhook (interaction token) routes are unauthenticated.
  if (seg[0] === "interactions") return interactionCallback(fake, r, seg[1], seg[2]);
  if (seg[0] === "webhooks") return webhook(fake, r, seg);
  if (r.authorization !== `Bot ${fake.token}`) return error(401, 0, "401: Unauthorized");

  const { world } = fake;
  const key = `${r.method} /${seg.map((s, i) => (/^\d+$/.test(s) && i > 0 ? ":id" : s)).join("/")}`;
  switch (key) {
    case "GET /gateway/bot":
      return ok({ url: fake.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } });
    case "GET /gateway":
      return ok({ url: fake.gatewayUrl });
    case "GET /users/@me":
      return ok(world.bot);
    case "GET /applications/@me":
      return ok({
        id: world.applicationId,
        name: world.bot.username,
        icon: null,
        description: "",
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: "0",
        flags: 0,
        bot: world.bot,
      });
    case "GET /channels/:id": {
      const channel = fake.channel(seg[1]!);
      return channel ? ok(channelPayload(channel, world.bot.id)) : error(404, 10003, "Unknown Channel");
    }
    case "POST /channels/:id/typing":
      return { status: 204 };
    case "POST /channels/:id/messages":
      return createMessage(fake, r, seg[1]!);
    case "GET /channels/:id/messages":
      return listMessages(fake, r, seg[1]!);
    case "GET /channels/:id/messages/:id": {
      const message = fake.messages.get(seg[3]!);
      return message && message.channel_id === seg[1] ? ok(fake.redact(message, fake.gateway.intents())) : error(404, 10008, "Unknown Message");
    }
    case "PATCH /channels/:id/messages/:id":
      return editMessage(fake, r, seg[1]!, seg[3]!);
    case "DELETE /channels/:id/messages/:id": {
      const message = fake.messages.get(seg[3]!);
      if (!message) return error(404, 10008, "Unknown Message");
      fake.deleteMessage(message);
      return { status: 204 };
    }
    case "POST /channels/:id/messages/:id/threads":
      return startThread(fake, r, seg[1]!, seg[3]!);
    case "PUT /applications/:id/commands":
    case "PUT /applications/:id/guilds/:id/commands":
      return putCommands(fake, r, seg);
    case "GET /applications/:id/commands":
    case "GET /applications/:id/guilds/:id/commands":
      return ok(fake.commands.get(seg.slice(0, -1).join("/")) ?? []);
    default:
      return error(404, 0, "404: Not Found");
  }
}

function createMessage(fake: FakeDiscord, r: RecordedRequest, channelId: string): Reply {
  const channel = fake.channel(channelId);
  if (!channel) return error(404, 10003, "Unknown Channel");
  const body = (r.body ?? {}) as Record<string, any>;
  const invalid = validate(body, r.files, true);
  if (invalid) return invalid;
  let replyTo: FakeMessage | undefined;
  if (body.message_reference?.message_id) {
    replyTo = fake.messages.get(body.message_reference.message_id);
    if (!replyTo && body.message_reference.fail_if_not_exists !== false) {
      return formError("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message");
    }
  }
  // enforce_nonce: a create repeated with the same nonce by the same author, within Discord's window,
  // returns the message made the first time instead of a second one.
  const nonce = body.nonce === undefined ? undefined : String(body.nonce);
  const nonceKey = nonce !== undefined ? `${fake.world.bot.id}:${nonce}` : undefined;
  if (nonceKey && body.enforce_nonce === true) {
    const earlier = fake.nonces.get(nonceKey);
    const message = earlier && Date.now() - earlier.at <= NONCE_WINDOW_MS ? fake.messages.get(earlier.messageId) : undefined;
    if (message) return ok(message);
  }
  const pings = pingsOf(fake, body, replyTo);
  const message = fake.createMessage({
    channel,
    author: fake.world.bot,
    content: body.content ?? "",
    mentions: pings.users,
    mentionEveryone: pings.everyone,
    ...(replyTo && { replyTo }),
    embeds: body.embeds ?? [],
    attachments: attachmentsOf(fake, r.files),
    components: body.components ?? [],
    ...(nonce !== undefined && { nonce }),
  });
  if (nonceKey) fake.nonces.set(nonceKey, { messageId: message.id, at: Date.now() });
  return ok(message);
}

function editMessage(fake: FakeDiscord, r: RecordedRequest, channelId: string, messageId: string): Reply {
  const message = fake.messages.get(messageId);
  if (!message || message.channel_id !== channelId) return error(404, 10008, "Unknown Message");
  if (message.author.id !== fake.world.bot.id) return error(403, 50005, "Cannot edit a message authored by another user");
  const body = (r.body ?? {}) as Record<string, any>;
  const invalid = validate({ ...message, ...body }, r.files, false);
  if (invalid) return invalid;
  const replyTo = message.message_reference ? fake.messages.get(message.message_reference.message_id) : undefined;
  const pings = pingsOf(fake, { ...body, content: body.content ?? message.content }, replyTo);
  fake.updateMessage(message, {
    ...(body.content !== undefined && { content: body.content }),
    ...(body.embeds !== undefined && { embeds: body.embeds }),
    ...(body.components !== undefined && { components: body.components }),
    ...(r.files.length > 0 && { attachments: attachmentsOf(fake, r.files) }),
    mention_everyone: pings.everyone,
    mentions: pings.users,
  });
  return ok(message);
}

/**
 * Start Thread from Message: the thread takes the message's id, its owner is the bot, and every
 * client gets THREAD_CREATE (Guilds intent) before the response, as Discord sends both. Discord's
 * errors: 10008 for an unknown message, 160004 when the message already has a thread, 50035 for a
 * name outside 1–100 characters.
 */
function startThread(fake: FakeDiscord, r: RecordedRequest, channelId: string, messageId: string): Reply {
  const parent = fake.channel(channelId);
  if (!parent) return error(404, 10003, "Unknown Channel");
  const message = fake.messages.get(messageId);
  if (!message || message.channel_id !== channelId) return error(404, 10008, "Unknown Message");
  if (fake.channel(messageId)) return error(400, 160004, "A thread has already been created for this message");
  const name = String(((r.body ?? {}) as Record<string, unknown>).name ?? "");
  if ([...name].length < 1 || [...name].length > 100) return formError("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
  const thread = { id: messageId, type: 11, name, guild_id: parent.guild_id!, parent_id: parent.id };
  (fake.world.guild.threads as FakeChannel[]).push(thread);
  const payload = channelPayload(thread, fake.world.bot.id);
  fake.gateway.dispatch("THREAD_CREATE", { ...payload, newly_created: true }, 1);
  return ok(payload);
}

function listMessages(fake: FakeDiscord, r: RecordedRequest, channelId: string): Reply {
  if (!fake.channel(channelId)) return error(404, 10003, "Unknown Channel");
  const limit = Math.min(Number(r.query.limit ?? 50), 100);
  let list = fake.channelMessages(channelId).sort((a, b) => compareIds(b.id, a.id));
  if (r.query.before) list = list.filter((m) => compareIds(m.id, r.query.before!) < 0);
  if (r.query.after) list = list.filter((m) => compareIds(m.id, r.query.after!) > 0);
  return ok(list.slice(0, limit).map((m) => fake.redact(m, fake.gateway.intents())));
}

function interactionCallback(fake: FakeDiscord, r: RecordedRequest, id: string | undefined, token: string | undefined): Reply {
  const interaction = token ? fake.interactions.get(token) : undefined;
  if (r.method !== "POST" || !interaction || interaction.id !== id) return error(404, 10062, "Unknown interaction");
  if (Date.now() - interaction.createdAt > fake.interactionAckDeadlineMs) return error(404, 10062, "Unknown interaction");
  if (interaction.responseType !== undefined) return error(400, 40060, "Interaction has already been acknowledged.");
  const body = (r.body ?? {}) as { type: number; data?: Record<string, any> };
  if (body.type === 4) {
    const invalid = validate(body.data ?? {}, r.files, true);
    if (invalid) return invalid;
  }
  // 6: DEFERRED_UPDATE_MESSAGE, the ack of a component click that changes nothing yet; only for components.
  if (body.type === 6 || body.type === 7) {
    if (!interaction.message) return error(400, 50035, "Invalid Form Body: interaction callback type 6/7 needs a component interaction");
    interaction.responseType = body.type;
    interaction.original = interaction.message;
    if (body.type === 7)
      fake.updateMessage(interaction.message, {
        ...(body.data?.content !== undefined && { content: body.data.content }),
        ...(body.data?.components !== undefined && { components: body.data.components }),
      });
    return { status: 204 };
  }
  interaction.responseType = body.type;
  const data = body.data ?? {};
  const ephemeral = ((data.flags ?? 0) & 64) !== 0;
  interaction.original = webhookMessage(fake, interaction, {
    content: body.type === 4 ? (data.content ?? "") : "",
    embeds: body.type === 4 ? (data.embeds ?? []) : [],
    // 128 = LOADING: the "thinking…" state of a deferred reply.
    flags: (ephemeral ? 64 : 0) | (body.type === 5 ? 128 : 0),
    attachments: attachmentsOf(fake, r.files),
  });
  if (r.query.with_response === "true") {
    return ok({ interaction: { id: interaction.id, type: 2 }, resource: { type: body.type, message: interaction.original } });
  }
  return { status: 204 };
}

function webhook(fake: FakeDiscord, r: RecordedRequest, seg: string[]): Reply {
  const [, applicationId, token, messagesWord, messageId] = seg;
  const interaction = token ? fake.interactions.get(token) : undefined;
  if (!interaction || applicationId !== fake.world.applicationId) return error(404, 10015, "Unknown Webhook");
  if (Date.now() - interaction.createdAt > fake.interactionTokenLifetimeMs) return error(401, 50027, "Invalid Webhook Token");
  if (r.method === "POST" && messagesWord === undefined) {
    if (interaction.responseType === undefined) return error(404, 10015, "Unknown Webhook");
    const body = (r.body ?? {}) as Record<string, any>;
    const invalid = validate(body, r.files, true);
    if (invalid) return invalid;
    const message = webhookMessage(fake, interaction, {
      content: body.content ?? "",
      embeds: body.embeds ?? [],
      flags: body.flags ?? 0,
      attachments: attachmentsOf(fake, r.files),
    });
    interaction.followups.push(message);
    return ok(message);
  }
  if (messagesWord !== "messages" || !messageId) return error(404, 0, "404: Not Found");
  const target = messageId === "@original" ? interaction.original : interaction.followups.find((m) => m.id === messageId);
  if (!target) return error(404, 10008, "Unknown Message");
  if (r.method === "GET") return ok(target);
  if (r.method !== "PATCH") return error(405, 0, "405: Method Not Allowed");
  const body = (r.body ?? {}) as Record<string, any>;
  const invalid = validate({ ...target, ...body }, r.files, false);
  if (invalid) return invalid;
  const keep = Array.isArray(body.attachments) ? target.attachments.filter((a: any) => body.attachments.some((b: any) => b.id === a.id)) : target.attachments;
  fake.updateMessage(target, {
    ...(body.content !== undefined && { content: body.content }),
    ...(body.embeds !== undefined && { embeds: body.embeds }),
    attachments: [...keep, ...attachmentsOf(fake, r.files)],
    flags: target.flags & ~128,
  });
  return ok(target);
}

function putCommands(fake: FakeDiscord, r: RecordedRequest, seg: string[]): Reply {
  if (seg[1] !== fake.world.applicationId) return error(403, 50001, "Missing Access");
  if (!Array.isArray(r.body)) return formError("_root", "BASE_TYPE_ARRAY", "Must be an array");
  const stored = (r.body as Record<string, unknown>[]).map((command) => ({
    id: snowflake(),
    application_id: fake.world.applicationId,
    version: snowflake(),
    type: 1,
    default_member_permissions: null,
    ...command,
    ...(seg[2] === "guilds" && { guild_id: seg[3] }),
  }));
  fake.commands.set(seg.join("/"), stored);
  return ok(stored);
}

function webhookMessage(
  fake: FakeDiscord,
  interaction: FakeInteraction,
  input: { content: string; embeds: unknown[]; flags: number; attachments: unknown[] },
): FakeMessage {
  const message: FakeMessage = {
    id: snowflake(),
    channel_id: interaction.channelId,
    ...(interaction.guildId && { guild_id: interaction.guildId }),
    author: fake.world.bot,
    content: input.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: input.attachments,
    embeds: input.embeds,
    components: [],
    pinned: false,
    type: 20,
    flags: input.flags,
    webhook_id: fake.world.applicationId,
    application_id: fake.world.applicationId,
  };
  if ((input.flags & 64) === 0) fake.messages.set(message.id, message);
  return message;
}

/** Who a bot message pings: allowed_mentions governs it; absent, everything written pings. */
function pingsOf(fake: FakeDiscord, body: Record<string, any>, replyTo: FakeMessage | undefined): { everyone: boolean; users: FakeUser[] } {
  const allowed = body.allowed_mentions as { parse?: string[]; users?: string[]; replied_user?: boolean } | undefined;
  const content = String(body.content ?? "");
  const everyone = /@(everyone|here)\b/.test(content) && (!allowed || (allowed.parse ?? []).includes("everyone"));
  const written = fake.mentionedUsers(content);
  const users = !allowed ? written : written.filter((u) => (allowed.parse ?? []).includes("users") || (allowed.users ?? []).includes(u.id));
  if (replyTo && (!allowed || allowed.replied_user === true) && !users.some((u) => u.id === replyTo.author.id)) {
    users.push(replyTo.author);
  }
  return { everyone, users };
}

function attachmentsOf(fake: FakeDiscord, files: readonly UploadedFile[]): unknown[] {
  return files.map((file) => {
    const id = snowflake();
    const url = `${fake.apiUrl.replace(/\/api$/, "")}/attachments/${id}/${encodeURIComponent(file.filename)}`;
    return { id, filename: file.filename, size: file.data.length, url, proxy_url: url, content_type: file.contentType };
  });
}

/** Discord's checks on a message body: length limits (error 50035) and emptiness (50006). */
function validate(body: Record<string, any>, files: readonly UploadedFile[], creating: boolean): Reply | undefined {
  const content = typeof body.content === "string" ? body.content : "";
  if (content.length > MAX_CONTENT) return formError("content", "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_CONTENT} or fewer in length.`);
  const embeds = Array.isArray(body.embeds) ? (body.embeds as Record<string, any>[]) : [];
  if (embeds.length > 10) return formError("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
  let total = 0;
  for (const embed of embeds) {
    if ((embed.title ?? "").length > 256) return formError("embeds.0.title", "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length.");
    if ((embed.description ?? "").length > 4096) return formError("embeds.0.description", "BASE_TYPE_MAX_LENGTH", "Must be 4096 or fewer in length.");
    for (const field of (embed.fields ?? []) as { name: string; value: string }[]) {
      if (field.name.length > 256 || field.value.length > 1024) return formError("embeds.0.fields", "BASE_TYPE_MAX_LENGTH", "Field too long.");
      total += field.name.length + field.value.length;
    }
    total += (embed.title ?? "").length + (embed.description ?? "").length + (embed.footer?.text ?? "").length;
  }
  if (total > 6000) return formError("embeds", "BASE_TYPE_MAX_LENGTH", "Embed size exceeds maximum size of 6000");
  const attachments = Array.isArray(body.attachments) ? body.attachments.length : 0;
  if (content.trim() === "" && embeds.length === 0 && files.length === 0 && (creating || attachments === 0)) {
    return error(400, 50006, "Cannot send an empty message");
  }
  return undefined;
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function error(status: number, code: number, message: string): Reply {
  return { status, body: { message, code } };
}

function formError(field: string, code: string, message: string): Reply {
  return { status: 400, body: { message: "Invalid Form Body", code: 50035, errors: { [field]: { _errors: [{ code, message }] } } } };
}

function rateLimited(retryAfter: number, global: boolean): Reply {
  const headers: Record<string, string> = {
    "retry-after": String(retryAfter),
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": "0",
    "x-ratelimit-reset-after": String(retryAfter),
    "x-ratelimit-bucket": "fake-bucket",
    "x-ratelimit-scope": global ? "global" : "user",
    ...(global && { "x-ratelimit-global": "true" }),
  };
  return { status: 429, headers, body: { message: "You are being rate limited.", retry_after: retryAfter, global } };
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status, reply.headers);
    res.end();
    return;
  }
  res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  res.end(JSON.stringify(reply.body));
}
