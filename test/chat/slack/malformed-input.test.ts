// Input that is not what the bot expects, fed through the real Bolt receivers: Socket Mode
// envelopes from the fake Slack's WebSocket, and signed Events API bodies over HTTP. Each one is
// acked (Socket Mode: when it has an envelope id; HTTP: 200 at once, so Slack does not redeliver),
// logged once at warn with its type, and ignored — and the bot still answers the next mention.
// Before, an events_api envelope without a payload or an event (the shape of app_rate_limited)
// threw inside @slack/socket-mode's listener and ended the process.

import { afterEach, describe, expect, it } from "vitest";
import { postSigned } from "../../fakes/slack/http-events.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const warnings = (h: Harness) => h.logs.filter((l) => l.startsWith("warn "));

async function expectStillAnswers(h: Harness, channel: string): Promise<void> {
  const said = h.fake.userSays(channel, "U1", "<@UBOT> まだ動いていますか？");
  await h.waitForOutcomes(1);
  expect(h.outcomes[0]!.outcome.kind).toBe("answered");
  expect(h.botMessages(channel, said.ts)).toEqual(["はい。"]);
}

const rateLimited = { token: "t", type: "app_rate_limited", team_id: "T0001", minute_rate_limited: 1518467820, api_app_id: "A0001" };
const callback = (event: unknown) => ({
  token: "t",
  team_id: "T0001",
  api_app_id: "A0001",
  type: "event_callback",
  event_id: "EvX",
  event_time: 1,
  ...(event === undefined ? {} : { event }),
});

// [what it is, the message, the type named in the log, whether it carries an envelope id]
const envelopes: [string, Record<string, unknown> | string, string, boolean][] = [
  ["events_api without a payload", { envelope_id: "m1", type: "events_api", accepts_response_payload: false, retry_attempt: 0 }, "events_api", true],
  [
    "events_api carrying app_rate_limited (no event)",
    { envelope_id: "m2", type: "events_api", payload: rateLimited, accepts_response_payload: false },
    "app_rate_limited",
    true,
  ],
  ["events_api whose event_callback has no event", { envelope_id: "m3", type: "events_api", payload: callback(undefined) }, "event_callback", true],
  ["an event without a type", { envelope_id: "m4", type: "events_api", payload: callback({ channel: "C1", user: "U1" }) }, "event_callback", true],
  ["an event that is a string", { envelope_id: "m5", type: "events_api", payload: callback("hello") }, "event_callback", true],
  ["a payload that is a string", { envelope_id: "m6", type: "events_api", payload: "oops" }, "events_api", true],
  ["slash_commands without a payload", { envelope_id: "m7", type: "slash_commands", accepts_response_payload: true }, "slash_commands", true],
  ["slash_commands with an empty payload", { envelope_id: "m8", type: "slash_commands", payload: {}, accepts_response_payload: true }, "(no type)", true],
  ["an envelope type the bot does not know", { envelope_id: "m9", type: "brand_new_thing", payload: {} }, "brand_new_thing", true],
  ["an envelope without a type", { envelope_id: "m10", payload: {} }, "(no type)", true],
  ["events_api without an envelope id", { type: "events_api", payload: callback(undefined) }, "events_api", false],
  ["a message that is not JSON", "this is not JSON {", "(not JSON)", false],
  ["a JSON array", "[1, 2, 3]", "(array)", false],
];

describe("malformed Socket Mode envelopes", () => {
  for (const [what, message, type, acked] of envelopes) {
    it(`${what}: ${acked ? "acked, " : ""}logged once at warn, ignored; the next mention is answered`, async () => {
      h = await startHarness();
      const before = h.fake.acks.length;
      h.fake.deliverRaw(message);
      if (acked) await h.fake.waitForAck((message as { envelope_id: string }).envelope_id);
      await expect.poll(() => warnings(h!).length).toBe(1);
      expect(warnings(h)[0]).toContain(`type ${type}`);
      if (type === "app_rate_limited") expect(warnings(h)[0]).toMatch(/rate-limiting the app's event deliveries \(minute 1518467820\)/);
      await expectStillAnswers(h, "C100");
      expect(h.scripted!.calls).toHaveLength(1);
      // Nothing else was acked for it (the mention comes as two events: message and app_mention),
      // and it was warned about once only.
      expect(h.fake.acks.length - before).toBe((acked ? 1 : 0) + 2);
      expect(warnings(h)).toHaveLength(1);
    });
  }
});

const SECRET = "test-signing-secret";
const bodies: [string, unknown, string][] = [
  ["event_callback without an event", callback(undefined), "event_callback"],
  ["app_rate_limited", rateLimited, "app_rate_limited"],
  ["an event without a type", callback({ channel: "C1" }), "event_callback"],
  ["an event that is a number", callback(42), "event_callback"],
  ["a body with no type at all", { token: "t", team_id: "T0001" }, "(no type)"],
  ["a JSON array", [1, 2], "(not an object)"],
];

describe("malformed Events API bodies (signed HTTP)", () => {
  for (const [what, body, type] of bodies) {
    it(`${what}: 200 at once, logged once at warn, ignored; the next mention is answered`, async () => {
      h = await startHarness({ signingSecret: SECRET });
      const res = await postSigned(h.eventsUrl!, body as Record<string, unknown>, { signingSecret: SECRET });
      expect(res.status).toBe(200);
      await expect.poll(() => warnings(h!).length).toBe(1);
      expect(warnings(h)[0]).toContain(`type ${type}`);
      const ts = h.fake.nextTs();
      h.fake.store.add({ channel: "C300", user: "U1", text: "<@UBOT> まだ？", ts });
      const ok = await postSigned(h.eventsUrl!, callback({ type: "app_mention", user: "U1", text: "<@UBOT> まだ？", ts, channel: "C300" }), {
        signingSecret: SECRET,
      });
      expect(ok.status).toBe(200);
      await h.waitForOutcomes(1);
      expect(h.botMessages("C300", ts)).toEqual(["はい。"]);
      expect(warnings(h)).toHaveLength(1);
    });
  }

  it("a signed body that is not JSON is refused with a 4xx, and the bot keeps answering", async () => {
    h = await startHarness({ signingSecret: SECRET });
    const { slackSignature } = await import("../../fakes/slack/http-events.js");
    const raw = "{not json";
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(h.eventsUrl!, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": slackSignature(SECRET, timestamp, raw),
      },
      body: raw,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const ts = h.fake.nextTs();
    h.fake.store.add({ channel: "C300", user: "U1", text: "<@UBOT> まだ？", ts });
    await postSigned(h.eventsUrl!, callback({ type: "app_mention", user: "U1", text: "<@UBOT> まだ？", ts, channel: "C300" }), { signingSecret: SECRET });
    await h.waitForOutcomes(1);
    expect(h.botMessages("C300", ts)).toEqual(["はい。"]);
  });
});
