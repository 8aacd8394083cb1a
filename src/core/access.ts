// Who may use the bot where: the `access` section of config/default.yaml. Empty lists mean
// "everyone"; ids may be written bare (Slack U…/C…, Discord snowflakes, which never collide) or
// namespaced as "platform:id" when one config serves several workspaces.

import type { Asker } from "./types.js";
import { messages } from "./messages.js";

export interface AccessConfig {
  readonly allowedChannels: readonly string[];
  readonly allowedUsers: readonly string[];
  readonly allowedRoles: readonly string[];
  /** Who may run /probe; empty = nobody on chat platforms (the console and the CLI need no check). */
  readonly probeAdmins: readonly string[];
  /** Questions per user per minute; 0 = unlimited. */
  readonly ratePerMinute: number;
}

export type AccessResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

function listed(list: readonly string[], platform: string, id: string): boolean {
  return list.includes(id) || list.includes(`${platform}:${id}`);
}

/** `reason` is Japanese and safe to show to the asker. */
export function checkAccess(config: AccessConfig, asker: Asker, channelId: string): AccessResult {
  // A DM has its own channel id: with a channel allow-list, DMs are refused unless listed, so the
  // list cannot be side-stepped by messaging the bot directly.
  if (config.allowedChannels.length > 0 && !listed(config.allowedChannels, asker.platform, channelId)) {
    return { ok: false, reason: messages.channelNotAllowed };
  }
  const restrictsUsers = config.allowedUsers.length > 0 || config.allowedRoles.length > 0;
  if (
    restrictsUsers &&
    !listed(config.allowedUsers, asker.platform, asker.userId) &&
    !asker.roleIds.some((role) => listed(config.allowedRoles, asker.platform, role))
  ) {
    return { ok: false, reason: messages.userNotAllowed };
  }
  return { ok: true };
}

/** probeAdmins may name users or (Discord) roles. */
export function isProbeAdmin(config: AccessConfig, asker: Asker): boolean {
  return listed(config.probeAdmins, asker.platform, asker.userId) || asker.roleIds.some((role) => listed(config.probeAdmins, asker.platform, role));
}
