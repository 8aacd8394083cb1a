// The Discord adapter's options and handle. What it needs of the chat core is the core's one
// ChatCore interface (src/core/types.ts), the same for every platform.

import type { FollowUpSettings } from "../../core/follow-up.js";
import type { ProbeChat } from "../../core/probe-chat.js";
import type { ChatCore, ReplyChannelSource } from "../../core/types.js";
import type { RestRetryOptions } from "./rest-retry.js";
import type { PlatformObserver } from "../../metrics/platform-observer.js";

export interface DiscordLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface StartDiscordOptions {
  readonly token: string;
  /** When given, checked against the application Discord reports at login (a mismatch is logged). */
  readonly applicationId?: string;
  /** REST base URL (a proxy, or the fake Discord in tests); the gateway URL then comes from its /gateway/bot. */
  readonly apiUrl?: string;
  /** The chat core every question is handed to (src/core/responder.ts). */
  readonly responder: ChatCore;
  /** /probe in chat (src/core/probe-chat.ts); absent: /probe answers that probes are not available. */
  readonly probeChat?: ProbeChat;
  /** Earlier messages of a reply chain read as conversation history. */
  readonly historyMessages: number;
  /** Follow-ups without a mention in the bot's threads and in replies to its answers (chat.followUps); default on, prefix "//". */
  readonly followUps?: FollowUpSettings;
  /** A mention in a channel is answered in a new thread on it (chat.discord.answerInThread). */
  readonly answerInThread?: boolean;
  readonly logger?: DiscordLogger;
  /** How long an interaction token may be used (Discord: 15 min); after it, /probe posts in the channel. */
  readonly interactionTokenMs?: number;
  /** Minimum ms between two progress edits of a /probe reply. */
  readonly probeProgressIntervalMs?: number;
  /** Gives up logging in after this long (ms). */
  readonly readyTimeoutMs?: number;
  /** Backoff of reply posts and edits after 5xx and network failures (DEFAULT_REST_RETRY otherwise). */
  readonly restRetry?: RestRetryOptions;
  /** Told of the gateway connection's state and every REST attempt (metrics, readiness). */
  readonly observer?: PlatformObserver;
}

export interface DiscordHandle extends AsyncDisposable {
  /** The way back to a conversation after a restart (for the answer journal). */
  readonly replyChannel: ReplyChannelSource;
  /** Stops taking events and disconnects (the core drains its answers before; see app/bot.ts). Safe twice. */
  [Symbol.asyncDispose](): Promise<void>;
}
