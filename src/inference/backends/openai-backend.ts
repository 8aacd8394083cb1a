// One OpenAI-compatible inference server (llama.cpp's llama-server, vLLM, Ollama, another elyza-bot)
// as an Engine: `/chat/completions` streamed over SSE, the sampling passed through, the stop reason
// mapped, token counts from `usage` when the server sends it (else one per streamed chunk), the
// caller's signal aborting the HTTP stream (which frees the server's slot). Failures are
// BackendErrors saying whether the server or the request is at fault, so the pool can decide.
// A conversation the server refuses as too long for its context is sent again without its oldest
// turns (overflow-trim.ts), counted in trimmedTurns as the in-process engine counts its own.

import { DEFAULT_TOP_K } from "../sampling-defaults.js";
import { ContextOverflowError } from "../errors.js";
import { BackendError, BackendStreamError } from "./errors.js";
import { keepFrom } from "./overflow-trim.js";
import { sseData } from "./sse.js";
import type { Conversation, Engine, GenerateOptions, GenerationResult, StopReason } from "../types.js";

export interface OpenAiBackendOptions {
  /** Shown in logs, errors and `elyza-bot backends`. */
  readonly name: string;
  /** The API base, as OpenAI clients take it: e.g. http://127.0.0.1:8080/v1 (no trailing /chat/completions). */
  readonly baseUrl: string;
  /** The `model` field of each request (what the server serves: a file name, a Hugging Face id, an Ollama tag). */
  readonly model: string;
  /** Requests it may run at once (llama-server's --parallel, a vLLM share, …). */
  readonly slots: number;
  /** Sent as `Authorization: Bearer …`; never logged. */
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** No response headers within this long → "unreachable" (default 30 s; streaming itself is bounded by the queue's limits). */
  readonly connectTimeoutMs?: number;
}

/** One streamed chunk of a chat completion, as far as we read it. */
interface CompletionChunk {
  readonly choices?: readonly { readonly delta?: { readonly content?: string | null }; readonly finish_reason?: string | null }[];
  readonly usage?: { readonly prompt_tokens?: number; readonly completion_tokens?: number } | null;
  readonly error?: { readonly message?: string } | string;
}

export class OpenAiBackend implements Engine {
  readonly parallel: number;
  readonly modelName: string;
  readonly #options: OpenAiBackendOptions;
  readonly #base: string;

  constructor(options: OpenAiBackendOptions) {
    this.#options = options;
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.parallel = options.slots;
    this.modelName = options.model;
  }

  get name(): string {
    return this.#options.name;
  }

  async generate(options: GenerateOptions): Promise<GenerationResult> {
    const { sampling, signal } = options;
    const started = performance.now();
    let firstTokenMs: number | null = null;
    let text = "";
    let chunks = 0;
    let usage: CompletionChunk["usage"] = null;
    let finishReason: string | null = null;
    let trimmedTurns = 0;
    const finish = (stopReason: StopReason): GenerationResult => ({
      text,
      stopReason,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? chunks,
      trimmedTurns,
      timings: { queueMs: 0, firstTokenMs, generationMs: performance.now() - started },
    });
    if (signal?.aborted) return finish("aborted");

    const { systemPrompt, turns } = options.conversation;
    let response: Response | undefined;
    for (;;) {
      const body = {
        model: this.#options.model,
        messages: toMessages({ systemPrompt, turns: turns.slice(trimmedTurns) }),
        stream: true,
        stream_options: { include_usage: true },
        temperature: sampling.temperature,
        top_p: sampling.topP,
        // Not in OpenAI's API, but read by llama-server and vLLM (and ignored by Ollama's): the
        // same candidates as in-process. A repeat penalty is named differently by each: local only.
        top_k: sampling.topK ?? DEFAULT_TOP_K,
        min_p: sampling.minP ?? 0,
        max_tokens: sampling.maxTokens,
        ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
      };
      try {
        response = await this.#post("/chat/completions", body, signal);
        break;
      } catch (error) {
        if (!(error instanceof ContextOverflowError)) throw error;
        const kept = turns.slice(trimmedTurns);
        const start = keepFrom(systemPrompt, kept, { neededTokens: error.neededTokens, availableTokens: error.availableTokens, maxTokens: sampling.maxTokens });
        // The question alone is too long: the caller tells the user to shorten it.
        if (start === undefined) throw error;
        trimmedTurns += start;
      }
    }
    if (!response) return finish("aborted");
    try {
      for await (const data of sseData(response.body!)) {
        if (data.trim() === "[DONE]") break;
        const chunk = parseChunk(data, this.name);
        if (chunk.error !== undefined) {
          const message = typeof chunk.error === "string" ? chunk.error : (chunk.error.message ?? JSON.stringify(chunk.error));
          throw new BackendError(this.name, "server", `the stream reported an error: ${message}`);
        }
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices ?? []) {
          if (choice.finish_reason) finishReason = choice.finish_reason;
          const piece = choice.delta?.content;
          if (!piece) continue;
          chunks++;
          firstTokenMs ??= performance.now() - started;
          text += piece;
          options.onTextChunk?.(piece);
        }
      }
    } catch (error) {
      if (signal?.aborted) return finish("aborted");
      const failure = error instanceof BackendError ? error : new BackendError(this.name, "server", `the stream broke off: ${describe(error)}`);
      throw text === "" ? failure : new BackendStreamError(failure, text);
    }
    if (signal?.aborted) return finish("aborted");
    if (finishReason === null) {
      // Some servers end a failed generation by just closing the stream: never a silent stop.
      const failure = new BackendError(this.name, "server", "the stream ended without a finish reason");
      throw text === "" ? failure : new BackendStreamError(failure, text);
    }
    return finish(finishReason === "length" ? "length" : "done");
  }

