// The bot's own OpenAI-compatible API, as a request handler any node:http server can mount:
// POST /v1/chat/completions (streaming over SSE and not) and GET /v1/models. Requests go through the
// shared queue at the configured priority (probe by default, so people in chat go first) with the
// token's fairness key. Errors have OpenAI's shape ({error: {message, type, param, code}}):
// 401 wrong or missing token, 400 malformed or oversized (naming the field), 404 unknown model,
// 429 + Retry-After when the queue (or the API's own share of it) is full, 503 when no backend can
// answer. A client that disconnects cancels its generation.

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BackendStreamError, BackendsUnavailableError } from "../inference/backends/errors.js";
import { ContextOverflowError, InferenceTimeoutError, QueueFullError } from "../inference/errors.js";
import type { InferenceQueueLike, InferenceTicket, Priority } from "../inference/queue-types.js";
import type { GenerationResult } from "../inference/types.js";
import type { ApiTokens } from "./auth.js";
import { BodyError, readJsonBody } from "./body.js";
import { ChatRequestError, parseChatRequest, type ParsedChatRequest } from "./chat-request.js";
import { StopSequences } from "./stop-sequences.js";

export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface OpenAiApiOptions {
  readonly queue: InferenceQueueLike;
  readonly tokens: ApiTokens;
  readonly priority: Priority;
  /** The id in /v1/models; a request naming another model gets 404. */
  readonly modelId: string;
  readonly maxBodyBytes: number;
  /** Upper bound of max_tokens (the bot's sampling.maxTokens). */
  readonly maxTokens: number;
  /** Used when a request has no system message. */
  readonly systemPrompt: string;
  /** API requests waiting or running at once, across tokens; one more gets 429. */
  readonly maxConcurrent: number;
  /** Seconds in Retry-After of a 429. */
  readonly retryAfterSeconds?: number;
  readonly log?: (level: "info" | "warn", message: string) => void;
}

interface ApiErrorBody {
  readonly status: number;
  readonly message: string;
  readonly type: string;
  readonly param?: string | null;
  readonly code: string | null;
}

