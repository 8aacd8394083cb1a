// /probe: acked within Slack's 3 s, refused (ephemerally) for anyone not in probeAdmins; a run by
// an admin goes through the real ProbeRunner and the shared queue, shows its progress in one
// message updated at most once a second, ends with the report and the transcript file.

import { afterEach, describe, expect, it, vi } from "vitest";
import { PROBE_TEXTS } from "../../../src/chat/slack/probe-command.js";
import type { InferenceQueue } from "../../../src/inference/queue.js";
import { ProbeRunner } from "../../../src/probe/runner.js";
import type { ProbeSuite } from "../../../src/probe/types.js";
import { startHarness, type Harness } from "../../fakes/slack/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const SUITE: ProbeSuite = {
  name: "mini",
  systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。",
  runs: 3,
  sampling: { temperature: 0.6, topP: 0.9, maxTokens: 100 },
  grading: "rule",
  tests: [
    {
      id: "theory-of-mind",
      title: "心のモデル",
      prompt: "サリーはどこを探しますか？",
      reference: "かご",
      grader: { kind: "rule", rule: "theory-of-mind" },
      baseline: { passed: 10, total: 10 },
    },
    {
      id: "monty-hall",
      title: "モンティ・ホール問題",
      prompt: "選び直すべきですか？",
      reference: "選び直すと2/3",
      grader: { kind: "rule", rule: "monty-hall" },
      baseline: { passed: 0, total: 10 },
    },
  ],
};

function runner(queue: InferenceQueue): ProbeRunner {
  return new ProbeRunner({
    queue,
    loadSuite: (name) => {
      if (name !== "mini") throw new Error(`unknown suite "${name}"`);
      return SUITE;
    },
    grade: async (_test, answer) => ({ pass: answer.includes("かご"), reason: answer.includes("かご") ? "かごと答えた" : "かごではない" }),
    modelName: "scripted",
    defaultSuite: "mini",
    warn: () => {},
  });
}

/** Answers the first test right, the second wrong; `delay` per chunk. */
function probeScript(delay: number) {
  return (options: { conversation: { turns: readonly { text: string }[] } }) => {
    const q = options.conversation.turns.at(-1)?.text ?? "";
    return { chunks: q.includes("サリー") ? ["かごを", "探します。"] : ["そのままで", "同じです。"], chunkDelayMs: delay };
  };
}

