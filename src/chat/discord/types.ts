// What the Discord adapter needs from the rest of the bot, as narrow interfaces: the chat core's
// Responder and the probe service satisfy them structurally, and tests can stand in for them.

import type { AnswerOutcome, Asker, IncomingQuestion, ReplyChannel, ReplyChannelSource } from "../../core/types.js";
import type { RestRetryOptions } from "./rest-retry.js";
import type { ProbeService } from "../../probe/types.js";
import type { PlatformObserver } from "../../metrics/platform-observer.js";

export interface DiscordResponder {
  /** Never rejects: posts a placeholder, streams edits, splits, reports errors in the channel. */
  answer(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome>;
  /** Cancels the answer to the message identified by `sourceKey`; false when none runs. */
  cancelSource(sourceKey: string): boolean;
  isProbeAdmin(asker: Asker): boolean;
  /** Checked before reading a reply chain, so refused questions cost no REST calls. */
  checkAccess(asker: Asker, channelId: string): { ok: true } | { ok: false; reason: string };
}

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
  readonly responder: DiscordResponder;
  /** Absent: /probe answers that probes are not available here. */
  readonly probe?: ProbeService;
  /** Earlier messages of a reply chain read as conversation history. */
  readonly historyMessages: number;
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

export interface DiscordHandle {
  /** The way back to a conversation after a restart (for the answer journal). */
  readonly replyChannel: ReplyChannelSource;
  /** Cancels answers in progress, waits for them to settle, and disconnects. */
  stop(): Promise<void>;
}
