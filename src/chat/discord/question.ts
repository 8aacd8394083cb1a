// Which Discord messages are questions for the bot, and how one becomes an IncomingQuestion.

import { ChannelType, MessageType, type Message } from "discord.js";
import type { FollowUpFacts } from "../../core/follow-up.js";
import type { Asker } from "../../core/types.js";

export function sourceKeyOf(messageId: string): string {
  return `discord:${messageId}`;
}

/**
 * Every DM, and guild messages (channels and threads) whose mentions include the bot user.
 * `mentions.users` holds <@bot> written in the text and the replied author of a pinging reply;
 * @everyone/@here and role mentions are not in it, so they do not summon the bot.
 */
export function isQuestionForBot(message: Message, botId: string): boolean {
  if (!isPersonsMessage(message, botId)) return false;
  if (message.channel.type === ChannelType.DM) return true;
  if (!message.inGuild()) return false; // group DMs: bots are never in them
  return message.mentions.users.has(botId);
}

/** A person's own message (not a bot's, not a system message such as a join or a pin). */
function isPersonsMessage(message: Message, botId: string): boolean {
  if (message.author.bot || message.author.id === botId || message.system) return false;
  return message.type === MessageType.Default || message.type === MessageType.Reply;
}

/** A thread the bot opened (on a question, with chat.discord.answerInThread): its conversation. */
export function isBotThread(message: Message, botId: string): boolean {
  return message.channel.isThread() && message.channel.ownerId === botId;
}

/**
 * The facts the core's decideFollowUp needs about a guild message that does not mention the bot:
 * undefined for anything that cannot be a follow-up (a bot's or system message, a DM, which is
 * always answered). In the bot's conversation: in a thread the bot opened, or a reply to one of its
 * answers (a reply that does not ping still names the replied author).
 */
export function followUpFacts(message: Message, botId: string): FollowUpFacts | undefined {
  if (!isPersonsMessage(message, botId) || !message.inGuild()) return undefined;
  return {
    text: plainText(message, botId),
    mentionsOthers: message.mentions.users.some((u) => u.id !== botId),
    inBotConversation: isBotThread(message, botId) || message.mentions.repliedUser?.id === botId,
  };
}

/** A thread's name from the question: its first line, at most 100 characters (Discord's limit). */
export function threadName(question: string): string {
  const line =
    question
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  const chars = [...line];
  if (chars.length === 0) return "質問";
  return chars.length <= 100 ? line : `${chars.slice(0, 99).join("")}…`;
}

/** The text as a person reads it: the bot's mention removed, other mentions turned into names. */
export function plainText(message: Message, botId: string): string {
  return message.content
    .replace(new RegExp(`<@!?${botId}>`, "g"), "")
    .replace(/<@!?(\d+)>/g, (whole, id: string) => {
      const user = message.mentions.users.get(id) ?? message.client.users.cache.get(id);
      return user ? `@${user.displayName}` : whole;
    })
    .replace(/<@&(\d+)>/g, (whole, id: string) => {
      const role = message.guild?.roles.cache.get(id);
      return role ? `@${role.name}` : whole;
    })
    .replace(/<#(\d+)>/g, (whole, id: string) => {
      const channel = message.client.channels.cache.get(id);
      return channel && "name" in channel && channel.name ? `#${channel.name}` : whole;
    })
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

export function askerOf(message: Message): Asker {
  // Discord's member.roles never lists @everyone (its id is the guild's); neither do we.
  const roleIds = message.member?.roles.cache.filter((role) => role.id !== message.guildId).map((role) => role.id) ?? [];
  return { platform: "discord", userId: message.author.id, roleIds };
}

/** The channel access is checked against: a thread counts as its parent channel. */
export function accessChannelId(message: Message): string {
  return message.channel.isThread() ? (message.channel.parentId ?? message.channelId) : message.channelId;
}
