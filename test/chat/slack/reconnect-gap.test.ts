// How long Socket Mode is without a connection after Slack's `disconnect` (a refresh, which Slack
// does every few hours) and after a dropped socket: measured through the fake's own events (the
// moment it closed the old connection → the hello of the new one). The measured gap is printed for
// the record; the test asserts the reconnection happens and that a mention sent right after it is
// answered once — no timing thresholds here.

import { afterEach, describe, expect, it, vi } from "vitest";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function gapAfter(h: Harness, fault: () => void, what: string): Promise<number> {
  const { fake } = h;
  const hellos = fake.helloAt.length;
  const closes = fake.closedAt.length;
  fault();
  await vi.waitFor(() => expect(fake.helloAt.length > hellos && fake.connectedSockets === 1, `the reconnection after ${what}`).toBeTruthy(), {
    timeout: 30_000,
  });
  const gap = fake.helloAt[hellos]! - fake.closedAt[closes]!;
  console.log(`Socket Mode reconnect gap after ${what}: ${gap} ms`);
  return gap;
}

describe("Socket Mode reconnection", () => {
  for (const [what, fault] of [
    ["a disconnect (refresh_requested)", (h: Harness) => h.fake.sendDisconnect("refresh_requested")],
    ["a dropped socket", (h: Harness) => h.fake.dropConnections()],
  ] as const) {
    it(`reconnects after ${what} and answers the next mention once`, async () => {
      h = await startHarness();
      const opens = h.fake.callsTo("apps.connections.open").length;
      const gap = await gapAfter(h, () => fault(h!), what);
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(h.fake.callsTo("apps.connections.open")).toHaveLength(opens + 1);
      const said = h.fake.userSays("C100", "U1", "<@UBOT> 戻りましたか？");
      await h.waitForOutcomes(1);
      expect(h.botMessages("C100", said.ts)).toEqual(["はい。"]);
      // And once more: the second refresh is no different from the first.
      await gapAfter(h, () => fault(h!), `${what}, again`);
      expect(h.fake.connectedSockets).toBe(1);
    });
  }
});
