// End to end with the real node-llama-cpp engine on a generated tiny model: Discord mention →
// discord.js → Responder → queue → engine → a reply streamed by edits. The weights are random, so
// only the mechanics are asserted: replies to the right messages, edits, Discord's 2,000-character
// limit, and that nothing the model writes can ping anyone.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../src/core/messages.js";
import { LlamaEngine } from "../../../src/inference/engine.js";
import type { FakeMessage } from "../../fakes/discord/world.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";
import { tinyModelPath } from "../../helpers/test-model.js";

const POST = /^\/channels\/\d+\/messages$/;
const PATCH = /^\/channels\/\d+\/messages\/\d+$/;

/** The bot's messages answering `question`: the reply to it, then each continuation replying to the part before. */
function answerParts(h: Harness<LlamaEngine>, question: FakeMessage): FakeMessage[] {
  const bot = h.fake.botMessages(question.channel_id);
  const parts: FakeMessage[] = [];
  let previous = question.id;
  for (;;) {
    const next = bot.find((m) => m.message_reference?.message_id === previous);
    if (!next) return parts;
    parts.push(next);
    previous = next.id;
  }
}

const squeeze = (s: string) => s.replace(/\s+/g, "");

describe("Discord adapter with the real engine", () => {
  let engine: LlamaEngine;
  let h: Harness<LlamaEngine>;

  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 2, contextSize: 512, batchSize: 256 });
    h = await startHarness({ engine, editIntervalMs: 50 });
  });
  afterAll(async () => {
    await h?.stop();
    await engine?.[Symbol.asyncDispose]();
  });

  it("answers two mentions as replies, streamed by edits, within 2,000 characters a message, pinging nobody", async () => {
    const { fake } = h;
    const { general } = fake.world.channels;
    const { alice, bob } = fake.world.users;
    const bot = fake.world.bot.id;
    const a = fake.say({ channel: general, author: alice, content: `<@${bot}> 日本の首都はどこですか？` });
    const b = fake.say({ channel: general, author: bob, content: `<@${bot}> 富士山の高さは？` });
    const outcomes = await h.settled(2, 60_000);

    expect(h.questions.map((q) => q.text).sort()).toEqual(["日本の首都はどこですか？", "富士山の高さは？"].sort());
    for (const question of [a, b]) {
      const parts = answerParts(h, question);
      expect(parts.length).toBeGreaterThanOrEqual(1);
      for (const part of parts) expect(part.content.length).toBeLessThanOrEqual(2000);
      // The reply was posted first (a placeholder) and then edited into the answer.
      const [first] = parts;
      const created = fake.requestsTo("POST", POST).filter((r) => r.status === 200 && r.body?.message_reference?.message_id === question.id);
      expect(created).toHaveLength(1);
      const edits = fake.requestsTo("PATCH", PATCH).filter((r) => r.path.endsWith(`/${first!.id}`) && r.status === 200);
      expect(edits.length).toBeGreaterThanOrEqual(1);
      expect(first!.edited_timestamp).not.toBeNull();

      const shown = parts.map((p) => p.content).join("");
      const index = h.questions.findIndex((q) => q.sourceKey === `discord:${question.id}`);
      expect(index).toBeGreaterThanOrEqual(0);
      // Outcomes are in settling order; find the one whose text is what this reply shows.
      const answered = outcomes.find((o) => o.kind === "answered" && o.text.trim() !== "" && squeeze(shown).startsWith(squeeze(o.text)));
      if (answered && answered.kind === "answered") {
        // The whole answer, and at most the note that the length limit cut it.
        const rest = squeeze(shown).slice(squeeze(answered.text).length);
        expect(["", squeeze(messages.cutByLength)]).toContain(rest);
      } else {
        // A random-weight model may stop at once; then the reply says so instead of staying silent.
        expect(shown).toBe(messages.emptyAnswer);
      }
    }
    expect(outcomes.every((o) => o.kind === "answered" || (o.kind === "failed" && o.reason === "empty answer"))).toBe(true);

    // discord.js sent allowed_mentions parse [] with every create and edit.
    const writes = [...fake.requestsTo("POST", POST), ...fake.requestsTo("PATCH", PATCH)];
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const write of writes) expect(write.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
    for (const m of fake.botMessages()) {
      expect(m.mention_everyone).toBe(false);
      expect(m.mentions).toEqual([]);
    }
    expect(fake.requests.filter((r) => r.status >= 400)).toEqual([]);
  });
});
