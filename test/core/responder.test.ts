// The chat core end to end: real InferenceQueue + ScriptedEngine, a fake in-memory ReplyChannel
// that records every post and edit with its time. Real timers with short intervals.

import { afterEach, describe, expect, it, vi } from "vitest";
import type { AccessConfig } from "../../src/core/access.js";
import { messages } from "../../src/core/messages.js";
import { Responder } from "../../src/core/responder.js";
import { fits } from "../../src/core/split.js";
import {
  MessageDeletedError,
  type AnswerOutcome,
  type IncomingQuestion,
  type MessageLimits,
  type PostedMessage,
  type ReplyChannel,
} from "../../src/core/types.js";
import { BackendsUnavailableError } from "../../src/inference/backends/errors.js";
import { InferenceQueue, type InferenceQueueOptions } from "../../src/inference/queue.js";
import type { GenerateOptions } from "../../src/inference/types.js";
import { ScriptedEngine, type ScriptedAnswer } from "../helpers/scripted-engine.js";

const OPEN: AccessConfig = { allowedChannels: [], allowedUsers: [], allowedRoles: [], probeAdmins: [], ratePerMinute: 0 };
const FOREVER = 600_000;

interface Write {
  readonly kind: "post" | "edit";
  readonly at: number;
  readonly text: string;
}

/** An in-memory ReplyChannel: each message keeps the history of its texts. */
class FakeChannel implements ReplyChannel {
  readonly messages: { id: string; writes: Write[] }[] = [];
  inFlight = 0;
  maxInFlightPerMessage = 0;
  private readonly perMessage = new Map<string, number>();
  postHook: ((text: string) => Promise<void>) | null = null;
  editHook: ((message: PostedMessage, text: string) => Promise<void>) | null = null;

  readonly format?: (markdown: string) => string;

  constructor(
    readonly limits: MessageLimits = { maxChars: 2000 },
    private readonly latencyMs = 2,
    format?: (markdown: string) => string,
  ) {
    // A channel without a dialect has no format at all (not one set to undefined).
    if (format) this.format = format;
  }

  async post(text: string): Promise<PostedMessage> {
    await this.postHook?.(text);
    const at = Date.now();
    await sleep(this.latencyMs);
    const id = `m${this.messages.length + 1}`;
    this.messages.push({ id, writes: [{ kind: "post", at, text }] });
    return { id };
  }

  async edit(message: PostedMessage, text: string): Promise<void> {
    const at = Date.now();
    const n = (this.perMessage.get(message.id) ?? 0) + 1;
    this.perMessage.set(message.id, n);
    this.maxInFlightPerMessage = Math.max(this.maxInFlightPerMessage, n);
    try {
      await this.editHook?.(message, text);
      await sleep(this.latencyMs);
      this.find(message.id).writes.push({ kind: "edit", at, text });
    } finally {
      this.perMessage.set(message.id, this.perMessage.get(message.id)! - 1);
    }
  }

  find(id: string) {
    const m = this.messages.find((x) => x.id === id);
    if (!m) throw new Error(`no message ${id}`);
    return m;
  }

  /** Current text of every message. */
  texts(): string[] {
    return this.messages.map((m) => m.writes.at(-1)!.text);
  }

