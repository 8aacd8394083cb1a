// The app manifest creates an app that can do what the adapter does, and no more.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Manifest {
  features: {
    assistant_view?: { assistant_description: string; suggested_prompts: unknown[] };
    slash_commands: { command: string }[];
    app_home: { messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
}

const manifest = parse(readFileSync(new URL("../../../config/slack-manifest.yaml", import.meta.url), "utf8")) as Manifest;

describe("config/slack-manifest.yaml", () => {
  it("asks for exactly the scopes the adapter uses", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      [
        "app_mentions:read",
        "assistant:write",
        "channels:history",
        "chat:write",
        "commands",
        "files:read",
        "files:write",
        "groups:history",
        "im:history",
        "mpim:history",
      ].sort(),
    );
  });

  it("subscribes to mentions, DMs and the message events that carry deletions", () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(
      [
        "app_mention",
        "assistant_thread_context_changed",
        "assistant_thread_started",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
      ].sort(),
    );
  });

  it("registers /probe, lets people DM the bot, uses Socket Mode with interactivity (the answer buttons)", () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(["/probe"]);
    expect(manifest.features.app_home).toMatchObject({ messages_tab_enabled: true, messages_tab_read_only_enabled: false });
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });

  it("turns on the split-view pane (assistant_view), which assistant:write requires", () => {
    expect(manifest.features.assistant_view?.assistant_description).toMatch(/日本語/);
    expect(manifest.features.assistant_view?.suggested_prompts).toEqual([]);
  });
});
