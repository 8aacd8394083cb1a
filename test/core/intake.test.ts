// What the chat core decides for every platform before and around an answer: the order of the
// checks (and that a refused question never has its history read), deletion before and during the
// start, and the one shutdown policy. Real InferenceQueue + ScriptedEngine, an in-memory channel.

import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Journal } from "../../src/core/journal.js";
import type { AccessConfig } from "../../src/core/access.js";
import { messages } from "../../src/core/messages.js";
import { Responder } from "../../src/core/responder.js";
import type { IncomingQuestion, PostedMessage, ReplyChannel } from "../../src/core/types.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { ChatTurn } from "../../src/inference/types.js";
import { ScriptedEngine, type Script } from "../helpers/scripted-engine.js";

const OPEN: AccessConfig = { allowedChannels: [], allowedUsers: [], allowedRoles: [], probeAdmins: [], ratePerMinute: 0 };
const FOREVER = 600_000;

/** Each message's current text. */
class Channel implements ReplyChannel {
  readonly limits = { maxChars: 2000 };
  readonly texts: string[] = [];
  async post(text: string): Promise<PostedMessage> {
    this.texts.push(text);
    return { id: String(this.texts.length - 1) };
  }
  async edit(message: PostedMessage, text: string): Promise<void> {
    this.texts[Number(message.id)] = text;
  }
}

const queues: InferenceQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.cancelAll("test over");
});

function core(script: Script, access: Partial<AccessConfig> = {}, parallel = 1, journal?: Journal) {
  const engine = new ScriptedEngine(parallel, script);
  const queue = new InferenceQueue(engine, {
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: 1200 },
    maxWaiting: 100,
    maxPerUser: 100,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
  });
  queues.push(queue);
  const responder = new Responder({
    queue,
    systemPrompt: "SYS",
    editIntervalMs: 10,
    access: { ...OPEN, ...access },
    drainMs: 5_000,
    ...(journal ? { journal } : {}),
  });
  return { engine, responder };
}

let counter = 0;
/** A question whose history loader records that it was called (and can be held back). */
function question(text: string, over: Partial<IncomingQuestion> = {}, history: () => Promise<readonly ChatTurn[]> = async () => []) {
  const loader = vi.fn(history);
  const q: IncomingQuestion = {
    asker: { platform: "slack", userId: "U1", roleIds: [] },
    channelId: "C1",
    isDirect: false,
    text,
    loadHistory: loader,
    sourceKey: `slack:C1:${++counter}`,
    ...over,
  };
  return { q, loader };
}

const quick: Script = () => ({ chunks: ["はい", "。"], chunkDelayMs: 1 });

describe("chat core intake: the order of the checks", () => {
  it("reads no history for a question refused by access, for an empty one, or beyond the rate limit", async () => {
    const { engine, responder } = core(quick, { allowedChannels: ["C-ok"], ratePerMinute: 1 });
    const ch = new Channel();
    const notAllowed = question("質問", { channelId: "C-other" });
    expect(await responder.answer(notAllowed.q, ch)).toEqual({ kind: "refused", reason: messages.channelNotAllowed });
    const empty = question("  ", { channelId: "C-ok" });
    expect(await responder.answer(empty.q, ch)).toEqual({ kind: "refused", reason: messages.emptyQuestion });
    const first = question("一つ目", { channelId: "C-ok" });
    expect(await responder.answer(first.q, ch)).toMatchObject({ kind: "answered" });
    const tooMany = question("二つ目", { channelId: "C-ok" });
    expect(await responder.answer(tooMany.q, ch)).toMatchObject({ kind: "refused", reason: expect.stringContaining("1分あたり1回まで") });

    expect(notAllowed.loader).not.toHaveBeenCalled();
    expect(empty.loader).not.toHaveBeenCalled();
    expect(tooMany.loader).not.toHaveBeenCalled();
    expect(first.loader).toHaveBeenCalledTimes(1);
    expect(engine.calls).toHaveLength(1);
  });

  it("puts the placeholder up before the history is read, and answers with that history", async () => {
    const { engine, responder } = core(quick);
    const ch = new Channel();
    let release!: (turns: readonly ChatTurn[]) => void;
    const { q, loader } = question("続きは？", {}, () => new Promise((resolve) => (release = resolve)));
    const answering = responder.answer(q, ch);
    await vi.waitFor(() => expect(loader).toHaveBeenCalled());
    // The history read is still held back, yet the asker already sees the bot at work.
    await vi.waitFor(() => expect(ch.texts).toEqual([messages.thinking]));
    expect(engine.calls).toHaveLength(0);
    release([{ role: "user", text: "昔話をして" }]);
    expect(await answering).toMatchObject({ kind: "answered", text: "はい。" });
    expect(engine.calls[0]!.conversation.turns).toEqual([
      { role: "user", text: "昔話をして" },
      { role: "user", text: "続きは？" },
    ]);
  });

  it("journals the question before the placeholder, and its history once read", async () => {
    const journal = new Journal(mkdtempSync(path.join(os.tmpdir(), "elyza-intake-")));
    try {
      const { responder } = core(quick, {}, 1, journal);
      const ch = new (class extends Channel {
        readonly address = { platform: "slack", channel: "C1" };
      })();
      let release!: (turns: readonly ChatTurn[]) => void;
      const { q } = question("続きは？", {}, () => new Promise((resolve) => (release = resolve)));
      const answering = responder.answer(q, ch);
      await vi.waitFor(() => expect(ch.texts).toEqual([messages.thinking]));
      expect(journal.get(q.sourceKey)?.conversation.turns).toEqual([{ role: "user", text: "続きは？" }]);
      release([{ role: "user", text: "昔話をして" }]);
      expect(await answering).toMatchObject({ kind: "answered" });
      expect(journal.get(q.sourceKey)).toMatchObject({
        state: "done",
        conversation: {
          turns: [
            { role: "user", text: "昔話をして" },
            { role: "user", text: "続きは？" },
          ],
        },
      });
    } finally {
      await journal[Symbol.asyncDispose]();
    }
  });

  it("fails visibly, without generating, when the history loader throws", async () => {
    const { engine, responder } = core(quick);
    const ch = new Channel();
    const { q } = question("質問", {}, async () => {
      throw new Error("thread unreadable");
    });
    expect(await responder.answer(q, ch)).toEqual({ kind: "failed", reason: "reading the history failed: thread unreadable" });
    expect(ch.texts).toEqual([messages.engineError]);
    expect(engine.calls).toHaveLength(0);
  });
});

