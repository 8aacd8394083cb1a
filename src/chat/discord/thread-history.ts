// Conversation memory in a thread the bot opened: the thread is the conversation, so the history is
// its earlier messages (a follow-up there replies to nothing, so the reply chain would be empty),
// preceded by the question the thread was opened on (its starter message, in the parent channel).

import { MessageType, type Message } from "discord.js";
import type { ChatTurn } from "../../inference/types.js";
import { plainText } from "./question.js";

/** Discord returns at most 100 messages per request. */
const PAGE = 100;

/** Up to `limit` earlier turns of the thread `message` is in, oldest first. */
export async function readThreadHistory(message: Message, limit: number, botId: string): Promise<ChatTurn[]> {
  const thread = message.channel;
  if (limit <= 0 || !thread.isThread()) return [];
  const earlier = await thread.messages.fetch({ before: message.id, limit: Math.min(PAGE, limit) });
  const ordered = [...earlier.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const turns: ChatTurn[] = [];
  for (const m of ordered) {
    if (m.system || (m.type !== MessageType.Default && m.type !== MessageType.Reply)) continue;
    const text = plainText(m, botId);
    if (text) turns.push({ role: m.author.id === botId ? "assistant" : "user", text });
  }
  if (turns.length < limit) {
    // Gone, or a thread that was not opened on a message: the thread alone is the conversation.
    const starter = await thread.fetchStarterMessage().catch(() => null);
    const text = starter ? plainText(starter, botId) : "";
    if (starter && text) turns.unshift({ role: starter.author.id === botId ? "assistant" : "user", text });
  }
  // The chat core drops the bot's status messages and joins split answers (cleanHistory).
  return turns.slice(-limit);
}
