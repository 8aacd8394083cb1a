// One lifecycle verb: everything that holds a model, a database, a port or requests ends with
// `[Symbol.asyncDispose]()` (so `await using` works), and disposing twice — one after the other or
// both at once — is safe and leaves it closed.

import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { openInference } from "../src/app/inference.js";
import { createJudge } from "../src/app/judge.js";
import { openProbe } from "../src/app/probe-service.js";
import { Journal } from "../src/core/journal.js";
import { loadConfig } from "../src/config/load.js";
import { HttpServer } from "../src/http/server.js";
import { BackendPool } from "../src/inference/backends/backend-pool.js";
import { LlamaEngine } from "../src/inference/engine.js";
import { InferenceQueue } from "../src/inference/queue.js";
import type { Engine } from "../src/inference/types.js";
import { ProbeHistory } from "../src/probe/history-store.js";
import { ScriptedEngine } from "./helpers/scripted-engine.js";
import { tinyModelPath } from "./helpers/test-model.js";

const FOREVER = 600_000;
const tempDir = () => mkdtempSync(path.join(os.tmpdir(), "elyza-lifecycle-"));
const question = { systemPrompt: "", turns: [{ role: "user" as const, text: "こんにちは" }] };

/** Resolves true when something accepts a TCP connection on the port, false when it is refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

describe("[Symbol.asyncDispose]", () => {
  it("frees the real engine once, whether called twice in a row or twice at once", async () => {
    const load = async () => LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 1, contextSize: 256, batchSize: 256 });
    const engine = await load();
    const answer = await engine.generate({ conversation: question, sampling: { temperature: 0, topP: 1, maxTokens: 4 } });
    expect(answer.stopReason).not.toBe("error");
    await engine[Symbol.asyncDispose]();
    await expect(engine[Symbol.asyncDispose]()).resolves.toBeUndefined();

    const other = await load();
    await expect(Promise.all([other[Symbol.asyncDispose](), other[Symbol.asyncDispose]()])).resolves.toEqual([undefined, undefined]);
  });

  it("ends `await using` scopes: the queue's requests end, then it is idle", async () => {
    const engine = new ScriptedEngine(1, () => ({ chunks: ["は", "い"], hangAfterChunks: 1 }));
    let running: Promise<unknown> | undefined;
    {
      await using queue = new InferenceQueue(engine, {
        sampling: { temperature: 0, topP: 1, maxTokens: 8 },
        maxWaiting: 4,
        maxPerUser: 4,
        timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
      });
      const first = queue.submit({ userId: "a", priority: "interactive", conversation: question });
      const waiting = queue.submit({ userId: "b", priority: "interactive", conversation: question });
      running = Promise.allSettled([first.result, waiting.result]);
      await expect.poll(() => queue.stats()).toEqual({ waiting: 1, running: 1 });
    }
    const [first, waiting] = (await running) as PromiseSettledResult<{ stopReason: string }>[];
    expect(first).toMatchObject({ status: "fulfilled", value: { stopReason: "aborted" } });
    expect(waiting).toMatchObject({ status: "rejected", reason: { name: "CancelledError" } });
  });

  it("disposes the backends of a BackendPool once, for two disposes of the pool", async () => {
    let disposed = 0;
    const scripted = new ScriptedEngine(1);
    const counted: Engine = { parallel: 1, modelName: "a", generate: (o) => scripted.generate(o), [Symbol.asyncDispose]: async () => void disposed++ };
    const pool = await BackendPool.open([{ name: "a", kind: "in-process", engine: counted, slots: 1 }]);
    await Promise.all([pool[Symbol.asyncDispose](), pool[Symbol.asyncDispose]()]);
    await pool[Symbol.asyncDispose]();
    expect(disposed).toBe(1);
  });

  it("closes the probe history store and the answer journal, and a second dispose does nothing", async () => {
    const history = new ProbeHistory(tempDir());
    await history[Symbol.asyncDispose]();
    await expect(history[Symbol.asyncDispose]()).resolves.toBeUndefined();
    expect(() => history.lastForTest("seed", "reading", 1)).toThrow(/database connection is not open/);

    const journal = new Journal(tempDir());
    await journal[Symbol.asyncDispose]();
    await expect(journal[Symbol.asyncDispose]()).resolves.toBeUndefined();
    expect(() => journal.has("discord:1")).toThrow(/database connection is not open/);
  });

  it("closes the HTTP server's port once, for two disposes at the same time", async () => {
    const server = await HttpServer.listen({ port: 0, host: "127.0.0.1" });
    const { port } = server;
    expect(await accepts(port)).toBe(true);
    await Promise.all([server[Symbol.asyncDispose](), server[Symbol.asyncDispose]()]);
    await expect(server[Symbol.asyncDispose]()).resolves.toBeUndefined();
    expect(await accepts(port)).toBe(false);
  });

  it("disposes the app's inference, probe service and judge twice without error", async () => {
    const dir = tempDir();
    const config = loadConfig({
      env: { MODEL: await tinyModelPath() },
      dotEnvFile: false,
      overrides: { engine: { threads: 1, contextSize: 256, parallel: 1 }, probe: { dataDirectory: dir } },
    });
    const inference = await openInference(config, { status: new PassThrough() });
    const judge = createJudge(config, inference.queue, new PassThrough());
    const probe = openProbe({
      config,
      queue: inference.queue,
      modelName: inference.engine.modelName,
      fingerprint: inference.fingerprint,
      parallel: inference.engine.parallel,
      warn: () => {},
      status: new PassThrough(),
    });
    for (const resource of [judge, probe, inference]) {
      await resource[Symbol.asyncDispose]();
      await expect(resource[Symbol.asyncDispose]()).resolves.toBeUndefined();
    }
    expect(() => probe.history.lastForTest("seed", "reading", 1)).toThrow(/database connection is not open/);
  });
});
