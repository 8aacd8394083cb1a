// The anchor side of `bench --against-llama-server`: the same workload sent to llama.cpp's own
// llama-server (built once from node-llama-cpp's bundled source) over its OpenAI-compatible API.

import { DEFAULT_TOP_K } from "../inference/sampling-defaults.js";
import type { LlamaServerProcess } from "../llama-server/process.js";
import { PROMPTS, SYSTEM, type Timed } from "./workload.js";

export interface ServerRequest {
  readonly prompt: string;
  readonly seed: number;
  readonly maxTokens: number;
}

/** One streamed chat completion, timed from its submission at `t0`. */
export async function serverRequest(server: LlamaServerProcess, request: ServerRequest, t0: number): Promise<Timed> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: request.prompt },
      ],
      max_tokens: request.maxTokens,
      // The same sampler chain as the bot's defaults (config/default.yaml), not llama-server's own
      // (top-k 40, min-p 0.05): both sides do the same work per token.
      temperature: 0.6,
      top_p: 0.9,
      top_k: DEFAULT_TOP_K,
      min_p: 0,
      repeat_penalty: 1,
      seed: request.seed,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!response.ok || !response.body) throw new Error(`llama-server answered ${response.status}: ${await response.text()}`);
  let first = -1;
  let tokens = 0;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const data = JSON.parse(event.slice(6)) as { choices?: { delta?: { content?: string } }[]; usage?: { completion_tokens: number }; error?: unknown };
      if (data.error) throw new Error(`llama-server stream error: ${JSON.stringify(data.error)}`);
      if (first < 0 && data.choices?.[0]?.delta?.content) first = performance.now() - t0;
      if (data.usage) tokens = data.usage.completion_tokens;
    }
  }
  return { tokens, firstTokenMs: first, endMs: performance.now() - t0 };
}

/** `rounds` rounds of n requests at once against the server. */
/** A short request first, so that neither side's first measured round pays for warming up. */
export async function serverWarmUp(server: LlamaServerProcess): Promise<void> {
  await serverRequest(server, { prompt: PROMPTS[0]!, seed: 0, maxTokens: 8 }, performance.now());
}

/** One round: `n` requests at once, timed from the round's start. */
export function serverRound(server: LlamaServerProcess, n: number, round: number, maxTokens: number): Promise<Timed[]> {
  const t0 = performance.now();
  return Promise.all(
    Array.from({ length: n }, (_, i) => serverRequest(server, { prompt: PROMPTS[i % PROMPTS.length]!, seed: round * 100 + i, maxTokens }, t0)),
  );
}
