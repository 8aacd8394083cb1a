// Socket Mode plumbing: the retry config stays ours, Slack's "disconnect" is followed by a fresh
// apps.connections.open, a bad token fails start-up with Slack's reason, and stop() leaves no socket.

import { afterEach, describe, expect, it, vi } from "vitest";
import { startSlack } from "../../../src/chat/slack/slack-adapter.js";
import { FakeSlack } from "../../fakes/slack/fake-slack.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const noResponder = {
  answer: async () => ({ kind: "cancelled" as const }),
  cancelSource: () => false,
  isProbeAdmin: () => false,
};

describe("Slack Socket Mode connection", () => {
  it("keeps the configured retries for the bot's calls (Socket Mode does not rewrite them)", async () => {
    h = await startHarness({ retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 5 } });
    h.fake.failNext("chat.postMessage", { status: 503 }, 50);
    h.fake.userSays("C100", "U1", "<@UBOT> こんにちは");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("failed");
    // 1 try + 2 retries for the placeholder; the error notice then also fails after 3 tries.
    expect(h.fake.callsTo("chat.postMessage").length).toBeLessThanOrEqual(6);
  });

  it("reconnects through apps.connections.open when Slack sends disconnect, and still answers", async () => {
    h = await startHarness();
    const { fake } = h;
    expect(fake.callsTo("apps.connections.open")).toHaveLength(1);
    fake.sendDisconnect("refresh_requested");
    await vi.waitFor(() => expect(fake.callsTo("apps.connections.open").length === 2 && fake.connectedSockets === 1, "the reconnection").toBeTruthy(), {
      timeout: 15_000,
    });
    const said = fake.userSays("C100", "U1", "<@UBOT> まだいますか？");
    await h.waitForOutcomes(1);
    expect(h.botMessages("C100", said.ts)).toEqual(["はい。"]);
    // The app-level token opens connections; the bot token does everything else.
    expect(fake.callsTo("apps.connections.open").every((c) => c.token === fake.appToken)).toBe(true);
    expect(fake.callsTo("chat.postMessage").every((c) => c.token === fake.botToken)).toBe(true);
  });

  it("fails start-up with Slack's reason when a token is wrong", async () => {
    const fake = await FakeSlack.start();
    try {
      await expect(
        startSlack({
          botToken: "xoxb-wrong",
          appToken: fake.appToken,
          apiUrl: fake.apiUrl,
          responder: noResponder,
          historyMessages: 5,
          editIntervalMs: 1000,
          logger: quiet,
        }),
      ).rejects.toThrow(/invalid_auth/);
      await expect(
        startSlack({
          botToken: fake.botToken,
          appToken: "xapp-wrong",
          apiUrl: fake.apiUrl,
          responder: noResponder,
          historyMessages: 5,
          editIntervalMs: 1000,
          logger: quiet,
        }),
      ).rejects.toThrow(/invalid_auth/);
      await expect(
        startSlack({ botToken: fake.botToken, apiUrl: fake.apiUrl, responder: noResponder, historyMessages: 5, editIntervalMs: 1000, logger: quiet }),
      ).rejects.toThrow(/SLACK_APP_TOKEN|SLACK_SIGNING_SECRET/);
    } finally {
      await fake.stop();
    }
  });

  it("closes its socket on stop()", async () => {
    h = await startHarness();
    expect(h.fake.connectedSockets).toBe(1);
    await h.adapter[Symbol.asyncDispose]();
    await vi.waitFor(() => expect(h!.fake.connectedSockets === 0, "the socket to close").toBeTruthy(), { timeout: 5000 });
  });
});