  history(index: number): string[] {
    return this.messages[index]?.writes.map((w) => w.text) ?? [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

let sourceCounter = 0;
function question(text: string, over: Partial<IncomingQuestion> = {}): IncomingQuestion {
  return {
    asker: { platform: "discord", userId: `user-${text}`, roleIds: [] },
    channelId: "c1",
    isDirect: false,
    text,
    loadHistory: async () => [],
    sourceKey: `src-${++sourceCounter}`,
    ...over,
  };
}

interface World {
  readonly engine: ScriptedEngine;
  readonly queue: InferenceQueue;
  readonly responder: Responder;
}

const queues: InferenceQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.cancelAll("test over");
});

function world(
  answers: Record<string, ScriptedAnswer>,
  options: {
    parallel?: number;
    access?: Partial<AccessConfig>;
    editIntervalMs?: number;
    queue?: Partial<Omit<InferenceQueueOptions, "timeouts">> & { timeouts?: Partial<InferenceQueueOptions["timeouts"]> };
    now?: () => number;
    platformTimeoutMs?: number;
  } = {},
): World {
  const engine = new ScriptedEngine(options.parallel ?? 1, (o: GenerateOptions) => {
    const q = o.conversation.turns.at(-1)?.text ?? "";
    return answers[q] ?? { chunks: ["はい", "。"], chunkDelayMs: 1 };
  });
  const queue = new InferenceQueue(engine, {
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: 1200 },
    maxWaiting: options.queue?.maxWaiting ?? 100,
    maxPerUser: options.queue?.maxPerUser ?? 100,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER, ...options.queue?.timeouts },
  });
  queues.push(queue);
  const responder = new Responder({
    queue,
    systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。",
    editIntervalMs: options.editIntervalMs ?? 20,
    access: { ...OPEN, ...options.access },
    ...(options.now ? { now: options.now } : {}),
    ...(options.platformTimeoutMs !== undefined ? { platformTimeoutMs: options.platformTimeoutMs } : {}),
  });
  return { engine, queue, responder };
}

/** Chunks of `text` of `size` code points. */
function chunked(text: string, size: number): string[] {
  const cps = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(""));
  return out;
}

