// Stop, Regenerate and 👍/👎 under Discord answers: message components rendered by the real reply
// channel, clicks delivered by the fake Discord as INTERACTION_CREATE (message component) to the
// real discord.js client, acked through the interaction callback, decided by the real Responder in
// front of the real queue (ScriptedEngine).

import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { actionNotices } from "../../../src/core/answer-actions.js";
import { messages } from "../../../src/core/messages.js";
import { FeedbackStore } from "../../../src/feedback/store.js";
import type { FakeMessage } from "../../fakes/discord/world.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";

let h: Harness | undefined;
let store: FeedbackStore | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  await store?.[Symbol.asyncDispose]();
  store = undefined;
});

/** The custom_ids of a message's buttons, in order. */
function customIds(message: FakeMessage | undefined): string[] {
  const rows = (message?.components ?? []) as { components: { custom_id: string }[] }[];
  return rows.flatMap((row) => row.components.map((c) => c.custom_id));
}

function mention(h: Harness, text: string): string {
  return `<@${h.fake.world.bot.id}> ${text}`;
}

describe("Discord answer buttons", () => {
  it("Stop during streaming ends the generation and keeps the partial text; the click is acked with a deferred update", async () => {
    h = await startHarness({ script: () => ({ chunks: ["途中まで", "の回答", "（続き）"], hangAfterChunks: 2 }) });
    const { fake } = h;
    fake.say({ channel: fake.world.channels.general, author: fake.world.users.bob, content: mention(h, "長い話をして") });
    const answer = await fake.waitFor(
      () => fake.botMessages().find((m) => m.content === "途中までの回答" && customIds(m)[0]?.startsWith("elyza_answer:stop:")),
      10_000,
      "the streaming answer with Stop",
    );
    expect(h.queue.stats().running).toBe(1);
    const click = fake.clickButton({ user: fake.world.users.bob, message: answer, customId: customIds(answer)[0]! });
    const [outcome] = await h.settled(1);
    expect(outcome?.kind).toBe("cancelled");
    expect(click.responseType).toBe(6);
    expect(h.queue.stats()).toEqual({ waiting: 0, running: 0 });
    await fake.waitFor(() => customIds(fake.messages.get(answer.id))[0]?.startsWith("elyza_answer:regenerate:"), 5000, "Regenerate on the stopped answer");
    const after = fake.messages.get(answer.id)!;
    expect(after.content).toBe(`途中までの回答\n\n${messages.cutByStop}`);
    expect(customIds(after).map((id) => id.split(":")[1])).toEqual(["regenerate", "up", "down"]);
  });

  it("refuses a non-asker's Stop with an ephemeral follow-up; an admin role may stop", async () => {
    h = await startHarness({ script: () => ({ chunks: ["前半", "後半"], hangAfterChunks: 1 }) });
    const { fake } = h;
    // alice asks; bob (no admin role) may not stop it.
    fake.say({ channel: fake.world.channels.general, author: fake.world.users.alice, content: mention(h, "質問です") });
    const answer = await fake.waitFor(() => fake.botMessages().find((m) => customIds(m)[0]?.startsWith("elyza_answer:stop:")), 10_000, "Stop");
    const refused = fake.clickButton({ user: fake.world.users.bob, message: answer, customId: customIds(answer)[0]! });
    await fake.waitFor(() => refused.followups.length === 1, 5000, "the ephemeral refusal");
    expect(refused.responseType).toBe(6);
    expect(refused.followups[0]).toMatchObject({ content: actionNotices.notYours, flags: 64 });
    expect(h.outcomes).toHaveLength(0);
    expect(h.queue.stats().running).toBe(1);
    await h.stop();

    // bob asks; alice has the admin role (access.probeAdmins) and may.
    h = await startHarness({ script: () => ({ chunks: ["前半", "後半"], hangAfterChunks: 1 }) });
    const f2 = h.fake;
    f2.say({ channel: f2.world.channels.general, author: f2.world.users.bob, content: mention(h, "質問です") });
    const second = await f2.waitFor(() => f2.botMessages().find((m) => customIds(m)[0]?.startsWith("elyza_answer:stop:")), 10_000, "Stop");
    f2.clickButton({ user: f2.world.users.alice, message: second, customId: customIds(second)[0]! });
    const [outcome] = await h.settled(1);
    expect(outcome?.kind).toBe("cancelled");
  });

  it("Regenerate replies to the question with a second answer generated with another seed", async () => {
    h = await startHarness({ script: (_, i) => ({ chunks: [i === 0 ? "最初の回答" : "二つ目の回答"], chunkDelayMs: 1 }) });
    const { fake } = h;
    const question = fake.say({ channel: fake.world.channels.general, author: fake.world.users.bob, content: mention(h, "富士山の高さは？") });
    await h.settled(1);
    const first = await fake.waitFor(() => fake.botMessages().find((m) => customIds(m)[0]?.startsWith("elyza_answer:regenerate:")), 5000, "Regenerate");
    fake.clickButton({ user: fake.world.users.bob, message: first, customId: customIds(first)[0]! });
    const second = await fake.waitFor(
      () => fake.botMessages().find((m) => m.id !== first.id && m.content === "二つ目の回答" && customIds(m)[0]?.startsWith("elyza_answer:regenerate:")),
      10_000,
      "the regenerated answer",
    );
    expect(second.message_reference?.message_id).toBe(question.id);
    expect(fake.messages.get(first.id)?.content).toBe("最初の回答");
    const [a, b] = h.engine.calls;
    expect(a!.sampling.seed).toEqual(expect.any(Number));
    expect(b!.sampling.seed).toEqual(expect.any(Number));
    expect(b!.sampling.seed).not.toBe(a!.sampling.seed);
    expect(b!.conversation).toEqual(a!.conversation);
  });

  it("writes a 👎 to the feedback store with the answer and its seed, and thanks the rater ephemerally", async () => {
    store = new FeedbackStore(path.join(mkdtempSync(path.join(os.tmpdir(), "discord-feedback-")), "data"));
    const sampling = { temperature: 0.6, topP: 0.9, maxTokens: 1200 };
    h = await startHarness({
      script: () => ({ chunks: ["確率は1/2です。"], chunkDelayMs: 1 }),
      feedback: { store, modelName: "test.gguf", modelFingerprint: async () => null, sampling },
    });
    const { fake } = h;
    fake.say({ channel: fake.world.channels.general, author: fake.world.users.bob, content: mention(h, "モンティ・ホール問題は？") });
    await h.settled(1);
    const answer = await fake.waitFor(() => fake.botMessages().find((m) => customIds(m).length === 3), 5000, "the vote buttons");
    const click = fake.clickButton({ user: fake.world.users.alice, message: answer, customId: customIds(answer)[2]! });
    await fake.waitFor(() => click.followups.length === 1, 5000, "the thanks");
    expect(click.followups[0]).toMatchObject({ content: actionNotices.thanksDown, flags: 64 });
    expect(store.list()).toEqual([
      expect.objectContaining({
        platform: "discord",
        channel: fake.world.channels.general.id,
        asker: fake.world.users.bob.id,
        rater: fake.world.users.alice.id,
        rating: "down",
        question: "モンティ・ホール問題は？",
        answer: "確率は1/2です。",
        modelName: "test.gguf",
        seed: h.engine.calls[0]!.sampling.seed,
        sampling,
      }),
    ]);
  });
});
