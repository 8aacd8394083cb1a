// The chat completion request the bot's API accepts: the OpenAI fields that mean something here,
// validated strictly where a wrong value would silently change the answer (a 400 names the field),
// while fields OpenAI clients send as a matter of course (user, frequency_penalty, logprobs: false…)
// are accepted and ignored.

import { ElyzaBotError } from "../errors.js";
import { z } from "zod";
import type { ChatTurn, Conversation, SamplingOptions } from "../inference/types.js";

const text = z.string();
/** Content as a string, or OpenAI's array of parts of which only text parts are understood. */
const content = z.union([text, z.array(z.looseObject({ type: z.literal("text"), text }))], {
  error: () => 'must be a string or a list of text parts ({type: "text", text})',
});

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content,
});

export const chatRequestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z.array(message).min(1, "must hold at least one message"),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .nullish(),
  n: z.literal(1, { error: () => "only 1 is supported" }).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)], { error: () => "must be a string or a list of at most 4 strings" }).nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

export interface ParsedChatRequest {
  readonly conversation: Conversation;
  readonly sampling: Partial<SamplingOptions>;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly stop: readonly string[];
}

export class ChatRequestError extends ElyzaBotError {
  override readonly name = "ChatRequestError";
  constructor(
    /** The offending field, e.g. "messages[2].role", or null for the body as a whole. */
    readonly param: string | null,
    message: string,
  ) {
    super(param ? `${param}: ${message}` : message);
  }
}

/** The request as a conversation and sampling overrides; ChatRequestError names what is wrong. */
export function parseChatRequest(body: unknown, options: { readonly defaultSystemPrompt: string; readonly maxTokens: number }): ParsedChatRequest {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ChatRequestError(formatPath(issue.path) || null, issue.message);
  }
  const request = parsed.data;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (maxTokens !== undefined && maxTokens > options.maxTokens) {
    const field = request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
    throw new ChatRequestError(field, `at most ${options.maxTokens} (the bot's sampling.maxTokens), got ${maxTokens}`);
  }

  const system: string[] = [];
  const turns: ChatTurn[] = [];
  request.messages.forEach((m, i) => {
    const value = typeof m.content === "string" ? m.content : m.content.map((part) => part.text).join("");
    if (m.role === "system" || m.role === "developer") {
      if (turns.length > 0) throw new ChatRequestError(`messages[${i}].role`, "system messages must come before the conversation");
      system.push(value);
    } else {
      turns.push({ role: m.role, text: value });
    }
  });
  const last = turns[turns.length - 1];
  if (!last || last.role !== "user") throw new ChatRequestError("messages", "the last message must be the user's question");
  const stop = request.stop == null ? [] : (typeof request.stop === "string" ? [request.stop] : request.stop).filter((s) => s !== "");

  return {
    // No system message: the bot's own system prompt, so tools test what the team chats with.
    conversation: { systemPrompt: system.length > 0 ? system.join("\n\n") : options.defaultSystemPrompt, turns },
    sampling: {
      ...(request.temperature == null ? {} : { temperature: request.temperature }),
      ...(request.top_p == null ? {} : { topP: request.top_p }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(request.seed == null ? {} : { seed: request.seed }),
    },
    stream: request.stream ?? false,
    includeUsage: request.stream_options?.include_usage ?? false,
    stop,
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  return out;
}
