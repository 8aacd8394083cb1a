// Stop, Regenerate and 👍/👎 under Slack answers: Block Kit buttons rendered by the real reply
// channel, clicks delivered by the fake Slack as block_actions over Socket Mode to the real Bolt
// App, decided by the real Responder in front of the real queue (ScriptedEngine).

import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli.js";
import { actionNotices } from "../../../src/core/answer-actions.js";
import { messages } from "../../../src/core/messages.js";
import { FeedbackStore } from "../../../src/feedback/store.js";
import { loadSuite } from "../../../src/probe/suite-loader.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";
import type { StoredMessage } from "../../fakes/slack/fake-slack.js";

let h: Harness | undefined;
let store: FeedbackStore | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  await store?.[Symbol.asyncDispose]();
  store = undefined;
});

/** action_id → value of the buttons a stored message carries. */
function buttons(message: StoredMessage | undefined): Record<string, string> {
  const blocks = (message?.blocks ?? []) as { type: string; elements?: { action_id: string; value: string }[] }[];
  return Object.fromEntries(blocks.filter((b) => b.type === "actions").flatMap((b) => (b.elements ?? []).map((e) => [e.action_id, e.value])));
}

function botMessage(h: Harness, channel: string, threadTs: string, index = 0): StoredMessage | undefined {
  return h.fake.store.thread(channel, threadTs).filter((m) => m.user === h.fake.botUserId)[index];
}

/** The section text of a message with blocks (what Slack shows). */
function shown(message: StoredMessage | undefined): string {
  const blocks = (message?.blocks ?? []) as { type: string; text?: { text: string } }[];
  return blocks
    .filter((b) => b.type === "section")
    .map((b) => b.text!.text)
    .join("");
}