  /** Resolves when the server answers `/models` with 200; rejects with a BackendError otherwise. */
  async check(timeoutMs = 5000): Promise<void> {
    // The connect timer bounds the check (a caller's signal would surface as an AbortError, not a BackendError).
    const response = await this.#request("GET", "/models", undefined, undefined, timeoutMs);
    await response.body?.cancel();
  }

  /** llama-server's `/slots` (another server → undefined): how many of its slots are processing. */
  async busySlots(timeoutMs = 5000): Promise<number | undefined> {
    const root = this.#base.replace(/\/v1$/, "");
    try {
      const response = await fetch(`${root}/slots`, { headers: this.#headers(), signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) return undefined;
      const slots: unknown = await response.json();
      if (!Array.isArray(slots)) return undefined;
      return slots.filter((s: { is_processing?: unknown }) => s?.is_processing === true).length;
    } catch {
      return undefined;
    }
  }

  /** Nothing to free: the server belongs to someone else, and each request ends with its stream. */
  async [Symbol.asyncDispose](): Promise<void> {}

  /** The streaming response, or undefined when `signal` aborted it before it started. */
  async #post(path: string, body: unknown, signal: AbortSignal | undefined): Promise<Response | undefined> {
    try {
      return await this.#request("POST", path, JSON.stringify(body), signal, this.#options.connectTimeoutMs ?? 30_000);
    } catch (error) {
      if (signal?.aborted) return undefined;
      throw error;
    }
  }

  async #request(method: string, path: string, body: string | undefined, signal: AbortSignal | undefined, connectTimeoutMs: number): Promise<Response> {
    const url = `${this.#base}${path}`;
    // The connect timer covers only the wait for response headers; the caller's signal covers everything.
    const connect = new AbortController();
    const timer = setTimeout(() => connect.abort(), connectTimeoutMs);
    const signals = signal ? AbortSignal.any([signal, connect.signal]) : connect.signal;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...this.#headers(), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body }),
        signal: signals,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const why = connect.signal.aborted ? `no answer within ${connectTimeoutMs} ms` : describe(error);
      throw new BackendError(this.name, "unreachable", `cannot reach ${method} ${safeUrl(url)}: ${why}`);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      const { detail: raw, body } = await errorDetail(response);
      // Some gateways echo the key they refused; it must not reach a log line.
      const detail = this.#options.apiKey ? raw.split(this.#options.apiKey).join("[redacted]") : raw;
      // llama-server names a question too long for its context; the caller tells the user to shorten it.
      const error = (body as { error?: { type?: unknown; n_prompt_tokens?: unknown; n_ctx?: unknown } } | undefined)?.error;
      if (error?.type === "exceed_context_size_error" && typeof error.n_prompt_tokens === "number" && typeof error.n_ctx === "number") {
        throw new ContextOverflowError(error.n_prompt_tokens, error.n_ctx);
      }
      // 408/429: the server is overloaded or slow, not this request's fault.
      const kind = response.status >= 500 || response.status === 408 || response.status === 429 ? "server" : "request";
      throw new BackendError(this.name, kind, `${method} ${safeUrl(url)} answered HTTP ${response.status}${detail ? `: ${detail}` : ""}`, response.status);
    }
    if (!response.body) throw new BackendError(this.name, "server", `${method} ${safeUrl(url)} answered without a body`);
    return response;
  }

  #headers(): Record<string, string> {
    return {
      ...(this.#options.headers ?? {}),
      ...(this.#options.apiKey ? { authorization: `Bearer ${this.#options.apiKey}` } : {}),
    };
  }
}

function toMessages(conversation: Conversation): { role: string; content: string }[] {
  return [
    ...(conversation.systemPrompt ? [{ role: "system", content: conversation.systemPrompt }] : []),
    ...conversation.turns.map((turn) => ({ role: turn.role, content: turn.text })),
  ];
}

function parseChunk(data: string, backend: string): CompletionChunk {
  try {
    const parsed = JSON.parse(data) as unknown;
    if (parsed && typeof parsed === "object") return parsed;
  } catch {
    // reported below
  }
  throw new BackendError(backend, "server", `the stream sent something that is not a JSON chunk: ${data.slice(0, 120)}`);
}

/** The error message of an error response (OpenAI shape `{error: {message}}` or plain text), shortened, and the parsed body. */
async function errorDetail(response: Response): Promise<{ detail: string; body: unknown }> {
  const text = await response.text().catch(() => "");
  let message = text;
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
    const parsed = body as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof m === "string") message = m;
  } catch {
    // not JSON: the text itself
  }
  return { detail: message.replace(/\s+/g, " ").trim().slice(0, 200), body };
}

/** The URL without credentials or query (a proxy URL may carry them). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return "(backend URL)";
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    // undici wraps the real cause (ECONNREFUSED, socket hang up) in "fetch failed".
    const cause = (error as { cause?: unknown }).cause;
    const inner = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : "";
    return `${error.message}${inner}`;
  }
  return String(error);
}
