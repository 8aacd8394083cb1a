// The bot's API in a chain of hosts, all real and on 127.0.0.1: bot A answers from the real
// llama-server; bot B uses A's API as an `openai` backend. A server dying mid-answer reaches the
// API client as an error after the partial text, never as a silently short answer.

import { createServer, type Server } from "node:http";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokens } from "../../src/api/auth.js";
import { openAiApi } from "../../src/api/openai-api.js";
import { BackendPool } from "../../src/inference/backends/backend-pool.js";
import { OpenAiBackend } from "../../src/inference/backends/openai-backend.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { LlamaServerProcess } from "../../src/llama-server/process.js";
import { LLAMA_SERVER_HOOK_TIMEOUT, startTestLlamaServer } from "../helpers/llama-server.js";

const TOKEN = "token-of-bot-a-123";
const FOREVER = 600_000;
const conversation = { systemPrompt: "", turns: [{ role: "user" as const, text: "日本の首都は？" }] };

/** A bot (queue + API) whose only backend is `backend`, listening on 127.0.0.1. */
async function botOver(backend: OpenAiBackend) {
  const pool = await BackendPool.open([{ name: backend.name, kind: "openai", engine: backend, slots: backend.parallel, check: () => backend.check() }], {
    retryMinMs: FOREVER,
  });
  const queue = new InferenceQueue(pool, {
    sampling: { temperature: 0, topP: 0.9, maxTokens: 3000 },
    maxWaiting: 10,
    maxPerUser: 10,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER },
  });
  const handler = openAiApi({
    queue,
    tokens: apiTokens([TOKEN]),
    priority: "probe",
    modelId: "elyza-bot",
    maxBodyBytes: 65536,
    maxTokens: 3000,
    systemPrompt: "",
    maxConcurrent: 8,
  });
  const server: Server = createServer((req, res) => void handler(req, res).then((handled) => handled || res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    pool,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool[Symbol.asyncDispose]();
    },
  };
}

describe("the bot's API as a backend, and backend faults seen through the API", () => {
  let llama: LlamaServerProcess;
  beforeAll(async () => {
    llama = await startTestLlamaServer({ parallel: 2 });
  }, LLAMA_SERVER_HOOK_TIMEOUT);
  afterAll(async () => {
    await llama?.[Symbol.asyncDispose]();
  });

  it("one bot host serves as an openai backend of another", async () => {
    const a = await botOver(new OpenAiBackend({ name: "llama", baseUrl: `${llama.url}/v1`, model: "test-model", slots: 2 }));
    try {
      const viaA = new OpenAiBackend({ name: "bot-a", baseUrl: `${a.url}/v1`, model: "elyza-bot", slots: 2, apiKey: TOKEN });
      await viaA.check();
      const chunks: string[] = [];
      const result = await viaA.generate({ conversation, sampling: { temperature: 0, topP: 0.9, maxTokens: 12, seed: 4 }, onTextChunk: (c) => chunks.push(c) });
      expect(result).toMatchObject({ stopReason: "length", completionTokens: 12 });
      expect(chunks.join("")).toBe(result.text);
      // The same answer as from llama-server directly.
      const direct = await new OpenAiBackend({ name: "llama", baseUrl: `${llama.url}/v1`, model: "m", slots: 1 }).generate({
        conversation,
        sampling: { temperature: 0, topP: 0.9, maxTokens: 12, seed: 4 },
      });
      expect(result.text).toBe(direct.text);
      expect(a.pool.status()[0]!.served).toBe(1);

      const wrongKey = new OpenAiBackend({ name: "bot-a", baseUrl: `${a.url}/v1`, model: "elyza-bot", slots: 1, apiKey: "wrong" });
      await expect(wrongKey.check()).rejects.toMatchObject({ kind: "request", status: 401 });
    } finally {
      await a.close();
    }
  });

  it("a backend that dies mid-answer ends the API stream with an error after the partial text", async () => {
    const doomed = await startTestLlamaServer({ parallel: 1 });
    const bot = await botOver(new OpenAiBackend({ name: "doomed", baseUrl: `${doomed.url}/v1`, model: "m", slots: 1 }));
    try {
      const client = new OpenAI({ apiKey: TOKEN, baseURL: `${bot.url}/v1`, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: "elyza-bot",
        messages: [{ role: "user", content: "日本の首都は？" }],
        max_tokens: 3000,
        stream: true,
      });
      let text = "";
      const failure = await (async () => {
        for await (const chunk of stream) {
          if (text === "" && chunk.choices[0]?.delta.content) void doomed.kill();
          text += chunk.choices[0]?.delta.content ?? "";
        }
      })().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      expect((failure as Error).message).toMatch(/backend doomed: /);
      expect(text.length).toBeGreaterThan(0);
      // Nothing left to answer: the next request is refused at once with 503 and the reason.
      const refused = await client.chat.completions.create({ model: "elyza-bot", messages: [{ role: "user", content: "もう一度" }] }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 503, code: "backends_unavailable" });
    } finally {
      await doomed.kill();
      await bot.close();
    }
  });
});
