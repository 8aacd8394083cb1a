// Per-channel system prompt and sampling (config `chat.channels`). A channel's prompt may carry
// {date} and {channel}, filled in for each question (the model has no clock, and a prompt written
// for #support can name the channel). Placeholders are checked when the config loads, by the
// schema calling `promptPlaceholderProblem`, so that a typo like {data} stops the bot at start-up
// instead of reaching the model verbatim in the middle of a conversation. The top-level
// systemPrompt (the article's) is used verbatim: it is the probes' baseline and has no placeholders.

import type { AppConfig } from "./schema.js";
import type { SamplingOptions } from "../inference/types.js";

export const PROMPT_PLACEHOLDERS = ["date", "channel"] as const;

/** `{name}` outside `{{`/`}}` (which stand for literal braces). */
const TOKEN = /\{\{|\}\}|\{([^{}]*)\}/g;

/** Why `prompt` cannot be filled in (an unknown or unclosed placeholder), or undefined when it can. */
export function promptPlaceholderProblem(prompt: string): string | undefined {
  const unknown = new Set<string>();
  for (const match of prompt.matchAll(TOKEN)) {
    const name = match[1];
    if (name !== undefined && !(PROMPT_PLACEHOLDERS as readonly string[]).includes(name)) unknown.add(`{${name}}`);
  }
  const known = PROMPT_PLACEHOLDERS.map((p) => `{${p}}`).join(", ");
  if (unknown.size > 0) {
    return `unknown placeholder${unknown.size > 1 ? "s" : ""} ${[...unknown].join(", ")} (placeholders: ${known}; write {{ and }} for literal braces)`;
  }
  // Whatever is left after the placeholders and escapes must hold no lone brace.
  if (/[{}]/.test(prompt.replace(TOKEN, ""))) return `a lone { or } (placeholders: ${known}; write {{ and }} for literal braces)`;
  return undefined;
}

export interface PromptValues {
  readonly date: string;
  readonly channel: string;
}

/** The prompt with its placeholders filled in; assumes promptPlaceholderProblem(prompt) is undefined. */
export function fillPrompt(prompt: string, values: PromptValues): string {
  return prompt.replace(TOKEN, (token, name: string | undefined) => {
    if (token === "{{") return "{";
    if (token === "}}") return "}";
    return name === "date" ? values.date : name === "channel" ? values.channel : token;
  });
}

/** 2026年12月1日(火) in the configured time zone: how a Japanese prompt writes today's date. */
export function promptDate(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("ja-JP", { timeZone, year: "numeric", month: "numeric", day: "numeric", weekday: "short" }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}年${part("month")}月${part("day")}日(${part("weekday")})`;
}

export interface ChatSettings {
  readonly systemPrompt: string;
  /** The configured sampling with the channel's keys over it (no seed: each answer picks its own). */
  readonly sampling: Omit<SamplingOptions, "seed">;
}

export type ChannelSettingsConfig = Pick<AppConfig, "systemPrompt" | "sampling"> & {
  readonly chat: Pick<AppConfig["chat"], "channels" | "timeZone">;
};

/**
 * What one question in `channelId` is answered with. `channelName` (e.g. "general", when the
 * adapter knows it) fills {channel}; without it the id does.
 */
export function chatSettingsFor(config: ChannelSettingsConfig, channelId: string, now: Date, channelName?: string): ChatSettings {
  const own = Object.hasOwn(config.chat.channels, channelId) ? config.chat.channels[channelId] : undefined;
  const sampling = { ...config.sampling, ...definedOnly(own?.sampling ?? {}) };
  if (own?.systemPrompt === undefined) return { systemPrompt: config.systemPrompt, sampling };
  const systemPrompt = fillPrompt(own.systemPrompt, { date: promptDate(now, config.chat.timeZone), channel: channelName ?? channelId });
  return { systemPrompt, sampling };
}

/** The keys whose value is not undefined, typed as such (so they can spread over required ones). */
function definedOnly<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
