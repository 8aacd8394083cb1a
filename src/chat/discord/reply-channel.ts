// Where an answer goes on Discord: the first message replies to the question (message_reference);
// each continuation of a long answer replies to the previous part, so that the reply chain (the
// conversation memory) runs through the whole answer. Markdown is Discord's own dialect: no format.

import { DiscordAPIError, RESTJSONErrorCodes, type Message } from "discord.js";
import { MessageDeletedError, type MessageLimits, type PostedMessage, type ReplyChannel } from "../../bot/types.js";

/** Discord refuses empty content (error 50006). */
const EMPTY = "\u200b";

export class DiscordReplyChannel implements ReplyChannel {
  readonly limits: MessageLimits = { maxChars: 2000 };
  readonly #posted = new Map<string, Message>();
  #last: Message;

  constructor(question: Message) {
    this.#last = question;
  }

  async post(text: string): Promise<PostedMessage> {
    const message = await this.#last.reply({ content: text || EMPTY }).catch(gone);
    this.#posted.set(message.id, message);
    this.#last = message;
    return { id: message.id };
  }

  async edit(posted: PostedMessage, text: string): Promise<void> {
    const message = this.#posted.get(posted.id);
    if (!message) throw new Error(`not a message of this answer: ${posted.id}`);
    const edited = await message.edit({ content: text || EMPTY }).catch(gone);
    this.#posted.set(edited.id, edited);
    if (this.#last.id === edited.id) this.#last = edited;
    // discord.js returns an edited clone and leaves the cached message as it was until the gateway's
    // MESSAGE_UPDATE arrives; a reply read from the cache in between would see the placeholder.
    const cache: Map<string, Message> = edited.channel.messages.cache;
    cache.set(edited.id, edited);
  }

  format(markdown: string): string {
    return markdown;
  }
}

/** The bot's message (or the whole channel) was deleted: the chat core treats that as "stop". */
function gone(error: unknown): never {
  if (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.UnknownMessage || error.code === RESTJSONErrorCodes.UnknownChannel)
  ) {
    throw new MessageDeletedError(error.message);
  }
  throw error;
}
