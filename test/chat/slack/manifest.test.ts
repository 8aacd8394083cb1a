// The app manifest creates an app that can do what the adapter does, and no more.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Manifest {
  features: { slash_commands: { command: string }[]; app_home: { messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
}

const manifest = parse(readFileSync(new URL("../../../config/slack-manifest.yaml", import.meta.url), "utf8")) as Manifest;

describe("config/slack-manifest.yaml", () => {
  it("asks for exactly the scopes the adapter uses", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      ["app_mentions:read", "channels:history", "chat:write", "commands", "files:write", "groups:history", "im:history", "mpim:history"].sort(),
    );
  });

  it("subscribes to mentions, DMs and the message events that carry deletions", () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(
      ["app_mention", "message.channels", "message.groups", "message.im", "message.mpim"].sort(),
    );
  });

  it("registers /probe, lets people DM the bot, uses Socket Mode without interactivity", () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(["/probe"]);
    expect(manifest.features.app_home).toMatchObject({ messages_tab_enabled: true, messages_tab_read_only_enabled: false });
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(false);
  });
});
