// Gateway faults while an answer streams: the real discord.js client (and adapter) against the fake
// gateway, which sends op 7 and op 9, stops ACKing heartbeats, or drops the connection, keeps what
// it dispatched meanwhile and replays it on RESUME. Each time the answer streaming across the fault
// completes exactly once, and a question asked during it is answered exactly once.

import { afterEach, describe, expect, it } from "vitest";
import type { FakeMessage } from "../../fakes/discord/world.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Each question's answer names it, in 8 chunks over ~1.2 s: long enough to span the fault. */
async function start(): Promise<Harness> {
  return startHarness({
    parallel: 2,
    editIntervalMs: 100,
    fake: { heartbeatIntervalMs: 250 },
    script: (options) => {
      const name = options.conversation.turns.at(-1)!.text;
      return { chunks: Array.from({ length: 8 }, (_, i) => `${name}-${i} `), chunkDelayMs: 150 };
    },
  });
}

const fullAnswer = (name: string) => Array.from({ length: 8 }, (_, i) => `${name}-${i} `).join("");

function ask(h: Harness, name: string): FakeMessage {
  const { fake } = h;
  return fake.say({ channel: fake.world.channels.general, author: fake.world.users.alice, content: `<@${fake.world.bot.id}> ${name}` });
}

const repliesTo = (h: Harness, q: FakeMessage) => h.fake.botMessages().filter((m) => m.message_reference?.message_id === q.id);

/** A's answer is on screen and still streaming; then `fault`; then B is asked; both must end once. */
async function acrossFault(h: Harness, fault: () => unknown): Promise<void> {
  const a = ask(h, "甲");
  await h.fake.waitFor(() => repliesTo(h, a)[0]?.content.includes("甲-0"), 10_000, "A's answer to start streaming");
  await fault();
  const b = ask(h, "乙");
  const outcomes = await h.settled(2, 20_000);
  expect(outcomes.map((o) => o.kind)).toEqual(["answered", "answered"]);
  expect(repliesTo(h, a).map((m) => m.content)).toEqual([fullAnswer("甲")]);
  expect(repliesTo(h, b).map((m) => m.content)).toEqual([fullAnswer("乙")]);
  // Each question reached the model once: no replayed event was answered twice.
  expect(h.engine.calls.map((c) => c.conversation.turns.at(-1)!.text).sort()).toEqual(["乙", "甲"].sort());
  expect(h.fake.botMessages()).toHaveLength(2);
}

describe("Discord gateway faults mid-answer", () => {
  it("op 7 (reconnect): the client resumes the session", async () => {
    h = await start();
    const { gateway } = h.fake;
    await acrossFault(h, () => gateway.requestReconnect());
    expect(gateway.resumes.filter((r) => r.accepted).length).toBeGreaterThanOrEqual(1);
    expect(gateway.identifies).toHaveLength(1); // the same session went on: no new IDENTIFY
  });

  it("op 9 resumable: the client resumes", async () => {
    h = await start();
    const { gateway } = h.fake;
    await acrossFault(h, () => gateway.invalidateSessions(true));
    // (discord.js may send RESUME more than once while it recovers; each continues the one session.)
    expect(gateway.resumes.filter((r) => r.accepted).length).toBeGreaterThanOrEqual(1);
    expect(gateway.identifies).toHaveLength(1);
  });

  it("op 9 not resumable: the client identifies anew (a question asked once the new session is up is answered once)", async () => {
    h = await start();
    const { gateway } = h.fake;
    // Events between an invalidated session and the next READY are gone on Discord too; B is asked
    // as soon as the new session exists, while A still streams.
    await acrossFault(h, () => {
      gateway.invalidateSessions(false);
      return h!.fake.waitFor(() => gateway.identifies.length >= 2 && gateway.connected(), 10_000, "a new session");
    });
    expect(gateway.resumes.filter((r) => r.accepted)).toHaveLength(0);
  });

  it("a zombie connection (heartbeats not ACKed): the client notices, reconnects and resumes", async () => {
    h = await start();
    const { gateway } = h.fake;
    await acrossFault(h, async () => {
      gateway.setZombie(true);
      await h!.fake.waitFor(() => gateway.resumes.length >= 1, 10_000, "the client to give up on the zombie connection");
      // (On a busy machine the resumed connection may heartbeat before this, and resume once more.)
      gateway.setZombie(false);
    });
    expect(gateway.heartbeats).toBeGreaterThan(gateway.acks);
    expect(gateway.resumes.filter((r) => r.accepted).length).toBeGreaterThanOrEqual(1);
    expect(gateway.identifies).toHaveLength(1); // the same session went on: no new IDENTIFY
  });

  it("a dropped connection (1006): the question dispatched while the client was away is replayed on RESUME and answered once", async () => {
    h = await start();
    const { gateway } = h.fake;
    const a = ask(h, "甲");
    await h.fake.waitFor(() => repliesTo(h!, a)[0]?.content.includes("甲-0"), 10_000, "A's answer to start streaming");
    gateway.dropConnections();
    const b = ask(h, "乙"); // dispatched into the session while no connection carries it
    const outcomes = await h.settled(2, 20_000);
    expect(outcomes.map((o) => o.kind)).toEqual(["answered", "answered"]);
    const resume = gateway.resumes.find((r) => r.accepted);
    expect(resume?.replayed).toBeGreaterThanOrEqual(1);
    expect(repliesTo(h, a).map((m) => m.content)).toEqual([fullAnswer("甲")]);
    expect(repliesTo(h, b).map((m) => m.content)).toEqual([fullAnswer("乙")]);
    expect(h.engine.calls).toHaveLength(2);
  });

  it("close 4000 (unknown error): the client resumes", async () => {
    h = await start();
    const { gateway } = h.fake;
    await acrossFault(h, () => gateway.dropConnections(4000));
    expect(gateway.resumes.filter((r) => r.accepted).length).toBeGreaterThanOrEqual(1);
    expect(gateway.identifies).toHaveLength(1); // the same session went on: no new IDENTIFY
  });
});
