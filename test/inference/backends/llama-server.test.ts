// OpenAI-compatible backends against the REAL llama.cpp llama-server (built from node-llama-cpp's
// source bundle, on 127.0.0.1) and the real in-process node-llama-cpp engine, through the bot's one
// queue: streaming, sampling passed through, two backends sharing the load, cancel freeing the
// server's slot, a server killed mid-stream (visible error, partial text kept), killed before a
// request (retried on the other backend), and coming back into rotation by itself.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendPool, type PoolMember } from "../../../src/inference/backends/backend-pool.js";
import { BackendError, BackendStreamError, BackendsUnavailableError } from "../../../src/inference/backends/errors.js";
import { OpenAiBackend } from "../../../src/inference/backends/openai-backend.js";
import { LlamaEngine } from "../../../src/inference/engine.js";
import { ContextOverflowError } from "../../../src/inference/errors.js";
import { InferenceQueue } from "../../../src/inference/queue.js";
import type { InferenceRequest } from "../../../src/inference/queue-types.js";
import type { Engine } from "../../../src/inference/types.js";
import type { LlamaServerProcess } from "../../../src/llama-server/process.js";
import { LLAMA_SERVER_HOOK_TIMEOUT, startTestLlamaServer } from "../../helpers/llama-server.js";
import { asciiModelPath, tinyModelPath } from "../../helpers/test-model.js";