export function openAiApi(options: OpenAiApiOptions): ApiHandler {
  const created = Math.floor(Date.now() / 1000);
  let inFlight = 0;
  const log = options.log ?? (() => {});

  const chat = async (req: IncomingMessage, res: ServerResponse, fairnessKey: string): Promise<void> => {
    let request: ParsedChatRequest;
    try {
      const body = await readJsonBody(req, options.maxBodyBytes);
      const model = (body as { model?: unknown } | null)?.model;
      if (typeof model === "string" && model !== options.modelId) {
        return sendError(res, {
          status: 404,
          message: `model "${model}" does not exist here (this server serves "${options.modelId}")`,
          type: "invalid_request_error",
          param: "model",
          code: "model_not_found",
        });
      }
      request = parseChatRequest(body, { defaultSystemPrompt: options.systemPrompt, maxTokens: options.maxTokens });
    } catch (error) {
      if (error instanceof BodyError) {
        // The rest of an oversized body is not read: close the connection after answering.
        if (error.code === "request_too_large") res.setHeader("connection", "close");
        return sendError(res, { status: 400, message: error.message, type: "invalid_request_error", param: null, code: error.code });
      }
      if (error instanceof ChatRequestError) {
        return sendError(res, { status: 400, message: error.message, type: "invalid_request_error", param: error.param, code: "invalid_value" });
      }
      throw error;
    }

    if (inFlight >= options.maxConcurrent) {
      return sendBusy(
        res,
        `too many API requests at once (${inFlight}; the limit is ${options.maxConcurrent}); try again shortly`,
        options.retryAfterSeconds ?? 5,
      );
    }
    const stops = new StopSequences(request.stop);
    const id = `chatcmpl-${randomUUID()}`;
    const stream = request.stream ? new SseWriter(res, id, options.modelId, created) : undefined;
    let ticket: InferenceTicket;
    try {
      ticket = options.queue.submit({
        userId: fairnessKey,
        priority: options.priority,
        conversation: request.conversation,
        sampling: request.sampling,
        onTextChunk: (chunk) => {
          const shown = stops.push(chunk);
          if (shown) stream?.content(shown);
          if (stops.stopped) ticket.cancel("stop sequence");
        },
      });
    } catch (error) {
      if (error instanceof QueueFullError) return sendBusy(res, error.message, options.retryAfterSeconds ?? 5);
      throw error;
    }
    inFlight++;
    // A client that goes away stops its generation (and frees the slot) at once.
    const onClose = () => {
      if (!res.writableFinished) ticket.cancel("the API client disconnected");
    };
    res.on("close", onClose);
    try {
      let result: GenerationResult;
      try {
        result = await ticket.result;
      } catch (error) {
        const body = errorFor(error);
        if (body.status >= 500) log("warn", `API request ${id} failed: ${body.message}`);
        if (stream?.started) return stream.fail(body);
        return sendError(res, body);
      }
      if (result.stopReason === "aborted" && !stops.stopped) {
        // Cancelled by shutdown or by the client itself (then nobody reads this).
        const body: ApiErrorBody = {
          status: 503,
          message: "the request was cancelled (the bot is shutting down or the client left)",
          type: "server_error",
          code: "cancelled",
        };
        if (stream?.started) return stream.fail(body);
        return sendError(res, body);
      }
      const rest = stops.flush();
      const finishReason = stops.stopped || result.stopReason !== "length" ? "stop" : "length";
      const usage = {
        prompt_tokens: result.promptTokens,
        completion_tokens: result.completionTokens,
        total_tokens: result.promptTokens + result.completionTokens,
      };
      if (stream) {
        if (rest) stream.content(rest);
        stream.finish(finishReason, request.includeUsage ? usage : undefined);
        return;
      }
      const text = stops.stopped ? shownText(result.text, request.stop) : result.text;
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: options.modelId,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finishReason, logprobs: null }],
        usage,
      });
    } finally {
      inFlight--;
      res.off("close", onClose);
    }
  };

  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path !== "/v1/chat/completions" && path !== "/v1/models") return false;
    const method = path === "/v1/models" ? "GET" : "POST";
    if (req.method !== method) {
      res.setHeader("allow", method);
      sendError(res, {
        status: 405,
        message: `${path} takes ${method}, not ${req.method}`,
        type: "invalid_request_error",
        param: null,
        code: "method_not_allowed",
      });
      return true;
    }
    const fairnessKey = options.tokens.check(req.headers.authorization);
    if (fairnessKey === undefined) {
      const missing = !req.headers.authorization;
      sendError(res, {
        status: 401,
        message: missing ? "no API key: send Authorization: Bearer <ELYZA_API_TOKEN>" : "incorrect API key (Authorization: Bearer <ELYZA_API_TOKEN>)",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      });
      return true;
    }
    try {
      if (path === "/v1/models") {
        sendJson(res, 200, { object: "list", data: [{ id: options.modelId, object: "model", created, owned_by: "elyza-bot" }] });
      } else {
        await chat(req, res, fairnessKey);
      }
    } catch (error) {
      log("warn", `API ${req.method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendError(res, { status: 500, message: "internal error", type: "server_error", code: null });
      else res.end();
    }
    return true;
  };
}

/** The text as streamed: cut before the first stop string. */
function shownText(text: string, stops: readonly string[]): string {
  const cuts = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
  return cuts.length > 0 ? text.slice(0, Math.min(...cuts)) : text;
}

function errorFor(error: unknown): ApiErrorBody {
  if (error instanceof ContextOverflowError) {
    return { status: 400, message: error.message, type: "invalid_request_error", param: "messages", code: "context_length_exceeded" };
  }
  if (error instanceof BackendsUnavailableError) return { status: 503, message: error.message, type: "server_error", code: "backends_unavailable" };
  if (error instanceof InferenceTimeoutError)
    return { status: error.kind === "queue_wait" ? 503 : 504, message: error.message, type: "server_error", code: `timeout_${error.kind}` };
  if (error instanceof BackendStreamError) return { status: 502, message: error.message, type: "server_error", code: "backend_failed" };
  return { status: 500, message: error instanceof Error ? error.message : String(error), type: "server_error", code: null };
}

function sendBusy(res: ServerResponse, message: string, retryAfterSeconds: number): void {
  res.setHeader("retry-after", String(retryAfterSeconds));
  sendError(res, { status: 429, message, type: "rate_limit_error", param: null, code: "queue_full" });
}

function sendError(res: ServerResponse, body: ApiErrorBody): void {
  sendJson(res, body.status, { error: { message: body.message, type: body.type, param: body.param ?? null, code: body.code } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** A streamed chat completion: headers on the first chunk, then chunks, then [DONE] (or an error event). */
class SseWriter {
  #started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly id: string,
    private readonly model: string,
    private readonly created: number,
  ) {}

  get started(): boolean {
    return this.#started;
  }

  content(text: string): void {
    this.#start();
    this.#chunk({ content: text }, null);
  }

  finish(finishReason: "stop" | "length", usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number }): void {
    this.#start();
    this.#chunk({}, finishReason);
    if (usage) this.#send({ id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: [], usage });
    this.res.end("data: [DONE]\n\n");
  }

  /** Ends the stream with an error event (OpenAI clients raise it), the partial text already sent. */
  fail(body: ApiErrorBody): void {
    this.#send({ error: { message: body.message, type: body.type, param: body.param ?? null, code: body.code } });
    this.res.end();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    this.#chunk({ role: "assistant", content: "" }, null);
  }

  #chunk(delta: Record<string, string>, finishReason: string | null): void {
    this.#send({
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    });
  }

  #send(data: unknown): void {
    this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }
}
