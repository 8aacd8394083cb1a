// One shutdown policy for every platform (the chat core's): the answer being written and the one
// still waiting in the queue both end visibly — the first keeps its text and gets the shutdown note,
// the second's placeholder says the bot is stopping — and a question arriving during the drain is
// told so instead of being dropped. Through the real adapters against the fake Slack and Discord.

import { afterEach, describe, expect, it, vi } from "vitest";
import { messages } from "../../src/core/messages.js";
import { startHarness as startDiscord, type Harness as DiscordHarness } from "../fakes/discord/harness.js";
import { startHarness as startSlack, type Harness as SlackHarness } from "../fakes/slack/harness.js";
import type { Script } from "../helpers/scripted-engine.js";

let slack: SlackHarness | undefined;
let discord: DiscordHarness | undefined;
afterEach(async () => {
  // A second dispose of everything: safe.
  await slack?.stop();
  await discord?.stop();
  slack = discord = undefined;
});

/** Every answer streams its first words and then hangs until it is stopped. */
const hanging: Script = () => ({ chunks: ["途中まで", "続き"], hangAfterChunks: 1 });
const cut = `途中まで\n\n${messages.cutByShutdown}`;

describe("shutdown ends every question visibly", () => {
  it("on Slack", async () => {
    slack = await startSlack({ parallel: 1, script: hanging });
    const { fake } = slack;
    const h = slack;
    const running = fake.userSays("C100", "U1", "<@UBOT> 長い質問");
    await vi.waitFor(() => expect(h.botMessages("C100", running.ts)[0]).toContain("途中まで"), { timeout: 10_000 });
    const waiting = fake.userSays("C100", "U2", "<@UBOT> 待っている質問");
    await vi.waitFor(() => expect(h.botMessages("C100", waiting.ts)).toEqual([messages.queued(1)]), { timeout: 10_000 });

    await h.responder[Symbol.asyncDispose]();
    expect(h.botMessages("C100", running.ts)).toEqual([cut]);
    expect(h.botMessages("C100", waiting.ts)).toEqual([messages.shuttingDown]);

    const late = fake.userSays("C100", "U3", "<@UBOT> 停止中の質問");
    await h.waitForOutcomes(3);
    expect(h.outcomes.map((o) => o.outcome.kind)).toEqual(["cancelled", "cancelled", "refused"]);
    expect(h.botMessages("C100", late.ts)).toEqual([messages.shuttingDown]);
    expect(h.scripted!.calls).toHaveLength(1);
    // The adapter's one verb, safe to call twice (and once more by the harness).
    await h.adapter[Symbol.asyncDispose]();
    await h.adapter[Symbol.asyncDispose]();
    await vi.waitFor(() => expect(fake.connectedSockets).toBe(0));
  });

  it("on Discord", async () => {
    discord = await startDiscord({ parallel: 1, script: hanging });
    const h = discord;
    const { fake } = h;
    const { general } = fake.world.channels;
    const { alice, bob } = fake.world.users;
    const ask = (author: typeof alice, text: string) => fake.say({ channel: general, author, content: `<@${fake.world.bot.id}> ${text}` });
    const replyTo = (question: { id: string }) => fake.botMessages(general.id).find((m) => m.message_reference?.message_id === question.id)?.content;

    const running = ask(alice, "長い質問");
    await vi.waitFor(() => expect(replyTo(running)).toContain("途中まで"), { timeout: 10_000 });
    const waiting = ask(bob, "待っている質問");
    await vi.waitFor(() => expect(replyTo(waiting)).toBe(messages.queued(1)), { timeout: 10_000 });

    await h.responder[Symbol.asyncDispose]();
    expect(replyTo(running)).toBe(cut);
    expect(replyTo(waiting)).toBe(messages.shuttingDown);

    const late = ask(alice, "停止中の質問");
    const outcomes = await h.settled(3);
    expect(outcomes.map((o) => o.kind)).toEqual(["cancelled", "cancelled", "refused"]);
    expect(replyTo(late)).toBe(messages.shuttingDown);
    await h.discord[Symbol.asyncDispose]();
    await h.discord[Symbol.asyncDispose]();
  });
});