const SAMPLING = { temperature: 0.6, topP: 0.9, maxTokens: 16, seed: 1 };
const FOREVER = 600_000;
const conversation = { systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。", turns: [{ role: "user" as const, text: "日本の首都は？" }] };

function serverBackend(server: LlamaServerProcess, name = "server", slots = 2): OpenAiBackend {
  return new OpenAiBackend({ name, baseUrl: `${server.url}/v1`, model: "test-model", slots });
}

function member(backend: OpenAiBackend): PoolMember {
  return { name: backend.name, kind: "openai", engine: backend, slots: backend.parallel, check: () => backend.check() };
}

/** The in-process engine as a pool member that the pool may not dispose (the test file owns it). */
function localMember(engine: LlamaEngine): PoolMember {
  const shared: Engine = { parallel: engine.parallel, modelName: engine.modelName, generate: (o) => engine.generate(o), [Symbol.asyncDispose]: async () => {} };
  return { name: "local", kind: "in-process", engine: shared, slots: engine.parallel };
}

function queueOver(pool: BackendPool): InferenceQueue {
  return new InferenceQueue(pool, {
    sampling: SAMPLING,
    maxWaiting: 100,
    maxPerUser: 100,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
  });
}

/** The tokens llama-server reports it generated so far (its Prometheus /metrics). */
async function tokensPredicted(server: LlamaServerProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("llamacpp:tokens_predicted_total"));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

describe("OpenAI-compatible backends on the real llama-server", () => {
  let server: LlamaServerProcess;
  let local: LlamaEngine;

  beforeAll(async () => {
    server = await startTestLlamaServer({ parallel: 2 });
    local = await LlamaEngine.load({ modelPath: await asciiModelPath(), gpu: false, threads: 1, parallel: 2, contextSize: 4096, batchSize: 256 });
  }, LLAMA_SERVER_HOOK_TIMEOUT);
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
    await local?.[Symbol.asyncDispose]();
  });

  it("streams an answer with the server's token counts and stop reason", async () => {
    const backend = serverBackend(server);
    const chunks: string[] = [];
    const result = await backend.generate({ conversation, sampling: SAMPLING, onTextChunk: (c) => chunks.push(c) });
    expect(result.stopReason).toBe("length");
    expect(result.completionTokens).toBe(16);
    expect(result.promptTokens).toBeGreaterThan(10);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(result.text);
    expect(result.timings.firstTokenMs).not.toBeNull();
    // Sampling goes through: the same seed gives the same text, another max_tokens another length.
    const again = await backend.generate({ conversation, sampling: SAMPLING });
    expect(again.text).toBe(result.text);
    const shorter = await backend.generate({ conversation, sampling: { ...SAMPLING, maxTokens: 5 } });
    expect(shorter.completionTokens).toBe(5);
    expect(result.text.startsWith(shorter.text)).toBe(true);
  });

  it("answers through the bot's queue, and shares the load with the in-process engine", async () => {
    const pool = await BackendPool.open([localMember(local), member(serverBackend(server))]);
    expect(pool.parallel).toBe(4);
    const queue = queueOver(pool);
    const requests = [1, 2, 3, 4].map((i): InferenceRequest => ({
      userId: `u${i}`,
      priority: "interactive",
      conversation,
      sampling: { maxTokens: 64, seed: i },
    }));
    const results = await Promise.all(requests.map((r) => queue.submit(r).result));
    for (const r of results) expect(r.stopReason).toBe("length");
    // Four at once: the in-process engine's two slots first (configured order), the server's two.
    expect(pool.status().map((s) => [s.name, s.served])).toEqual([
      ["local", 2],
      ["server", 2],
    ]);
    await pool[Symbol.asyncDispose]();
  });

  it("cancelling mid-stream aborts the HTTP stream and frees the server's slot", async () => {
    const backend = serverBackend(server);
    const before = await tokensPredicted(server);
    const stop = new AbortController();
    let streaming!: () => void;
    const started = new Promise<void>((resolve) => (streaming = resolve));
    const running = backend.generate({ conversation, sampling: { ...SAMPLING, maxTokens: 3000 }, signal: stop.signal, onTextChunk: () => streaming() });
    await started;
    const busyWhileStreaming = await backend.busySlots();
    stop.abort();
    const result = await running;
    expect(result.stopReason).toBe("aborted");
    expect(result.text.length).toBeGreaterThan(0);
    expect(busyWhileStreaming).toBe(1);
    await expect.poll(() => backend.busySlots()).toBe(0);
    // The server stopped generating: far fewer than the 3000 tokens asked for.
    expect((await tokensPredicted(server)) - before).toBeLessThan(3000);
  });

  it("a request to a server that is down fails as unreachable; a question too long for its context is the caller's error", async () => {
    const nowhere = new OpenAiBackend({ name: "nowhere", baseUrl: "http://127.0.0.1:9/v1", model: "m", slots: 1 });
    const error = await nowhere.generate({ conversation, sampling: SAMPLING }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ kind: "unreachable", backendFault: true });
    await expect(nowhere.check()).rejects.toMatchObject({ kind: "unreachable" });

    // llama-server's 400 for a question longer than its context: the user is told to shorten it.
    const tooLong = { systemPrompt: "", turns: [{ role: "user" as const, text: "the ".repeat(6000) }] };
    const refused = await serverBackend(server)
      .generate({ conversation: tooLong, sampling: SAMPLING })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ContextOverflowError);
    expect(refused).toMatchObject({ availableTokens: 4096 });
    expect((refused as ContextOverflowError).neededTokens).toBeGreaterThan(4096);
  });

  it("a conversation longer than the server's context is sent again without its oldest turns, and says how many", async () => {
    const turns = [];
    for (let i = 0; i < 3; i++)
      turns.push({ role: "user" as const, text: `${i} ${"the ".repeat(1500)}` }, { role: "assistant" as const, text: "ok ".repeat(200) });
    turns.push({ role: "user" as const, text: "the last question" });
    const result = await serverBackend(server).generate({ conversation: { systemPrompt: "", turns }, sampling: SAMPLING });
    expect(result.stopReason === "done" || result.stopReason === "length").toBe(true);
    expect(result.trimmedTurns).toBeGreaterThan(0);
    expect(result.trimmedTurns % 2).toBe(0); // the kept history starts on a question
    expect(result.promptTokens).toBeGreaterThan(0);
    expect(result.promptTokens).toBeLessThan(4096);
  });
});

