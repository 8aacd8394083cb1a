// The bot's OpenAI-compatible API, mounted on a plain node:http server on 127.0.0.1, answered by
// the real node-llama-cpp engine (a generated model that only emits ASCII and never stops early, so
// answers are deterministic in length) through the real shared queue. Clients: the official
// `openai` npm package, and raw fetch for what a client library would refuse to send.

import { createServer, type Server } from "node:http";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokens } from "../../src/api/auth.js";
import { openAiApi } from "../../src/api/openai-api.js";
import { LlamaEngine } from "../../src/inference/engine.js";
import { InferenceQueue } from "../../src/inference/queue.js";
import type { InferenceQueueLike, InferenceRequest } from "../../src/inference/queue-types.js";
import type { GenerationResult } from "../../src/inference/types.js";
import { asciiModelPath } from "../helpers/test-model.js";

const TOKEN = "test-token-for-the-api-1";
const OTHER_TOKEN = "test-token-for-the-api-2";
const SYSTEM = "あなたは誠実で優秀な日本人のアシスタントです。";

describe("the bot's OpenAI-compatible API", () => {
  let engine: LlamaEngine;
  let queue: InferenceQueue;
  let server: Server;
  let base: string;
  const submitted: InferenceRequest[] = [];
  const results: Promise<GenerationResult>[] = [];

  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await asciiModelPath(), gpu: false, threads: 1, parallel: 2, contextSize: 4096, batchSize: 256 });
    queue = new InferenceQueue(engine, {
      sampling: { temperature: 0, topP: 0.9, maxTokens: 3000 },
      maxWaiting: 10,
      maxPerUser: 10,
      timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 60_000 },
    });
    const recording: InferenceQueueLike = {
      submit: (request) => {
        submitted.push(request);
        const ticket = queue.submit(request);
        results.push(ticket.result);
        return ticket;
      },
      stats: () => queue.stats(),
      onIdle: () => queue.onIdle(),
    };
    const handler = openAiApi({
      queue: recording,
      tokens: apiTokens([TOKEN, OTHER_TOKEN]),
      priority: "probe",
      modelId: "elyza-bot",
      maxBodyBytes: 4096,
      maxTokens: 3000,
      systemPrompt: SYSTEM,
      maxConcurrent: 1,
      retryAfterSeconds: 7,
    });
    server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    queue?.cancelAll();
    await queue?.onIdle();
    await engine?.[Symbol.asyncDispose]();
  });

  const client = (apiKey = TOKEN) => new OpenAI({ apiKey, baseURL: `${base}/v1`, maxRetries: 0 });
  const question = [{ role: "user" as const, content: "日本の首都は？" }];

  it("answers a chat completion through the shared queue at probe priority, with the token's fairness key", async () => {
    submitted.length = 0;
    const completion = await client().chat.completions.create({ model: "elyza-bot", messages: question, max_tokens: 12, temperature: 0, seed: 3 });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("elyza-bot");
    const choice = completion.choices[0]!;
    expect(choice.message.role).toBe("assistant");
    expect(choice.message.content?.length).toBeGreaterThan(0);
    expect(choice.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBe(12);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(submitted).toHaveLength(1);
    const request = submitted[0]!;
    expect(request.priority).toBe("probe");
    expect(request.userId).toMatch(/^api:[0-9a-f]{12}$/);
    expect(request.userId).not.toContain(TOKEN);
    // No system message in the request: the bot's own system prompt, as in chat.
    expect(request.conversation.systemPrompt).toBe(SYSTEM);
    expect(request.sampling).toEqual({ temperature: 0, maxTokens: 12, seed: 3 });

    await client(OTHER_TOKEN).chat.completions.create({ model: "elyza-bot", messages: question, max_tokens: 2 });
    expect(submitted[1]!.userId).toMatch(/^api:/);
    expect(submitted[1]!.userId).not.toBe(request.userId);
  });

  it("streams the same answer over SSE, with usage when asked", async () => {
    const settings = { model: "elyza-bot", messages: question, max_tokens: 16, temperature: 0, seed: 5 } as const;
    const whole = await client().chat.completions.create(settings);
    const stream = await client().chat.completions.create({ ...settings, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let contentChunks = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        contentChunks++;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(contentChunks).toBeGreaterThan(1);
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe("length");
    expect(usage?.completion_tokens).toBe(16);
  });

  it("cuts the answer before a stop string, streaming and not", async () => {
    const settings = { model: "elyza-bot", messages: question, max_tokens: 40, temperature: 0, seed: 9 } as const;
    const full = (await client().chat.completions.create(settings)).choices[0]!.message.content!;
    const stop = full.slice(10, 13);
    const expected = full.slice(0, full.indexOf(stop));
    const cut = await client().chat.completions.create({ ...settings, stop });
    expect(cut.choices[0]!.message.content).toBe(expected);
    expect(cut.choices[0]!.finish_reason).toBe("stop");
    let streamed = "";
    for await (const chunk of await client().chat.completions.create({ ...settings, stop: [stop], stream: true }))
      streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe(expected);
  });

  it("lists the model", async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(["elyza-bot"]);
  });

  it("refuses a wrong or missing token with 401 and an OpenAI-shaped error", async () => {
    await expect(client("wrong-token").models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    const response = await fetch(`${base}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ messages: question }) });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    expect(body.error.message).toContain("ELYZA_API_TOKEN");
  });

  const post = async (body: string) => {
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body,
    });
    return { status: response.status, body: (await response.json()) as { error: { message: string; param: string | null; code: string } } };
  };

  it("answers malformed requests with 400 naming the field", async () => {
    const notJson = await post("{ messages: ");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not valid JSON/);

    const hot = await post(JSON.stringify({ messages: question, temperature: 5 }));
    expect(hot.status).toBe(400);
    expect(hot.body.error.param).toBe("temperature");
    expect(hot.body.error.message).toMatch(/^temperature: /);

    const role = await post(JSON.stringify({ messages: [{ role: "wizard", content: "x" }] }));
    expect(role.body.error.param).toBe("messages[0].role");

    const long = await post(JSON.stringify({ messages: question, max_tokens: 5000 }));
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe("max_tokens: at most 3000 (the bot's sampling.maxTokens), got 5000");

    const lastNotUser = await post(JSON.stringify({ messages: [...question, { role: "assistant", content: "東京" }] }));
    expect(lastNotUser.body.error.param).toBe("messages");

    const none = await post(JSON.stringify({ messages: [] }));
    expect(none.body.error.param).toBe("messages");

    const unknownModel = await post(JSON.stringify({ model: "gpt-4", messages: question }));
    expect(unknownModel.status).toBe(404);
    expect(unknownModel.body.error.code).toBe("model_not_found");
  });

  it("answers an oversized body with 400", async () => {
    const big = await post(JSON.stringify({ messages: [{ role: "user", content: "あ".repeat(5000) }] }));
    expect(big.status).toBe(400);
    expect(big.body.error.code).toBe("request_too_large");
    expect(big.body.error.message).toContain("4096 bytes");
  });

  it("answers 429 with Retry-After when its share of the queue is full, and a client that leaves frees it", async () => {
    const aborter = new AbortController();
    const first = await client().chat.completions.create(
      { model: "elyza-bot", messages: question, max_tokens: 3000, stream: true },
      { signal: aborter.signal },
    );
    const iterator = first[Symbol.asyncIterator]();
    await iterator.next(); // the request is running
    const running = results.at(-1)!;

    const busy = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ messages: question, max_tokens: 2 }),
    });
    expect(busy.status).toBe(429);
    expect(busy.headers.get("retry-after")).toBe("7");
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe("queue_full");

    aborter.abort();
    // The openai client ends its iterator quietly once aborted.
    while (!(await iterator.next()).done);
    // The disconnect cancelled the generation, well before its 3000 tokens.
    const cancelled = await running;
    expect(cancelled.stopReason).toBe("aborted");
    expect(cancelled.completionTokens).toBeLessThan(3000);
    expect(queue.stats().running).toBe(0);
    const after = await client().chat.completions.create({ model: "elyza-bot", messages: question, max_tokens: 2 });
    expect(after.choices[0]!.finish_reason).toBe("length");
  });

  it("leaves other paths to the server it is mounted on", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(404);
    const wrongMethod = await fetch(`${base}/v1/models`, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
  });
});