describe("Slack answer buttons", () => {
  it("Stop during streaming ends the generation at once and keeps the partial text, marked as stopped", async () => {
    // Two chunks, then the engine would go on until aborted.
    h = await startHarness({ script: () => ({ chunks: ["途中まで", "の回答", "（続き）"], hangAfterChunks: 2 }) });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 長い話をして");
    await vi.waitFor(() => {
      expect(botMessage(h!, "C100", said.ts)?.text).toBe("途中までの回答");
      expect(buttons(botMessage(h!, "C100", said.ts))).toHaveProperty("elyza_answer_stop");
    });
    expect(h.queue.stats().running).toBe(1);
    const message = botMessage(h, "C100", said.ts)!;
    const click = h.fake.clickButton({
      user: "U1",
      channel: "C100",
      messageTs: message.ts,
      actionId: "elyza_answer_stop",
      value: buttons(message)["elyza_answer_stop"]!,
    });
    await h.fake.waitForAck(click.envelopeId);
    await h.waitForOutcomes(1);

    expect(h.outcomes[0]!.outcome.kind).toBe("cancelled");
    // The queue freed the sequence: nothing runs, nothing waits.
    expect(h.queue.stats()).toEqual({ waiting: 0, running: 0 });
    const after = botMessage(h, "C100", said.ts)!;
    expect(after.text).toBe(`途中までの回答\n\n${messages.cutByStop}`);
    // The stopped answer can be regenerated and rated; Stop is gone.
    await vi.waitFor(() =>
      expect(Object.keys(buttons(botMessage(h!, "C100", said.ts)))).toEqual(["elyza_answer_regenerate", "elyza_answer_up", "elyza_answer_down"]),
    );
    expect(shown(botMessage(h, "C100", said.ts))).toContain("途中までの回答");
    expect(h.scripted!.calls).toHaveLength(1);
  });

  it("refuses a Stop by someone other than the asker with an ephemeral message, and the answer goes on", async () => {
    h = await startHarness({ script: () => ({ chunks: ["前半", "後半"], hangAfterChunks: 1 }) });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 質問です");
    await vi.waitFor(() => expect(buttons(botMessage(h!, "C100", said.ts))).toHaveProperty("elyza_answer_stop"));
    const message = botMessage(h, "C100", said.ts)!;
    const answerId = buttons(message)["elyza_answer_stop"]!;
    const click = h.fake.clickButton({ user: "U2", channel: "C100", messageTs: message.ts, actionId: "elyza_answer_stop", value: answerId });
    await h.fake.waitForAck(click.envelopeId);
    await vi.waitFor(() => expect(h!.fake.responses).toHaveLength(1));
    expect(h.fake.responses[0]!.body).toMatchObject({ response_type: "ephemeral", replace_original: false, text: actionNotices.notYours });
    expect(h.outcomes).toHaveLength(0);
    expect(h.queue.stats().running).toBe(1);
    // The asker may.
    h.fake.clickButton({ user: "U1", channel: "C100", messageTs: message.ts, actionId: "elyza_answer_stop", value: answerId });
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("cancelled");
  });

  it("lets an admin from access.probeAdmins stop someone else's answer", async () => {
    h = await startHarness({ script: () => ({ chunks: ["前半", "後半"], hangAfterChunks: 1 }), access: { probeAdmins: ["UADMIN"] } });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 質問です");
    await vi.waitFor(() => expect(buttons(botMessage(h!, "C100", said.ts))).toHaveProperty("elyza_answer_stop"));
    const message = botMessage(h, "C100", said.ts)!;
    h.fake.clickButton({
      user: "UADMIN",
      channel: "C100",
      messageTs: message.ts,
      actionId: "elyza_answer_stop",
      value: buttons(message)["elyza_answer_stop"]!,
    });
    await h.waitForOutcomes(1);
    expect(h.outcomes[0]!.outcome.kind).toBe("cancelled");
    expect(h.fake.responses).toHaveLength(0);
  });

  it("Regenerate posts a second answer below the first, generated with another seed", async () => {
    h = await startHarness({ script: (_, i) => ({ chunks: [i === 0 ? "最初の回答" : "二つ目の回答"], chunkDelayMs: 1 }) });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 富士山の高さは？");
    await h.waitForOutcomes(1);
    await vi.waitFor(() => expect(buttons(botMessage(h!, "C100", said.ts))).toHaveProperty("elyza_answer_regenerate"));
    const first = botMessage(h, "C100", said.ts)!;
    const click = h.fake.clickButton({
      user: "U1",
      channel: "C100",
      messageTs: first.ts,
      actionId: "elyza_answer_regenerate",
      value: buttons(first)["elyza_answer_regenerate"]!,
    });
    await h.fake.waitForAck(click.envelopeId);
    await vi.waitFor(() => expect(h!.scripted!.calls).toHaveLength(2));
    await vi.waitFor(() => expect(buttons(botMessage(h!, "C100", said.ts, 1))).toHaveProperty("elyza_answer_regenerate"));

    expect(h.botMessages("C100", said.ts)).toEqual(["最初の回答", "二つ目の回答"]);
    const [a, b] = h.scripted!.calls;
    expect(a!.sampling.seed).toEqual(expect.any(Number));
    expect(b!.sampling.seed).toEqual(expect.any(Number));
    expect(b!.sampling.seed).not.toBe(a!.sampling.seed);
    // The same conversation was answered again.
    expect(b!.conversation).toEqual(a!.conversation);
    // Each answer has buttons of its own.
    expect(buttons(botMessage(h, "C100", said.ts, 1))["elyza_answer_up"]).not.toBe(buttons(first)["elyza_answer_up"]);
  });

  it("refuses a Regenerate by someone other than the asker", async () => {
    h = await startHarness();
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 質問です");
    await h.waitForOutcomes(1);
    await vi.waitFor(() => expect(buttons(botMessage(h!, "C100", said.ts))).toHaveProperty("elyza_answer_regenerate"));
    const first = botMessage(h, "C100", said.ts)!;
    h.fake.clickButton({
      user: "U2",
      channel: "C100",
      messageTs: first.ts,
      actionId: "elyza_answer_regenerate",
      value: buttons(first)["elyza_answer_regenerate"]!,
    });
    await vi.waitFor(() => expect(h!.fake.responses).toHaveLength(1));
    expect(h.fake.responses[0]!.body["text"]).toBe(actionNotices.notYours);
    expect(h.scripted!.calls).toHaveLength(1);
  });

  it("tells the clicker when the answer is not known (before a restart)", async () => {
    h = await startHarness();
    const said = h.fake.userSays("C100", "U1", "<@UBOT> 質問です");
    await h.waitForOutcomes(1);
    h.fake.clickButton({ user: "U1", channel: "C100", messageTs: said.ts, actionId: "elyza_answer_up", value: "no-such-answer" });
    await vi.waitFor(() => expect(h!.fake.responses).toHaveLength(1));
    expect(h.fake.responses[0]!.body["text"]).toBe(actionNotices.unknown);
  });

  it("writes 👍/👎 to the feedback store with question, answer, model and seed; `feedback export` turns the 👎 into a suite the loader accepts", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slack-feedback-"));
    const data = path.join(dir, "data");
    store = new FeedbackStore(data);
    const sampling = { temperature: 0.6, topP: 0.9, maxTokens: 1200 };
    h = await startHarness({
      script: () => ({ chunks: ["変えても変えなくても", "確率は1/2です。"], chunkDelayMs: 1 }),
      feedback: { store, modelName: "test.gguf", modelFingerprint: async () => "sha256:abc", sampling },
    });
    const said = h.fake.userSays("C100", "U1", "<@UBOT> モンティ・ホール問題で、選択を変えるべきですか？");
    await h.waitForOutcomes(1);
    await vi.waitFor(() => expect(buttons(botMessage(h!, "C100", said.ts))).toHaveProperty("elyza_answer_down"));
    const answer = botMessage(h, "C100", said.ts)!;
    const answerId = buttons(answer)["elyza_answer_down"]!;
    h.fake.clickButton({ user: "U2", channel: "C100", messageTs: answer.ts, actionId: "elyza_answer_down", value: answerId });
    h.fake.clickButton({ user: "U3", channel: "C100", messageTs: answer.ts, actionId: "elyza_answer_up", value: answerId });
    await vi.waitFor(() => expect(h!.fake.responses).toHaveLength(2));
    expect(h.fake.responses.map((r) => r.body["text"]).sort()).toEqual([actionNotices.thanksDown, actionNotices.thanksUp].sort());

    const rows = store.list();
    expect(rows).toHaveLength(2);
    const down = rows.find((r) => r.rating === "down")!;
    expect(down).toMatchObject({
      platform: "slack",
      channel: "C100",
      questionKey: expect.stringContaining(said.ts),
      asker: "U1",
      rater: "U2",
      question: "モンティ・ホール問題で、選択を変えるべきですか？",
      answer: "変えても変えなくても確率は1/2です。",
      modelName: "test.gguf",
      modelFingerprint: "sha256:abc",
      seed: h.scripted!.calls[0]!.sampling.seed,
      sampling,
    });
    await store[Symbol.asyncDispose]();
    store = undefined;

    const config = path.join(dir, "config.yaml");
    writeFileSync(config, `probe:\n  dataDirectory: ${JSON.stringify(data)}\n`);
    const out = path.join(dir, "from-slack.yaml");
    const err: string[] = [];
    const code = await main(["feedback", "export", "--out", out, "--config", config], {
      out: () => {},
      err: (line) => err.push(line),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      stdin: new PassThrough(),
      env: {},
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const suite = loadSuite(out, dir);
    expect(suite.tests.map((t) => t.prompt)).toEqual(["モンティ・ホール問題で、選択を変えるべきですか？"]);
  });
});
