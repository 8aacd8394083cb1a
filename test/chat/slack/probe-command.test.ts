// /probe: acked within Slack's 3 s, refused (ephemerally) for anyone not in probeAdmins.

import { afterEach, describe, expect, it } from "vitest";
import { PROBE_TEXTS } from "../../../src/chat/slack/probe-command.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("/probe in Slack", () => {
  it("acks within 3 s and refuses a user who is not a probe admin, ephemerally", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] } });
    const sent = h.fake.deliverCommand({ command: "/probe", text: "", user_id: "U1", channel_id: "C100" });
    const ack = await h.fake.waitForAck(sent.envelopeId, 3000);
    expect(ack.latencyMs).toBeLessThan(3000);
    expect(ack.payload).toEqual({ response_type: "ephemeral", text: PROBE_TEXTS.notAdmin });
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("tells an admin that the probe is not available when there is none", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] } });
    const sent = h.fake.deliverCommand({ command: "/probe", text: "5", user_id: "UADMIN", channel_id: "C100" });
    const ack = await h.fake.waitForAck(sent.envelopeId, 3000);
    expect(ack.payload).toMatchObject({ response_type: "ephemeral", text: PROBE_TEXTS.unavailable });
  });
});