describe("Responder: placeholder and streaming", () => {
  it("shows queue positions, then 考え中…, then the streamed answer", async () => {
    const { responder } = world({
      A: { chunks: ["A"], firstChunkDelayMs: 150 },
      B: { chunks: ["東京", "です", "。"], firstChunkDelayMs: 120, chunkDelayMs: 40 },
      C: { chunks: ["富士山", "です", "。"], chunkDelayMs: 40 },
    });
    const a = new FakeChannel();
    const b = new FakeChannel();
    const c = new FakeChannel();
    const pa = responder.answer(question("A"), a);
    await vi.waitFor(() => expect(a.messages.length === 1, "A's placeholder").toBeTruthy(), { timeout: 5000 });
    const pb = responder.answer(question("B"), b);
    const pc = responder.answer(question("C"), c);
    const [oa, ob, oc] = await Promise.all([pa, pb, pc]);

    expect(oa).toEqual({ kind: "answered", text: "A", messages: 1 });
    expect(ob).toEqual({ kind: "answered", text: "東京です。", messages: 1 });
    expect(oc).toEqual({ kind: "answered", text: "富士山です。", messages: 1 });
    // The placeholder goes up before the history is read, then shows the queue position once known.
    expect(a.history(0)[0]).toBe(messages.thinking);
    expect(b.history(0)[0]).toBe(messages.thinking);
    expect(b.history(0)).toContain(messages.queued(1));
    expect(b.history(0).at(-1)).toBe("東京です。");
    expect(c.history(0)[0]).toBe(messages.thinking);
    expect(c.history(0)).toContain(messages.queued(1));
    expect(c.history(0).at(-1)).toBe("富士山です。");
    // The streamed text only grows, from the placeholder to the answer.
    const streamed = b.history(0).filter((t) => !t.startsWith("順番待ち") && t !== messages.thinking);
    for (let i = 1; i < streamed.length; i++) expect(streamed[i]!.startsWith(streamed[i - 1]!)).toBe(true);
  });

  it("edits each message at most once per interval, one edit in flight, and ends with the complete text", async () => {
    const answer = "これは長い回答です。".repeat(40);
    const { responder } = world({ Q: { chunks: chunked(answer, 2), chunkDelayMs: 3 } }, { editIntervalMs: 100 });
    const ch = new FakeChannel({ maxChars: 2000 }, 15);
    const outcome = await responder.answer(question("Q"), ch);
    expect(outcome).toEqual({ kind: "answered", text: answer, messages: 1 });
    expect(ch.texts()).toEqual([answer]);
    expect(ch.maxInFlightPerMessage).toBe(1);
    const writes = ch.messages[0]!.writes;
    expect(writes.length).toBeGreaterThan(3);
    // Every write but the final flush waits for the interval (timers may fire ~1 ms early).
    for (let i = 1; i < writes.length - 1; i++) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(99);
  });

  it("shares the edit budget between answers streaming in the same channel", async () => {
    const stream: ScriptedAnswer = { chunks: Array(60).fill("字"), chunkDelayMs: 8 };
    const { responder } = world({ A: stream, B: stream }, { parallel: 2, editIntervalMs: 80 });
    const a = new FakeChannel({ maxChars: 2000 }, 1);
    const b = new FakeChannel({ maxChars: 2000 }, 1);
    await Promise.all([responder.answer(question("A"), a), responder.answer(question("B"), b)]);
    expect(a.texts()).toEqual(["字".repeat(60)]);
    expect(b.texts()).toEqual(["字".repeat(60)]);
    // All edits in channel c1 but each message's final one (forced through) are 80 ms apart.
    const paced = [a, b]
      .flatMap((ch) => ch.messages[0]!.writes.filter((w) => w.kind === "edit").slice(0, -1))
      .map((w) => w.at)
      .sort((x, y) => x - y);
    expect(paced.length).toBeGreaterThan(2);
    for (let i = 1; i < paced.length; i++) expect(paced[i]! - paced[i - 1]!).toBeGreaterThanOrEqual(79);
  });

  it("splits a long answer into continuation messages within the limits (chars and bytes), code fences closed and reopened", async () => {
    const code = Array.from({ length: 30 }, (_, i) => `print("${i}番目の行です")`).join("\n");
    const answer = `${"日本語の説明文です。".repeat(30)}\n\n\`\`\`python\n${code}\n\`\`\`\n\n${"まとめです！".repeat(40)}`;
    const limits = { maxChars: 300, maxBytes: 600 };
    const { responder } = world({ Q: { chunks: chunked(answer, 7), chunkDelayMs: 1 } }, { editIntervalMs: 10 });
    const ch = new FakeChannel(limits, 1);
    const outcome = await responder.answer(question("Q"), ch);
    expect(outcome.kind).toBe("answered");
    const finals = ch.texts();
    expect(finals.length).toBeGreaterThan(3);
    if (outcome.kind === "answered") expect(outcome.messages).toBe(finals.length);
    for (const [i, m] of ch.messages.entries()) {
      // Every state a message ever showed fitted, not only the final one.
      for (const w of m.writes) expect(fits(w.text, limits), `message ${i}: ${w.text.length} chars`).toBe(true);
    }
    for (const t of finals.slice(0, -1)) expect(t.split("\n").filter((l) => l.startsWith("```")).length % 2).toBe(0);
    const reopened = finals.filter((t) => t.startsWith("```python\n"));
    expect(reopened.length).toBeGreaterThan(0);
    // Nothing lost: the same content once the fence lines are ignored.
    const content = (s: string) => s.replace(/^```.*$/gm, "").replace(/\s+/g, "");
    expect(content(finals.join("\n"))).toBe(content(answer));
  });

  it("applies the platform's format to the text", async () => {
    const { responder } = world({ Q: { chunks: ["**太字**", "です。"], chunkDelayMs: 1 } });
    const ch = new FakeChannel({ maxChars: 2000 }, 1, (md) => md.replace(/\*\*(.+?)\*\*/g, "*$1*"));
    await responder.answer(question("Q"), ch);
    expect(ch.texts()).toEqual(["*太字*です。"]);
  });

  it("passes the history and the system prompt, as an interactive request of the platform user", async () => {
    const { engine, responder } = world({});
    const ch = new FakeChannel();
    await responder.answer(
      question("続きは？", {
        loadHistory: async () => [
          { role: "user", text: "昔話をして" },
          { role: "assistant", text: "むかしむかし" },
        ],
      }),
      ch,
    );
    expect(engine.calls[0]!.conversation).toEqual({
      systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。",
      turns: [
        { role: "user", text: "昔話をして" },
        { role: "assistant", text: "むかしむかし" },
        { role: "user", text: "続きは？" },
      ],
    });
  });
});

describe("Responder: refusals", () => {
  it("refuses a channel or a user that is not allowed, before queueing", async () => {
    const { engine, responder } = world({}, { access: { allowedChannels: ["c-ok"], allowedUsers: ["vip"] } });
    const ch = new FakeChannel();
    expect(await responder.answer(question("Q", { channelId: "c-other" }), ch)).toEqual({ kind: "refused", reason: messages.channelNotAllowed });
    expect(await responder.answer(question("Q", { channelId: "c-ok" }), ch)).toEqual({ kind: "refused", reason: messages.userNotAllowed });
    expect(ch.texts()).toEqual([messages.channelNotAllowed, messages.userNotAllowed]);
    expect(engine.calls).toHaveLength(0);
  });

  it("refuses beyond the rate limit, saying when to retry", async () => {
    let now = 1_000_000;
    const { responder } = world({}, { access: { ratePerMinute: 2 }, now: () => now });
    const ch = new FakeChannel();
    const asker = { platform: "slack", userId: "U1", roleIds: [] };
    expect((await responder.answer(question("a", { asker }), ch)).kind).toBe("answered");
    now += 10_000;
    expect((await responder.answer(question("b", { asker }), ch)).kind).toBe("answered");
    const refused = await responder.answer(question("c", { asker }), ch);
    expect(refused).toEqual({ kind: "refused", reason: messages.rateLimited(2, 50) });
    expect(ch.texts().at(-1)).toContain("50秒後");
    now += 50_000;
    expect((await responder.answer(question("d", { asker }), ch)).kind).toBe("answered");
  });

  it("answers an empty question with a short help, without using up the rate limit", async () => {
    const { engine, responder } = world({}, { access: { ratePerMinute: 1 } });
    const ch = new FakeChannel();
    expect(await responder.answer(question("  \n"), ch)).toEqual({ kind: "refused", reason: messages.emptyQuestion });
    expect(ch.texts()).toEqual([messages.emptyQuestion]);
    expect(engine.calls).toHaveLength(0);
    expect((await responder.answer(question("Q"), ch)).kind).toBe("answered");
  });

  it("refuses with the queue's reason in Japanese: the user's share, then the whole queue", async () => {
    const slow: ScriptedAnswer = { chunks: ["…"], firstChunkDelayMs: 300 };
    const { responder } = world({ slow, other: slow }, { queue: { maxPerUser: 1, maxWaiting: 0 } });
    const asker = { platform: "discord", userId: "same", roleIds: [] };
    const first = responder.answer(question("slow", { asker }), new FakeChannel());
    const ch = new FakeChannel();
    expect(await responder.answer(question("again", { asker }), ch)).toEqual({ kind: "refused", reason: messages.userLimit });
    // One running, none may wait: another user is refused too.
    expect(await responder.answer(question("other"), ch)).toEqual({ kind: "refused", reason: messages.queueFull });
    expect(ch.texts()).toEqual([messages.userLimit, messages.queueFull]);
    expect((await first).kind).toBe("answered");
  });
});

describe("Responder: timeouts and errors", () => {
  it("turns the placeholder into a message naming the cause", async () => {
    const cases: { name: string; answer: ScriptedAnswer; timeouts: Partial<InferenceQueueOptions["timeouts"]>; expected: string; reason: RegExp }[] = [
      {
        name: "first token",
        answer: { chunks: ["x"], firstChunkDelayMs: 2000 },
        timeouts: { firstTokenMs: 60 },
        expected: messages.timeout("first_token"),
        reason: /first_token/,
      },
      {
        name: "engine error",
        answer: { chunks: [], fail: new Error("CUDA out of memory") },
        timeouts: {},
        expected: messages.engineError,
        reason: /CUDA out of memory/,
      },
      {
        name: "no backend",
        answer: { chunks: [], fail: new BackendsUnavailableError([{ backend: "gpu2", reason: "connection refused" }]) },
        timeouts: {},
        expected: messages.backendsUnavailable,
        reason: /^no inference backend is available: gpu2 \(connection refused\)$/,
      },
    ];
    for (const c of cases) {
      const { responder } = world({ Q: c.answer }, { queue: { timeouts: c.timeouts } });
      const ch = new FakeChannel();
      const outcome = await responder.answer(question("Q"), ch);
      expect(outcome.kind, c.name).toBe("failed");
      if (outcome.kind === "failed") expect(outcome.reason, c.name).toMatch(c.reason);
      expect(ch.texts(), c.name).toEqual([c.expected]);
      expect(ch.history(0)[0], c.name).toBe(messages.thinking);
    }
  });

  it("says so when the wait in the queue was too long", async () => {
    const { responder } = world({ block: { chunks: ["x"], firstChunkDelayMs: 400 } }, { queue: { timeouts: { queueWaitMs: 80 } } });
    const blocker = responder.answer(question("block"), new FakeChannel());
    const ch = new FakeChannel();
    const outcome = await responder.answer(question("Q"), ch);
    expect(outcome).toMatchObject({ kind: "failed", reason: expect.stringMatching(/queue_wait/) });
    expect(ch.history(0)[0]).toBe(messages.thinking);
    expect(ch.history(0)).toContain(messages.queued(1));
    expect(ch.history(0).at(-1)).toBe(messages.timeout("queue_wait"));
    await blocker;
  });

  it("keeps the partial answer and adds a note when the total time runs out", async () => {
    const { responder } = world({ Q: { chunks: Array(100).fill("あ"), chunkDelayMs: 5 } }, { queue: { timeouts: { totalMs: 120 } } });
    const ch = new FakeChannel();
    const outcome = await responder.answer(question("Q"), ch);
    expect(outcome).toMatchObject({ kind: "failed", reason: expect.stringMatching(/total/) });
    const final = ch.texts()[0]!;
    expect(final).toMatch(/^あ+\n\n/);
    expect(final.endsWith(messages.cutByTimeout)).toBe(true);
  });

  it("reports an empty answer visibly", async () => {
    const { responder } = world({ Q: { chunks: [] } });
    const ch = new FakeChannel();
    expect(await responder.answer(question("Q"), ch)).toEqual({ kind: "failed", reason: "empty answer" });
    expect(ch.texts()).toEqual([messages.emptyAnswer]);
  });

  it("notes an answer cut by the token limit", async () => {
    const { engine, responder } = world({});
    // maxTokens 2 and two chunks: the scripted engine reports stopReason "length".
    const q = new InferenceQueue(engine, {
      sampling: { temperature: 0.6, topP: 0.9, maxTokens: 2 },
      maxWaiting: 10,
      maxPerUser: 10,
      timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
    });
    void responder;
    const r = new Responder({ queue: q, systemPrompt: "s", editIntervalMs: 10, access: OPEN });
    const ch = new FakeChannel();
    expect(await r.answer(question("Q"), ch)).toMatchObject({ kind: "answered", text: "はい。" });
    expect(ch.texts()).toEqual([`はい。\n\n${messages.cutByLength}`]);
  });
});

describe("Responder: cancellation", () => {
  it("cancelSource stops a running generation (the engine sees the abort) and marks the message", async () => {
    const { engine, responder } = world({ Q: { chunks: Array(200).fill("長"), chunkDelayMs: 10 } });
    const ch = new FakeChannel();
    const q = question("Q");
    const pending = responder.answer(q, ch);
    await vi.waitFor(() => expect(ch.texts()[0]?.startsWith("長長長") ?? false, "some text").toBeTruthy(), { timeout: 5000 });
    expect(responder.cancelSource(q.sourceKey)).toBe(true);
    const outcome = await pending;
    expect(outcome).toEqual({ kind: "cancelled" });
    expect(engine.calls[0]!.signal?.aborted).toBe(true);
    const final = ch.texts()[0]!;
    expect(final).toMatch(/^長+\n\n/);
    expect(final.endsWith(messages.cutByCancel)).toBe(true);
    expect(final.length).toBeLessThan(200 + 50);
    expect(responder.cancelSource(q.sourceKey)).toBe(false);
    expect(responder.activeCount).toBe(0);
  });

  it("cancelSource of a waiting question takes it out of the queue", async () => {
    const { engine, responder } = world({ block: { chunks: ["x"], firstChunkDelayMs: 200 } });
    const blocker = responder.answer(question("block"), new FakeChannel());
    const ch = new FakeChannel();
    const q = question("Q");
    const pending = responder.answer(q, ch);
    await vi.waitFor(() => expect(ch.texts()[0] === messages.queued(1), "queued placeholder").toBeTruthy(), { timeout: 5000 });
    expect(responder.cancelSource(q.sourceKey)).toBe(true);
    expect(await pending).toEqual({ kind: "cancelled" });
    expect(ch.texts()).toEqual([messages.cancelled]);
    await blocker;
    expect(engine.calls.map((c) => c.conversation.turns.at(-1)?.text)).toEqual(["block"]);
  });
});

describe("Responder: platform failures never crash or hang", () => {
  const long: ScriptedAnswer = { chunks: Array(300).fill("あ"), chunkDelayMs: 5 };

  it("a rejected post fails the answer and stops the generation", async () => {
    const { engine, queue, responder } = world({ Q: long });
    const ch = new FakeChannel();
    ch.postHook = async () => {
      throw new Error("channel_not_found");
    };
    const outcome = await responder.answer(question("Q"), ch);
    expect(outcome).toEqual({ kind: "failed", reason: "post failed: channel_not_found" });
    await queue.onIdle();
    expect(engine.calls[0]?.signal?.aborted ?? true).toBe(true);
  });

  it("a rejected edit fails the answer and stops the generation", async () => {
    const { engine, responder } = world({ Q: long });
    const ch = new FakeChannel();
    ch.editHook = async () => {
      throw new Error("rate limited");
    };
    const started = Date.now();
    const outcome = await responder.answer(question("Q"), ch);
    expect(outcome).toEqual({ kind: "failed", reason: "edit failed: rate limited" });
    expect(engine.calls[0]!.signal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000); // did not run the 1.5 s answer to the end
    // The broken-off answer is not left looking complete: a notice follows it.
    expect(ch.messages.at(-1)!.writes.map((w) => w.text)).toEqual([messages.cutByError]);
  });

  it("an edit that never answers times out instead of hanging", async () => {
    const { engine, responder } = world({ Q: long }, { platformTimeoutMs: 150 });
    const ch = new FakeChannel();
    ch.editHook = () => new Promise(() => {});
    const outcome = await responder.answer(question("Q"), ch);
    expect(outcome).toMatchObject({ kind: "failed", reason: expect.stringMatching(/edit failed: edit timed out after 150 ms/) });
    expect(engine.calls[0]!.signal?.aborted).toBe(true);
  });

  it("the bot's own message deleted (MessageDeletedError) cancels the answer", async () => {
    const { engine, responder } = world({ Q: long });
    const ch = new FakeChannel();
    ch.editHook = async () => {
      throw new MessageDeletedError("Unknown Message");
    };
    expect(await responder.answer(question("Q"), ch)).toEqual({ kind: "cancelled" });
    expect(engine.calls[0]!.signal?.aborted).toBe(true);
    expect(ch.messages).toHaveLength(1); // nothing posted after a deletion
  });

  it("a refusal that cannot be posted is reported as failed, not silently dropped", async () => {
    const { responder } = world({}, { access: { allowedChannels: ["elsewhere"] } });
    const ch = new FakeChannel();
    ch.postHook = async () => {
      throw new Error("not_in_channel");
    };
    const outcome: AnswerOutcome = await responder.answer(question("Q"), ch);
    expect(outcome).toMatchObject({ kind: "failed", reason: expect.stringMatching(/not_in_channel/) });
  });

  it("a final edit that fails is reported", async () => {
    const { responder } = world({ Q: { chunks: ["は", "い"], chunkDelayMs: 1 } });
    const ch = new FakeChannel();
    ch.editHook = async (_m, text) => {
      if (text === "はい") throw new Error("message too long");
    };
    expect(await responder.answer(question("Q"), ch)).toEqual({ kind: "failed", reason: "edit failed: message too long" });
  });
});
