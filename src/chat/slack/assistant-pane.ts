// The bot's split-view pane in Slack (the AI app surface, `assistant_view` in the manifest): when
// someone opens a new assistant thread (assistant_thread_started) it offers the suggested prompts,
// and a thread gets a title from its first question. The context (which channel the person was
// looking at when they opened the pane, assistant_thread_context_changed) is translated here so the
// adapter can keep it per thread. Slash commands do not work inside these threads, so /probe stays a
// channel command. Translation and Web API calls only; the answer itself goes through the chat core.

import type { webApi } from "@slack/bolt";
import { SUGGESTED_PROMPTS, SUGGESTED_PROMPTS_TITLE, type SuggestedPrompt } from "./suggested-prompts.js";

type WebClient = InstanceType<typeof webApi.WebClient>;

/** An assistant thread as the assistant_thread_started / _context_changed events describe it. */
export interface AssistantThread {
  /** The DM with the bot that holds the thread. */
  readonly channelId: string;
  readonly threadTs: string;
  readonly userId: string;
  /** The channel the person had open beside the pane, when Slack says. */
  readonly contextChannelId: string | undefined;
  readonly teamId: string | undefined;
}

/** The thread of an assistant_thread_* event, or undefined when the event lacks one. */
export function assistantThreadOf(event: unknown): AssistantThread | undefined {
  const thread = (event as { assistant_thread?: Record<string, unknown> } | undefined)?.assistant_thread;
  if (!thread || typeof thread !== "object") return undefined;
  const str = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  const context = (thread["context"] ?? {}) as Record<string, unknown>;
  const channelId = str(thread["channel_id"]);
  const threadTs = str(thread["thread_ts"]);
  const userId = str(thread["user_id"]);
  if (!channelId || !threadTs || !userId) return undefined;
  return { channelId, threadTs, userId, contextChannelId: str(context["channel_id"]), teamId: str(context["team_id"]) };
}

/** Offers the suggested prompts in a new assistant thread. */
export async function offerSuggestedPrompts(
  client: WebClient,
  thread: Pick<AssistantThread, "channelId" | "threadTs">,
  prompts: readonly SuggestedPrompt[] = SUGGESTED_PROMPTS,
): Promise<void> {
  await client.assistant.threads.setSuggestedPrompts({
    channel_id: thread.channelId,
    thread_ts: thread.threadTs,
    title: SUGGESTED_PROMPTS_TITLE,
    prompts: prompts.slice(0, 4).map((p) => ({ title: p.title, message: p.message })),
  });
}

/** The thread's title in the pane's history: the first question's first line, shortened. */
export function threadTitle(question: string): string {
  const line =
    question
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "新しい会話";
  const points = [...line];
  return points.length > 40 ? `${points.slice(0, 40).join("")}…` : line;
}

export async function setThreadTitle(client: WebClient, thread: Pick<AssistantThread, "channelId" | "threadTs">, question: string): Promise<void> {
  await client.assistant.threads.setTitle({ channel_id: thread.channelId, thread_ts: thread.threadTs, title: threadTitle(question) });
}
