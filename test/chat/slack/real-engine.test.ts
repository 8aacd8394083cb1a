// End to end with the real node-llama-cpp engine on a generated tiny model: Slack mention → Bolt →
// Responder → queue → engine → streamed reply in the thread. The weights are random, so only the
// mechanics are asserted — and that acks stay fast while the engine is generating.

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { messages } from "../../../src/core/messages.js";
import { SLACK_REPLY_LIMITS } from "../../../src/chat/slack/reply-channel.js";
import { LlamaEngine } from "../../../src/inference/engine.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";
import { tinyModelPath } from "../../helpers/test-model.js";

describe("Slack adapter with the real engine", () => {
  let engine: LlamaEngine;
  let h: Harness;

  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 2, contextSize: 512, batchSize: 256 });
    h = await startHarness({ engine, maxTokens: 200 });
  });
  afterAll(async () => {
    await h?.stop();
    await engine?.[Symbol.asyncDispose]();
  });

  it("answers two mentions in their threads while acking every event at once", async () => {
    const a = h.fake.userSays("C100", "U1", "<@UBOT> 日本の首都はどこですか？");
    const b = h.fake.userSays("C100", "U2", "<@UBOT> 富士山の高さは？");
    await vi.waitFor(() => expect(h.fake.callsTo("chat.postMessage").length >= 1).toBeTruthy(), { timeout: 10_000 });
    // While generating: a third event is still acked at once.
    const c = h.fake.deliverEvent({ type: "message", channel_type: "channel", user: "U3", text: "雑談", ts: h.fake.nextTs(), channel: "C100" });
    expect((await h.fake.waitForAck(c.envelopeId, 3000)).latencyMs).toBeLessThan(1000);
    await h.waitForOutcomes(2, 60_000);

    for (const said of [a, b]) {
      const outcome = h.outcomes.find((o) => o.sourceKey.endsWith(said.ts))!.outcome;
      const shown = h.botMessages("C100", said.ts);
      expect(shown.length).toBeGreaterThanOrEqual(1);
      for (const part of shown) expect(part.length).toBeLessThanOrEqual(SLACK_REPLY_LIMITS.maxChars);
      // A random-weight model may stop at once; then the thread says so instead of staying silent.
      if (outcome.kind === "answered") expect(outcome.text.length).toBeGreaterThan(0);
      else expect(shown).toEqual([messages.emptyAnswer]);
    }
    expect(h.fake.callsTo("chat.postMessage").every((p) => p.args["thread_ts"] === a.ts || p.args["thread_ts"] === b.ts)).toBe(true);
  });
});
