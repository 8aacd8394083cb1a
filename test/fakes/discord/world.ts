// The fake's model of Discord: users, one guild with a text channel and a thread, a DM channel,
// and the payload shapes discord.js reads (v10, JSON). Only the fields discord.js needs, plus those
// a real payload always carries, so that discord.js builds full (not partial) structures.

import { snowflake } from "./ids.js";

export interface FakeUser {
  readonly id: string;
  readonly username: string;
  readonly global_name: string | null;
  readonly discriminator: string;
  readonly avatar: null;
  readonly bot?: boolean;
}

export interface FakeChannel {
  readonly id: string;
  /** ChannelType: 0 text, 1 DM, 11 public thread. */
  readonly type: number;
  readonly name?: string;
  readonly guild_id?: string;
  readonly parent_id?: string | null;
  readonly recipients?: readonly FakeUser[];
}

export interface FakeRole {
  readonly id: string;
  readonly name: string;
}

export interface FakeGuild {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly FakeRole[];
  readonly channels: readonly FakeChannel[];
  readonly threads: readonly FakeChannel[];
  /** user id → role ids (the @everyone role is implicit, as in Discord's member objects). */
  readonly memberRoles: ReadonlyMap<string, readonly string[]>;
}

export interface MessageReference {
  readonly type?: number;
  readonly message_id: string;
  readonly channel_id: string;
  readonly guild_id?: string;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: FakeUser[];
  mention_roles: string[];
  attachments: unknown[];
  embeds: unknown[];
  components: unknown[];
  pinned: boolean;
  /** MessageType: 0 default, 19 reply. */
  type: number;
  flags: number;
  message_reference?: MessageReference;
  referenced_message?: FakeMessage | null;
  /** Echoed from the create request, as Discord does (response and MESSAGE_CREATE). */
  nonce?: string;
  webhook_id?: string;
  application_id?: string;
  member?: ReturnType<typeof memberPayload>;
  channel_type?: number;
}

export function user(username: string, bot = false): FakeUser {
  return { id: snowflake(), username, global_name: bot ? null : username, discriminator: "0", avatar: null, ...(bot && { bot }) };
}

export interface World {
  readonly bot: FakeUser;
  readonly applicationId: string;
  readonly users: { readonly alice: FakeUser; readonly bob: FakeUser; readonly otherBot: FakeUser };
  readonly guild: FakeGuild;
  readonly roles: { readonly admin: FakeRole; readonly member: FakeRole };
  readonly channels: { readonly general: FakeChannel; readonly thread: FakeChannel; readonly dm: FakeChannel };
}

/** Alice holds the admin role, Bob none; otherBot is somebody else's bot. */
export function defaultWorld(): World {
  const bot = user("elyza-bot", true);
  const alice = user("alice");
  const bob = user("bob");
  const otherBot = user("other-bot", true);
  const guildId = snowflake();
  const admin = { id: snowflake(), name: "probe-admin" };
  const member = { id: snowflake(), name: "member" };
  const general: FakeChannel = { id: snowflake(), type: 0, name: "general", guild_id: guildId, parent_id: null };
  const thread: FakeChannel = { id: snowflake(), type: 11, name: "a thread", guild_id: guildId, parent_id: general.id };
  const dm: FakeChannel = { id: snowflake(), type: 1, recipients: [alice] };
  const guild: FakeGuild = {
    id: guildId,
    name: "fake guild",
    roles: [{ id: guildId, name: "@everyone" }, admin, member],
    channels: [general],
    threads: [thread],
    memberRoles: new Map([
      [bot.id, []],
      [alice.id, [admin.id, member.id]],
      [bob.id, [member.id]],
      [otherBot.id, []],
    ]),
  };
  return {
    bot,
    applicationId: bot.id,
    users: { alice, bob, otherBot },
    guild,
    roles: { admin, member },
    channels: { general, thread, dm },
  };
}

export function memberPayload(roleIds: readonly string[], joinedAt = new Date(0).toISOString()) {
  return { roles: [...roleIds], joined_at: joinedAt, deaf: false, mute: false, flags: 0, nick: null, avatar: null, pending: false };
}

export function channelPayload(channel: FakeChannel, ownerId: string): Record<string, unknown> {
  const base = { ...channel, last_message_id: null, flags: 0 };
  if (channel.type === 0) return { ...base, position: 0, permission_overwrites: [], nsfw: false, topic: null, rate_limit_per_user: 0 };
  if (channel.type === 11) {
    return {
      ...base,
      owner_id: ownerId,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
    };
  }
  return base;
}

export function rolePayload(role: FakeRole, position: number) {
  return {
    ...role,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: "0",
    managed: false,
    mentionable: false,
    flags: 0,
  };
}

/** GUILD_CREATE's data: a full, available guild with its channels, active threads and members. */
export function guildCreatePayload(guild: FakeGuild, users: readonly FakeUser[], botId: string) {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: [...guild.memberRoles.keys()].find((id) => id !== botId) ?? botId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: guild.roles.map((role, index) => rolePayload(role, index)),
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: "ja",
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    joined_at: new Date(0).toISOString(),
    large: false,
    unavailable: false,
    member_count: guild.memberRoles.size,
    voice_states: [],
    members: users.filter((u) => guild.memberRoles.has(u.id)).map((u) => ({ ...memberPayload(guild.memberRoles.get(u.id) ?? []), user: u })),
    channels: guild.channels.map((c) => channelPayload(c, botId)),
    threads: guild.threads.map((c) => channelPayload(c, botId)),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}