describe("/probe in Slack", () => {
  it("acks within 3 s and refuses a user who is not a probe admin, ephemerally", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] }, probe: runner });
    const sent = h.fake.deliverCommand({ command: "/probe", text: "", user_id: "U1", channel_id: "C100" });
    const ack = await h.fake.waitForAck(sent.envelopeId, 3000);
    expect(ack.latencyMs).toBeLessThan(3000);
    expect(ack.payload).toEqual({ response_type: "ephemeral", text: PROBE_TEXTS.notAdmin });
    // Resolves once every /probe the core took has been handled: the refusal was all there was.
    await h.probeChat[Symbol.asyncDispose]();
    expect(h.fake.callsTo("chat.postMessage")).toHaveLength(0);
    expect(h.scripted!.calls).toHaveLength(0);
  });

  it("tells an admin that the probe is not available when there is none", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] } });
    const sent = h.fake.deliverCommand({ command: "/probe", text: "5", user_id: "UADMIN", channel_id: "C100" });
    const ack = await h.fake.waitForAck(sent.envelopeId, 3000);
    expect(ack.payload).toEqual({ response_type: "ephemeral", text: PROBE_TEXTS.unavailable });
  });

  it("runs a probe: progress at most once a second, then the report and the transcript", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] }, probe: runner, parallel: 2, script: probeScript(600) });
    const { fake } = h;
    const sent = fake.deliverCommand({ command: "/probe", text: "3", user_id: "UADMIN", channel_id: "C100" });
    const ack = await fake.waitForAck(sent.envelopeId, 3000);
    expect(ack.latencyMs).toBeLessThan(3000);
    expect(ack.payload).toEqual({});

    await vi.waitFor(() => expect(fake.callsTo("files.completeUploadExternal").length === 1, "the transcript upload").toBeTruthy(), { timeout: 20_000 });
    const [post] = fake.callsTo("chat.postMessage");
    expect(post!.args).toMatchObject({ channel: "C100" });
    expect(String(post!.args["text"])).toContain("<@UADMIN>");
    const msg = fake.store.all("C100")[0]!;
    expect(JSON.stringify(msg.blocks)).toContain("プローブ結果: mini");
    expect(msg.text).toContain("心のモデル 3/3");
    expect(msg.text).toContain("モンティ・ホール問題 0/3");

    // Progress edits (all but the report) are at least ~1 s apart.
    const updates = fake.callsTo("chat.update");
    expect(updates.length).toBeGreaterThanOrEqual(2);
    const progress = updates.slice(0, -1);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(950);

    // files.uploadV2 = getUploadURLExternal → upload → completeUploadExternal, into the message's thread.
    expect(fake.calls.map((c) => c.method).filter((m) => m.startsWith("files.") || m === "(upload)")).toEqual([
      "files.getUploadURLExternal",
      "(upload)",
      "files.completeUploadExternal",
    ]);
    expect(fake.callsTo("files.completeUploadExternal")[0]!.args).toMatchObject({ channel_id: "C100", thread_ts: msg.ts });
    expect(fake.uploads[0]!.filename).toMatch(/^probe-mini-.*\.md$/);
    expect(fake.uploads[0]!.content).toContain("# プローブ記録: mini");
    expect(fake.uploads[0]!.content).toContain("かごを探します。");
    // The probe's runs went through the same queue as mentions.
    expect(h.scripted!.calls).toHaveLength(6);
  });

  it("cancels the running probe with /probe cancel; the report says it was stopped", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] }, probe: runner, parallel: 1, script: probeScript(300) });
    const { fake } = h;
    fake.deliverCommand({ command: "/probe", text: "3", user_id: "UADMIN", channel_id: "C100" });
    await vi.waitFor(() => expect(h!.scripted!.calls.length >= 1).toBeTruthy(), { timeout: 5000 });
    const cancel = fake.deliverCommand({ command: "/probe", text: "cancel", user_id: "UADMIN", channel_id: "C100" });
    expect((await fake.waitForAck(cancel.envelopeId, 3000)).payload).toEqual({ response_type: "ephemeral", text: PROBE_TEXTS.cancelled });
    await vi.waitFor(() => expect(fake.callsTo("files.completeUploadExternal").length === 1, "the transcript upload").toBeTruthy(), { timeout: 20_000 });
    expect(JSON.stringify(fake.store.all("C100")[0]!.blocks)).toContain("プローブ中止: mini");

    const again = fake.deliverCommand({ command: "/probe", text: "cancel", user_id: "UADMIN", channel_id: "C100" });
    expect((await fake.waitForAck(again.envelopeId, 3000)).payload).toEqual({ response_type: "ephemeral", text: PROBE_TEXTS.nothingToCancel });
  });

  it("a second /probe while one runs says so and ends with the same report", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN", "UOTHER"] }, probe: runner, parallel: 1, script: probeScript(150) });
    const { fake } = h;
    fake.deliverCommand({ command: "/probe", text: "2", user_id: "UADMIN", channel_id: "C100" });
    await vi.waitFor(() => expect(h!.scripted!.calls.length >= 1).toBeTruthy(), { timeout: 5000 });
    fake.deliverCommand({ command: "/probe", text: "5", user_id: "UOTHER", channel_id: "C100" });
    await vi.waitFor(() => expect(fake.callsTo("files.completeUploadExternal").length === 2, "both transcripts").toBeTruthy(), { timeout: 20_000 });
    const [first, second] = fake.store.all("C100");
    expect(JSON.stringify(second!.blocks)).not.toContain(PROBE_TEXTS.joined); // the report replaced the progress
    expect(fake.callsTo("chat.update").some((u) => u.args["ts"] === second!.ts && JSON.stringify(u.args["blocks"]).includes(PROBE_TEXTS.joined))).toBe(true);
    // One probe ran (2 runs × 2 tests), and both messages show its tallies.
    expect(h.scripted!.calls).toHaveLength(4);
    for (const m of [first!, second!]) expect(m.text).toContain("心のモデル 2/2");
  });

  it("shows history, help and parse errors in the ack", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] }, probe: runner });
    const { fake } = h;
    const ask = async (text: string) =>
      (await fake.waitForAck(fake.deliverCommand({ command: "/probe", text, user_id: "UADMIN", channel_id: "C100" }).envelopeId)).payload;
    const history = await ask("history 5");
    expect(history).toMatchObject({ response_type: "ephemeral" });
    expect(String(history!["text"])).toMatch(/^```\n.*心のモデル.*（記録なし）/s);
    expect(String((await ask("help"))!["text"])).toContain("/probe cancel");
    expect(String((await ask("runs=0"))!["text"])).toContain("「runs=0」");
    expect(fake.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("reports an unknown suite in the probe message", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] }, probe: runner });
    const { fake } = h;
    fake.deliverCommand({ command: "/probe", text: "suite=nope", user_id: "UADMIN", channel_id: "C100" });
    await vi.waitFor(() => expect(fake.callsTo("chat.update").length === 1).toBeTruthy(), { timeout: 5000 });
    expect(fake.store.all("C100")[0]!.text).toBe(PROBE_TEXTS.failed('unknown suite "nope"'));
  });

  it("asks to be invited when it cannot post in the channel, and runs nothing", async () => {
    h = await startHarness({ access: { probeAdmins: ["UADMIN"] }, probe: runner });
    const { fake } = h;
    fake.failNext("chat.postMessage", { error: "not_in_channel" });
    fake.deliverCommand({ command: "/probe", text: "", user_id: "UADMIN", channel_id: "C999" });
    await vi.waitFor(() => expect(fake.callsTo("chat.postEphemeral").length === 1).toBeTruthy(), { timeout: 5000 });
    expect(fake.callsTo("chat.postEphemeral")[0]!.args).toMatchObject({ channel: "C999", user: "UADMIN", text: PROBE_TEXTS.notInChannel });
    expect(h.scripted!.calls).toHaveLength(0);
  });
});
