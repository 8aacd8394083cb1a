// Exactly once across lost responses on Slack: the fake stores the bot's chat.postMessage and then
// answers 500. Slack has no idempotency key, so the reply channel looks for its own marked message
// (metadata) in the thread before it retries, and adopts it.

import { afterEach, describe, expect, it } from "vitest";
import { REPLY_EVENT_TYPE } from "../../../src/chat/slack/find-reply.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("Slack: exactly once", () => {
  it("a chat.postMessage whose response is lost is found in the thread by its marker and adopted, not posted again", async () => {
    h = await startHarness({ script: () => ({ chunks: ["一度だけ", "届きます。"], chunkDelayMs: 40 }) });
    const { fake } = h;
    fake.failNext("chat.postMessage", { status: 500, applied: true });
    const said = fake.userSays("C100", "U1", "<@UBOT> テスト");
    await h.waitForOutcomes(1);

    expect(h.outcomes[0]!.outcome).toMatchObject({ kind: "answered", text: "一度だけ届きます。" });
    // One try, which Slack stored; no second post.
    const posts = fake.callsTo("chat.postMessage");
    expect(posts.map((p) => p.status)).toEqual([500]);
    expect(posts[0]!.args["metadata"]).toEqual({ event_type: REPLY_EVENT_TYPE, event_payload: { question: said.ts, part: 0 } });
    const lookups = fake.callsTo("conversations.replies").filter((c) => String(c.args["include_all_metadata"]) === "true");
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(lookups[0]!.args).toMatchObject({ channel: "C100", ts: said.ts });
    // The adopted message became the answer.
    expect(h.botMessages("C100", said.ts)).toEqual(["一度だけ届きます。"]);
  });

  it("a failed post that Slack did not store is posted again after the lookup finds nothing", async () => {
    h = await startHarness({ script: () => ({ chunks: ["二度目で", "届きます。"], chunkDelayMs: 40 }) });
    const { fake } = h;
    fake.failNext("chat.postMessage", { status: 503 }, 2);
    const said = fake.userSays("C100", "U1", "<@UBOT> テスト");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    expect(fake.callsTo("chat.postMessage").map((p) => p.status)).toEqual([503, 503, 200]);
    expect(h.botMessages("C100", said.ts)).toEqual(["二度目で届きます。"]);
  });

  it("in a DM without a thread the lookup reads the conversation's top level", async () => {
    h = await startHarness({ script: () => ({ chunks: ["DMでも", "一度だけ。"], chunkDelayMs: 40 }) });
    const { fake } = h;
    fake.failNext("chat.postMessage", { status: 500, applied: true });
    fake.userSays("D100", "U1", "こんにちは");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("answered");
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
    expect(fake.callsTo("conversations.history").some((c) => String(c.args["include_all_metadata"]) === "true")).toBe(true);
    expect(h.botMessages("D100")).toEqual(["DMでも一度だけ。"]);
  });

  it("refusals by Slack (ok:false) are not retried", async () => {
    h = await startHarness({ script: () => ({ chunks: ["届かない"] }) });
    const { fake } = h;
    fake.failNext("chat.postMessage", { error: "channel_not_found" });
    fake.userSays("C100", "U1", "<@UBOT> テスト");
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome).toMatchObject({ kind: "failed" });
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
  });
});
