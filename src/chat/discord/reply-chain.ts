// Conversation memory on Discord is the reply chain: the question replies to an earlier message,
// which may reply to another, and so on. Walking it upward gives the history, oldest first.

import { MessageReferenceType, type Message } from "discord.js";
import type { ChatTurn } from "../../inference/types.js";
import { plainText } from "./question.js";

/**
 * Reads up to `limit` earlier messages of the chain (cache first, then REST). The bot's messages
 * are "assistant" turns, everyone else's "user" turns. The walk stops at a deleted or unreadable message, a
 * forward, or a reference into another channel.
 */
export async function readReplyChain(message: Message, limit: number, botId: string): Promise<ChatTurn[]> {
  const newestFirst: ChatTurn[] = [];
  const seen = new Set([message.id]);
  let reference = message.reference;
  for (let read = 0; read < limit && reference; read++) {
    const id = reference.messageId;
    if (reference.type !== MessageReferenceType.Default || !id || reference.channelId !== message.channelId || seen.has(id)) break;
    seen.add(id);
    let earlier: Message;
    try {
      earlier = await message.channel.messages.fetch(id);
    } catch {
      break;
    }
    const text = plainText(earlier, botId);
    if (text) newestFirst.push({ role: earlier.author.id === botId ? "assistant" : "user", text });
    reference = earlier.reference;
  }
  // The chat core drops the bot's status messages and joins split answers (cleanHistory).
  return newestFirst.reverse();
}