describe("llama-server and output that is not valid UTF-8", () => {
  it("a stream the server aborts (a byte-level model cut a character in half) is a backend error, never a silent stop", async () => {
    // The plain random model emits half characters; llama-server then ends the stream with an error event.
    const server = await startTestLlamaServer({ parallel: 1, modelPath: await tinyModelPath() });
    try {
      const backend = serverBackend(server, "server", 1);
      let streamed = "";
      const error = await backend
        .generate({ conversation, sampling: { temperature: 1, topP: 1, maxTokens: 64, seed: 1 }, onTextChunk: (c) => (streamed += c) })
        .catch((e: unknown) => e);
      const failure = error instanceof BackendStreamError ? error.failure : error;
      expect(failure).toBeInstanceOf(BackendError);
      expect(failure).toMatchObject({ kind: "server", backendFault: true });
      expect((failure as Error).message).toMatch(/^backend server: the stream reported an error: /);
      if (error instanceof BackendStreamError) expect(error.partialText).toBe(streamed);
      else expect(streamed).toBe("");
    } finally {
      await server[Symbol.asyncDispose]();
    }
  });
});

describe("llama-server faults, through the pool and the queue", () => {
  let local: LlamaEngine;

  beforeAll(async () => {
    local = await LlamaEngine.load({ modelPath: await asciiModelPath(), gpu: false, threads: 1, parallel: 1, contextSize: 4096, batchSize: 256 });
  }, LLAMA_SERVER_HOOK_TIMEOUT);
  afterAll(async () => {
    await local?.[Symbol.asyncDispose]();
  });

  it("a server killed mid-stream ends the answer with a visible error and its partial text", async () => {
    const server = await startTestLlamaServer({ parallel: 1 });
    try {
      const pool = await BackendPool.open([member(serverBackend(server, "server", 1)), localMember(local)]);
      const queue = queueOver(pool);
      let streamed = "";
      const ticket = queue.submit({
        userId: "u",
        priority: "interactive",
        conversation,
        sampling: { maxTokens: 3000 },
        onTextChunk: (chunk) => {
          if (streamed === "") void server.kill();
          streamed += chunk;
        },
      });
      const error = await ticket.result.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendStreamError);
      const failure = error as BackendStreamError;
      expect(failure.partialText).toBe(streamed);
      expect(failure.partialText.length).toBeGreaterThan(0);
      expect(failure.message).toMatch(/^backend server: /);
      // Not retried elsewhere (the text was already shown), and the server is out of rotation.
      expect(pool.status().map((s) => [s.name, s.state, s.served])).toEqual([
        ["server", "down", 0],
        ["local", "up", 0],
      ]);
      await pool[Symbol.asyncDispose]();
    } finally {
      await server.kill();
    }
  });

  it("a request to a server killed before it is retried on the other backend; the server comes back by itself", async () => {
    let server = await startTestLlamaServer({ parallel: 1 });
    const port = server.port;
    const logs: string[] = [];
    // No periodic check before the request: the pool still believes the server is up.
    const pool = await BackendPool.open([member(serverBackend(server, "server", 1)), localMember(local)], {
      checkIntervalMs: FOREVER,
      retryMinMs: 50,
      retryMaxMs: 200,
      log: (_level, message) => logs.push(message),
    });
    const queue = queueOver(pool);
    try {
      await server.kill();
      const result = await queue.submit({ userId: "u", priority: "interactive", conversation }).result;
      expect(result.stopReason).toBe("length");
      expect(pool.status().map((s) => [s.name, s.state, s.served])).toEqual([
        ["server", "down", 0],
        ["local", "up", 1],
      ]);
      expect(logs.join("\n")).toMatch(/backend server is out of rotation: cannot reach POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);

      server = await startTestLlamaServer({ parallel: 1, port });
      await expect.poll(() => pool.status()[0]!.state, { timeout: 30_000 }).toBe("up");
      expect(logs.join("\n")).toMatch(/backend server is back in rotation/);
      await queue.submit({ userId: "u", priority: "interactive", conversation }).result;
      expect(pool.status()[0]!.served).toBe(1);
    } finally {
      await server.kill();
      await pool[Symbol.asyncDispose]();
    }
    // Everything down: refused at once with the reason, not left waiting.
    const alone = await BackendPool.open([member(serverBackend(server, "server", 1))], { retryMinMs: FOREVER });
    const refused = await queueOver(alone)
      .submit({ userId: "u", priority: "interactive", conversation })
      .result.catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackendsUnavailableError);
    expect((refused as Error).message).toMatch(/^no inference backend is available: server \(cannot reach GET /);
    await alone[Symbol.asyncDispose]();
  });
});
