// Slack over HTTP (Events API): Bolt's own receiver verifies X-Slack-Signature; the Web API calls
// still go to the fake Slack.

import { afterEach, describe, expect, it, vi } from "vitest";
import { eventCallback, postSigned } from "../../fakes/slack/http-events.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

const SECRET = "test-signing-secret";
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function mention(h: Harness, text: string) {
  const ts = h.fake.nextTs();
  h.fake.store.add({ channel: "C300", user: "U1", text, ts });
  return { ts, event: { type: "app_mention", user: "U1", text, ts, channel: "C300" } };
}

describe("Slack adapter (HTTP Events API)", () => {
  it("answers a correctly signed event, acking with 200 at once", async () => {
    h = await startHarness({ signingSecret: SECRET, script: () => ({ chunks: ["HTTPでも", "答えます。"], chunkDelayMs: 200 }) });
    const { ts, event } = mention(h, "<@UBOT> こんにちは");
    const res = await postSigned(h.eventsUrl!, eventCallback(event, { eventId: "EvHTTP1" }), { signingSecret: SECRET });
    expect(res.status).toBe(200);
    // Acked within Slack's 3 s, before the answer (which takes > 200 ms) is done.
    expect(res.ms).toBeLessThan(3000);
    expect(h.outcomes).toHaveLength(0);
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    expect(h.botMessages("C300", ts)).toEqual(["HTTPでも答えます。"]);
  });

  it("rejects a bad signature with 401 and answers nothing", async () => {
    h = await startHarness({ signingSecret: SECRET });
    const { event } = mention(h, "<@UBOT> 偽物");
    const forged = await postSigned(h.eventsUrl!, eventCallback(event, { eventId: "EvBAD" }), { signingSecret: SECRET, badSignature: true });
    expect(forged.status).toBe(401);
    const stale = await postSigned(h.eventsUrl!, eventCallback(event, { eventId: "EvOLD" }), {
      signingSecret: SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    expect(stale.status).toBe(401);
    // The 401 is the signal: Bolt verifies the signature before any listener runs.
    expect(h.logs.filter((l) => l.includes("EvBAD") || l.includes("EvOLD"))).toEqual([]);
    expect(h.scripted!.calls).toHaveLength(0);
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("answers a retried delivery (X-Slack-Retry-Num, same event_id) once", async () => {
    h = await startHarness({ signingSecret: SECRET });
    const { ts, event } = mention(h, "<@UBOT> 一回だけ");
    const body = eventCallback(event, { eventId: "EvRETRY" });
    expect((await postSigned(h.eventsUrl!, body, { signingSecret: SECRET })).status).toBe(200);
    expect((await postSigned(h.eventsUrl!, body, { signingSecret: SECRET, retryNum: 1 })).status).toBe(200);
    await h.waitForOutcomes(1);
    // The adapter saw the retry and dropped it (the positive signal), so no second answer can follow.
    await vi.waitFor(() => expect(h!.logs).toContain("debug duplicate event EvRETRY dropped"));
    expect(h.outcomes).toHaveLength(1);
    expect(h.botMessages("C300", ts)).toEqual(["はい。"]);
  });

  it("answers Slack's url_verification challenge", async () => {
    h = await startHarness({ signingSecret: SECRET });
    const res = await postSigned(h.eventsUrl!, { type: "url_verification", token: "t", challenge: "abc123" }, { signingSecret: SECRET });
    expect(res.status).toBe(200);
    expect(res.text).toContain("abc123");
  });
});
