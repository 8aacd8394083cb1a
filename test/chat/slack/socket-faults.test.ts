// Socket Mode faults while an answer streams, through the real Bolt App against the fake Slack:
// a `disconnect` envelope (the client reconnects), a dropped connection (an event sent meanwhile is
// redelivered on the new connection with retry_attempt 1), and redeliveries of events already acked. The answer streaming
// across the fault completes exactly once, and the question asked during it is answered once.

import { afterEach, describe, expect, it, vi } from "vitest";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Each answer names its question, in 8 chunks over ~1.6 s. */
async function start(): Promise<Harness> {
  return startHarness({
    parallel: 2,
    editIntervalMs: 100,
    script: (options) => {
      const name = options.conversation.turns.at(-1)!.text;
      return { chunks: Array.from({ length: 8 }, (_, i) => `${name}-${i} `), chunkDelayMs: 200 };
    },
  });
}

const fullAnswer = (name: string) => Array.from({ length: 8 }, (_, i) => `${name}-${i} `).join("");

describe("Slack Socket Mode faults mid-answer", () => {
  it("disconnect (refresh_requested): the streaming answer completes once, and a question sent right after it is answered once", async () => {
    h = await start();
    const { fake } = h;
    const a = fake.userSays("C100", "U1", "<@UBOT> 甲");
    await vi.waitFor(() => expect(h!.botMessages("C100", a.ts)[0]?.includes("甲-0"), "A's answer to start streaming").toBeTruthy(), { timeout: 10_000 });
    fake.sendDisconnect("refresh_requested");
    // Whichever connection takes it (the old one still closing, or the new one): once.
    const b = fake.userSays("C100", "U1", "<@UBOT> 乙");
    await h.waitForOutcomes(2, 30_000);

    expect(h.outcomes.map((o) => o.outcome.kind)).toEqual(["answered", "answered"]);
    await vi.waitFor(() => expect(fake.callsTo("apps.connections.open").length === 2 && fake.connectedSockets === 1, "the reconnection").toBeTruthy(), {
      timeout: 15_000,
    });
    expect(fake.redelivered.every((r) => r.retryAttempt === 1)).toBe(true);
    expect(h.botMessages("C100", a.ts)).toEqual([fullAnswer("甲")]);
    expect(h.botMessages("C100", b.ts)).toEqual([fullAnswer("乙")]);
    expect(h.scripted!.calls.map((c) => c.conversation.turns.at(-1)!.text).sort()).toEqual(["乙", "甲"].sort());
  });

  it("a dropped connection: a question sent before the reconnection is redelivered on the new one (retry_attempt 1) and answered once", async () => {
    h = await start();
    const { fake } = h;
    const a = fake.userSays("C100", "U1", "<@UBOT> 甲");
    await vi.waitFor(() => expect(h!.botMessages("C100", a.ts)[0]?.includes("甲-0"), "A's answer to start streaming").toBeTruthy(), { timeout: 10_000 });
    // The first reconnection attempt fails (a 503 from apps.connections.open), so there is a window
    // without any connection whatever the client's own reconnect delay.
    fake.failNext("apps.connections.open", { status: 503 });
    fake.dropSockets();
    await vi.waitFor(() => expect(fake.connectedSockets === 0, "the connection to be gone").toBeTruthy(), { timeout: 10_000 });
    const b = fake.userSays("C100", "U1", "<@UBOT> 乙"); // no connection: Slack holds it
    await h.waitForOutcomes(2, 30_000);

    expect(h.outcomes.map((o) => o.outcome.kind)).toEqual(["answered", "answered"]);
    expect(
      fake
        .callsTo("apps.connections.open")
        .map((c) => c.status)
        .slice(0, 2),
    ).toEqual([200, 503]);
    // B's events came again on the new connection, as retries.
    expect(fake.redelivered.length).toBeGreaterThanOrEqual(1);
    expect(fake.redelivered.every((r) => r.retryAttempt === 1)).toBe(true);
    expect(h.botMessages("C100", a.ts)).toEqual([fullAnswer("甲")]);
    expect(h.botMessages("C100", b.ts)).toEqual([fullAnswer("乙")]);
    expect(h.scripted!.calls.map((c) => c.conversation.turns.at(-1)!.text).sort()).toEqual(["乙", "甲"].sort());
  });

  it("redeliveries with retry_attempt 1 and 2, of an answer in progress and of a new question, are not answered again", async () => {
    h = await start();
    const { fake } = h;
    const a = fake.userSays("C100", "U1", "<@UBOT> 甲");
    await vi.waitFor(() => expect(h!.botMessages("C100", a.ts)[0]?.includes("甲-0"), "A's answer to start streaming").toBeTruthy(), { timeout: 10_000 });
    // Slack thought the ack of A's mention was late: the same event again, twice, mid-answer.
    const mentionA = { type: "app_mention", user: "U1", text: "<@UBOT> 甲", ts: a.ts, channel: "C100" };
    const retriesA = [1, 2].map((n) => fake.deliverEvent(mentionA, { eventId: a.mention!.eventId!, retryAttempt: n, retryReason: "timeout" }));
    // A new question, delivered three times.
    const b = fake.userSays("C100", "U1", "<@UBOT> 乙");
    const mentionB = { type: "app_mention", user: "U1", text: "<@UBOT> 乙", ts: b.ts, channel: "C100" };
    const retriesB = [1, 2].map((n) => fake.deliverEvent(mentionB, { eventId: b.mention!.eventId!, retryAttempt: n, retryReason: "timeout" }));
    for (const r of [...retriesA, ...retriesB]) await fake.waitForAck(r.envelopeId);
    await h.waitForOutcomes(2, 30_000);

    expect(h.outcomes.map((o) => o.outcome.kind)).toEqual(["answered", "answered"]);
    expect(h.botMessages("C100", a.ts)).toEqual([fullAnswer("甲")]);
    expect(h.botMessages("C100", b.ts)).toEqual([fullAnswer("乙")]);
    expect(h.scripted!.calls).toHaveLength(2);
    expect(fake.callsTo("chat.postMessage")).toHaveLength(2);
  });
});
