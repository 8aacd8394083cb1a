// /probe through the real discord.js Client and the fake Discord: first response within 3 s,
// admin check, throttled progress edits, report + transcript, the 15-minute token hand-off.

import { afterEach, describe, expect, it } from "vitest";
import { probeMessages as probeTexts } from "../../../src/core/messages.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";
import { sampleResult, StubProbe } from "../../fakes/discord/stub-probe.js";

let h: Harness | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const CALLBACK = /^\/interactions\/\d+\/[^/]+\/callback$/;
const ORIGINAL = /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/;

function probe(h: Harness, user: "alice" | "bob", args?: string) {
  return h.fake.runCommand({
    user: h.fake.world.users[user],
    channel: h.fake.world.channels.general,
    name: "probe",
    ...(args !== undefined && { options: [{ type: 3, name: "args", value: args }] }),
  });
}

describe("/probe", () => {
  it("a probe cut short by shutdown ends with its (cancelled) report instead of a frozen progress bar", async () => {
    const stub = new StubProbe();
    h = await startHarness({ probe: stub, adapter: { probeProgressIntervalMs: 50 } });
    const { fake } = h;
    probe(h, "alice", "3");
    await fake.waitFor(() => stub.runs.length === 1, 3_000, "the run");
    stub.progress(2);
    await fake.waitFor(() => fake.requestsTo("PATCH", ORIGINAL).length >= 1, 3_000, "a progress edit");
    // As the bot does on SIGTERM: the core's /probe handler cancels the run and waits for its report.
    const stopping = h.probeChat[Symbol.asyncDispose]();
    stub.finish({ ...sampleResult(), cancelled: true });
    await stopping;
    expect(stub.cancels).toBe(1);
    const last = fake.requestsTo("PATCH", ORIGINAL).at(-1)!;
    expect(last.body.embeds[0].title).toContain("プローブ中止");
    expect(last.files).toHaveLength(1);
  });

  it("defers at once, edits progress at most once per interval, ends with the report and transcript", async () => {
    const stub = new StubProbe();
    h = await startHarness({ probe: stub, adapter: { probeProgressIntervalMs: 300 } });
    const { fake } = h;
    const interaction = probe(h, "alice", "3 tests=theory-of-mind");
    const callback = await fake.waitFor(() => fake.requestsTo("POST", CALLBACK)[0], 3_000, "the first response");
    // The fake answers 404 Unknown interaction after 3 s, as Discord does; 204 means in time.
    expect(callback.status).toBe(204);
    expect(callback.body).toMatchObject({ type: 5 });
    expect(callback.at - interaction.createdAt).toBeLessThan(3_000);
    await fake.waitFor(() => stub.runs.length === 1, 3_000, "the run");
    expect(stub.runs[0]).toEqual({ options: { runs: 3, tests: ["theory-of-mind"] }, requestedBy: `discord:${fake.world.users.alice.id}` });

    const started = Date.now();
    for (let done = 1; done <= 5; done++) {
      stub.progress(done);
      await new Promise((r) => setTimeout(r, 40));
    }
    await fake.waitFor(() => fake.requestsTo("PATCH", ORIGINAL).length >= 2, 3_000, "progress edits");
    const window = Date.now() - started;
    const progressEdits = fake.requestsTo("PATCH", ORIGINAL);
    // Five updates in ~200 ms, interval 300 ms: the first goes at once, the rest collapse into one.
    expect(progressEdits.length).toBeLessThanOrEqual(1 + Math.ceil(window / 300));
    expect(progressEdits.at(-1)?.body.embeds[0].description).toContain("5/6");

    stub.finish();
    const final = await fake.waitFor(() => fake.requestsTo("PATCH", ORIGINAL).find((r) => r.files.length > 0), 5_000, "the report");
    expect(final.body.embeds[0].title).toContain("プローブ結果");
    expect(final.files[0]?.filename).toMatch(/^probe-seed-.*\.md$/);
    expect(final.files[0]?.data.toString("utf8")).toContain("# プローブ記録: seed");
    expect(fake.interactions.get(interaction.token)?.original?.attachments).toHaveLength(1);
    expect(fake.requests.filter((r) => r.status >= 400)).toEqual([]);
  });

  it("refuses a non-admin with an ephemeral reply and runs nothing", async () => {
    const stub = new StubProbe();
    h = await startHarness({ probe: stub });
    probe(h, "bob", "5");
    const callback = await h.fake.waitFor(() => h!.fake.requestsTo("POST", CALLBACK)[0], 3_000, "the refusal");
    expect(callback.status).toBe(204);
    expect(callback.body).toMatchObject({ type: 4, data: { content: probeTexts.notAdmin, flags: 64 } });
    expect(stub.runs).toEqual([]);
  });

  it("says the probe is not available when the bot runs without one", async () => {
    h = await startHarness();
    probe(h, "alice");
    const callback = await h.fake.waitFor(() => h!.fake.requestsTo("POST", CALLBACK)[0], 3_000, "the answer");
    expect(callback.body).toMatchObject({ type: 4, data: { content: probeTexts.unavailable, flags: 64 } });
  });

  it("cancels the running probe, shows history, and explains a typo", async () => {
    const stub = new StubProbe();
    h = await startHarness({ probe: stub });
    const { fake } = h;
    probe(h, "alice");
    await fake.waitFor(() => stub.runs.length === 1, 3_000, "the run");
    probe(h, "alice", "cancel");
    probe(h, "alice", "history");
    probe(h, "alice", "runs=zero");
    const replies = await fake.waitFor(
      () => {
        const list = fake.requestsTo("POST", CALLBACK).filter((r) => r.body.type === 4);
        return list.length === 3 && list;
      },
      5_000,
      "three replies",
    );
    const contents = replies.map((r) => r.body.data.content as string);
    expect(stub.cancels).toBe(1);
    expect(contents).toContain(probeTexts.cancelled);
    expect(contents.find((c) => c.includes("心のモデル"))).toContain("10/10");
    const typo = replies.find((r) => String(r.body.data.content).includes("runs=zero"));
    expect(typo?.body.data.flags).toBe(64);
    stub.finish();
  });

  it("hands off to a channel message before the interaction token expires", async () => {
    const stub = new StubProbe();
    h = await startHarness({ probe: stub, adapter: { interactionTokenMs: 400, probeProgressIntervalMs: 50 }, fake: { interactionTokenLifetimeMs: 1_500 } });
    const { fake } = h;
    const interaction = probe(h, "alice");
    await fake.waitFor(() => stub.runs.length === 1, 3_000, "the run");
    stub.progress(1);
    await fake.waitFor(() => fake.requestsTo("PATCH", ORIGINAL).length >= 1, 3_000, "a progress edit");
    // Past the adapter's limit: the reply says where to look, progress moves to the channel.
    const handoff = await fake.waitFor(
      () => fake.requestsTo("PATCH", ORIGINAL).find((r) => String(r.body.content).includes("チャンネル")),
      3_000,
      "the hand-off",
    );
    expect(handoff.status).toBe(200);
    const channelPost = await fake.waitFor(() => fake.requestsTo("POST", /^\/channels\/\d+\/messages$/)[0], 3_000, "a channel message");
    expect(channelPost.body.embeds[0].description).toContain("1/6");
    stub.progress(4);
    // Finish only once the token is dead (1.5 s): the report must not need it.
    await new Promise((r) => setTimeout(r, Math.max(0, interaction.createdAt + 1_600 - Date.now())));
    stub.finish();
    const report = await fake.waitFor(
      () => fake.requestsTo("PATCH", /^\/channels\/\d+\/messages\/\d+$/).find((r) => r.files.length > 0),
      5_000,
      "the report in the channel",
    );
    expect(report.status).toBe(200);
    expect(report.body.embeds[0].title).toContain("プローブ結果");
    const [message] = fake.botMessages(fake.world.channels.general.id);
    expect(message?.attachments).toHaveLength(1);
    expect(fake.requests.filter((r) => r.status >= 400)).toEqual([]);
  });

  it("falls back to the channel when Discord says the token is gone", async () => {
    const stub = new StubProbe();
    h = await startHarness({ probe: stub, fake: { interactionTokenLifetimeMs: 300 } });
    const { fake } = h;
    probe(h, "alice");
    await fake.waitFor(() => stub.runs.length === 1, 3_000, "the run");
    await new Promise((r) => setTimeout(r, 400));
    stub.finish();
    const post = await fake.waitFor(() => fake.requestsTo("POST", /^\/channels\/\d+\/messages$/)[0], 5_000, "the report in the channel");
    expect(fake.requestsTo("PATCH", ORIGINAL).map((r) => r.status)).toContain(401);
    expect(post.status).toBe(200);
    expect(post.files[0]?.filename).toMatch(/\.md$/);
    expect(post.body.embeds[0].title).toContain("プローブ結果");
  });
});