describe("chat core intake: redeliveries", () => {
  it("answers a message delivered again while its answer runs only once", async () => {
    const { engine, responder } = core(quick);
    const ch = new Channel();
    const { q } = question("質問");
    const [first, again] = await Promise.all([responder.answer(q, ch), responder.answer(q, ch)]);
    expect(first).toMatchObject({ kind: "answered" });
    expect(again).toEqual({ kind: "duplicate" });
    expect(ch.texts).toEqual(["はい。"]);
    expect(engine.calls).toHaveLength(1);
  });
});

describe("chat core intake: deleted questions", () => {
  it("never starts a question deleted before the core had it, and posts nothing", async () => {
    const { engine, responder } = core(quick);
    const ch = new Channel();
    const { q, loader } = question("質問");
    // The deletion arrived first (no answer was running, so nothing was cancelled).
    expect(responder.cancelSource(q.sourceKey)).toBe(false);
    expect(await responder.answer(q, ch)).toEqual({ kind: "cancelled" });
    expect(ch.texts).toEqual([]);
    expect(loader).not.toHaveBeenCalled();
    expect(engine.calls).toHaveLength(0);
  });

  it("stops a question deleted while its history was read: the placeholder says so, nothing is generated", async () => {
    const { engine, responder } = core(quick);
    const ch = new Channel();
    let release!: (turns: readonly ChatTurn[]) => void;
    const { q, loader } = question("質問", {}, () => new Promise((resolve) => (release = resolve)));
    const answering = responder.answer(q, ch);
    await vi.waitFor(() => expect(loader).toHaveBeenCalled());
    expect(responder.cancelSource(q.sourceKey)).toBe(true);
    release([]);
    expect(await answering).toEqual({ kind: "cancelled" });
    expect(ch.texts).toEqual([messages.cancelled]);
    expect(engine.calls).toHaveLength(0);
  });
});

describe("chat core shutdown", () => {
  it("ends the running and the waiting answer visibly, refuses new questions, and is safe to call twice", async () => {
    const { engine, responder } = core(() => ({ chunks: ["途中まで", "続き"], hangAfterChunks: 1 }));
    const running = new Channel();
    const waiting = new Channel();
    const a = responder.answer(question("長い質問").q, running);
    await vi.waitFor(() => expect(running.texts[0]).toContain("途中まで"));
    const b = responder.answer(question("待っている質問").q, waiting);
    await vi.waitFor(() => expect(waiting.texts).toEqual([messages.queued(1)]));

    const first = responder[Symbol.asyncDispose]();
    const second = responder[Symbol.asyncDispose]();
    await Promise.all([first, second]);
    expect(await a).toEqual({ kind: "cancelled" });
    expect(await b).toEqual({ kind: "cancelled" });
    expect(running.texts).toEqual([`途中まで\n\n${messages.cutByShutdown}`]);
    expect(waiting.texts).toEqual([messages.shuttingDown]);
    expect(engine.calls).toHaveLength(1);

    const late = new Channel();
    const after = question("停止中の質問");
    expect(await responder.answer(after.q, late)).toEqual({ kind: "refused", reason: messages.shuttingDown });
    expect(late.texts).toEqual([messages.shuttingDown]);
    expect(after.loader).not.toHaveBeenCalled();
  });
});
