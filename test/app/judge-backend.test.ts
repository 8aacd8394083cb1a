// probe.judgeModel: backend:NAME — the judge of judge-mode grading is a model on an inference
// server (here the real llama-server on 127.0.0.1), not the bot's queue and not a file loaded here.

import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJudge } from "../../src/app/judge.js";
import { loadConfig } from "../../src/config/load.js";
import type { InferenceQueueLike } from "../../src/inference/queue-types.js";
import type { LlamaServerProcess } from "../../src/llama-server/process.js";
import { LLAMA_SERVER_HOOK_TIMEOUT, startTestLlamaServer } from "../helpers/llama-server.js";

const unusedQueue: InferenceQueueLike = {
  submit: () => {
    throw new Error("the bot's queue must not be used when the judge is a backend");
  },
  stats: () => ({ waiting: 0, running: 0 }),
  onIdle: async () => {},
};

async function predicted(server: LlamaServerProcess): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(
    text
      .split("\n")
      .find((l) => l.startsWith("llamacpp:tokens_predicted_total"))
      ?.split(/\s+/)[1] ?? NaN,
  );
}

describe("createJudge with probe.judgeModel: backend:NAME", () => {
  let server: LlamaServerProcess;
  beforeAll(async () => {
    server = await startTestLlamaServer({ parallel: 1 });
  }, LLAMA_SERVER_HOOK_TIMEOUT);
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  it("asks the model on that backend", async () => {
    const config = loadConfig({
      env: {},
      dotEnvFile: false,
      overrides: {
        // No in-process backend at all: nothing is loaded here.
        engine: { backends: [{ name: "big", kind: "openai", baseUrl: `${server.url}/v1`, model: "judge-model", slots: 1 }] },
        sampling: { maxTokens: 512 },
        probe: { judgeModel: "backend:big" },
      },
    });
    const judge = createJudge(config, unusedQueue, new PassThrough());
    try {
      const before = await predicted(server);
      const verdict = await judge.ask({ systemPrompt: "", turns: [{ role: "user", text: "採点してください" }] });
      expect(verdict.length).toBeGreaterThan(0);
      // The judge's 512 tokens (its fixed limit; the ASCII test model never stops early) came from the server.
      expect((await predicted(server)) - before).toBe(512);
    } finally {
      await judge[Symbol.asyncDispose]();
    }
  });
});
