// Where an answer goes on Discord: the first message replies to the question (message_reference);
// each continuation of a long answer replies to the previous part, so that the reply chain (the
// conversation memory) runs through the whole answer. Markdown is Discord's own dialect: no format.
//
// Exactly once: every message is created with a nonce made of the question id and the part number,
// and `enforce_nonce`, so a create that is retried after its response was lost (a 5xx or a timeout
// after Discord stored the message), or posted again by a replay after a restart, returns the first
// message instead of making a second (Discord checks nonces of the last few minutes). Edits set the
// whole content, so retrying one is harmless. Hence 5xx and network failures are retried here with
// a backoff, on top of discord.js's own immediate retries, so a short burst does not lose the answer.

import { DiscordAPIError, RESTJSONErrorCodes, type Message, type SendableChannels } from "discord.js";
import type { AnswerControls } from "../../core/answer-actions.js";
import { answerComponents } from "./answer-buttons.js";
import { MessageDeletedError, type MessageLimits, type PostedMessage, type ReplyAddress, type ReplyChannel } from "../../core/types.js";
import { withRestRetries, type RestRetryOptions } from "./rest-retry.js";

/** Discord refuses empty content (error 50006). */
const EMPTY = "\u200b";

export interface DiscordReplyOptions {
  readonly channel: SendableChannels;
  /** The question answered: the first part replies to it, and the nonces and the journal name it. */
  readonly questionId: string;
  readonly retry: RestRetryOptions;
  /** False for a thread opened on the question: the question is in the parent channel, the thread shows it above. */
  readonly replyToQuestion?: boolean;
  /** Names the nonces (at most 25 characters with the part): another answer to the same question needs its own. */
  readonly nonceBase?: string;
}

export class DiscordReplyChannel implements ReplyChannel {
  readonly limits: MessageLimits = { maxChars: 2000 };
  readonly address: ReplyAddress;
  /** The message the next part replies to: the question (unless it is in another channel), then the latest part. */
  #replyTo: string | undefined;
  #nextPart = 0;
  /** The answer's buttons ride on its last message (answer-buttons.ts). */
  #controls: AnswerControls | undefined;
  #last: { id: string; text: string } | undefined;

  private readonly channel: SendableChannels;
  private readonly retry: RestRetryOptions;
  private readonly nonceBase: string;
  private readonly questionId: string;

  constructor(options: DiscordReplyOptions) {
    this.channel = options.channel;
    this.questionId = options.questionId;
    this.retry = options.retry;
    this.nonceBase = options.nonceBase ?? options.questionId;
    this.#replyTo = (options.replyToQuestion ?? true) ? options.questionId : undefined;
    this.address = { platform: "discord", channelId: options.channel.id, questionId: options.questionId };
  }

  /** The channel of a question, for answering it. */
  static forQuestion(question: Message, retry: RestRetryOptions): DiscordReplyChannel {
    return new DiscordReplyChannel({ channel: question.channel as SendableChannels, questionId: question.id, retry });
  }

  async post(text: string, part?: number): Promise<PostedMessage> {
    const index = part ?? this.#nextPart;
    this.#nextPart = Math.max(this.#nextPart, index + 1);
    const nonce = `${this.nonceBase}.${index}`;
    const message = await withRestRetries<Message>(
      () =>
        this.channel.send({
          content: text || EMPTY,
          ...(this.#replyTo !== undefined ? { reply: { messageReference: this.#replyTo, failIfNotExists: false } } : {}),
          nonce,
          enforceNonce: true,
          ...this.componentsFor(true),
        }),
      this.retry,
    ).catch(gone);
    this.follow(message.id);
    const previous = this.#last;
    this.#last = { id: message.id, text };
    // The buttons leave the part before: the answer goes on below it.
    if (previous && previous.id !== message.id && this.#controls && this.#controls.phase !== "none") await this.edit(previous, previous.text);
    return { id: message.id };
  }

  async controls(controls: AnswerControls): Promise<void> {
    this.#controls = controls;
    if (this.#last) await this.edit(this.#last, this.#last.text);
  }

  /** `components` for a create or edit: the buttons on the last message, none elsewhere; nothing while no buttons were asked for. */
  private componentsFor(isLast: boolean) {
    if (!this.#controls) return {};
    return { components: isLast ? answerComponents(this.#controls) : [] };
  }

  async edit(posted: PostedMessage, text: string): Promise<void> {
    // Idempotent: the PATCH carries the whole content, so a retry (or a replay's edit of a message
    // whose last edit may or may not have landed) leaves the message showing exactly `text`.
    const isLast = posted.id === this.#last?.id;
    if (isLast) this.#last = { id: posted.id, text };
    const edited = await withRestRetries<Message>(
      () => this.channel.messages.edit(posted.id, { content: text || EMPTY, ...this.componentsFor(isLast) }),
      this.retry,
    ).catch(gone);
    this.follow(edited.id);
    // discord.js returns an edited clone and leaves the cached message as it was until the gateway's
    // MESSAGE_UPDATE arrives; a reply read from the cache in between would see the placeholder.
    const cache: Map<string, Message> = this.channel.messages.cache;
    cache.set(edited.id, edited);
  }

  format(markdown: string): string {
    return markdown;
  }

  /** Continuations reply to the newest part (snowflakes grow with time), also after a replay's edits. */
  private follow(id: string): void {
    if (this.#replyTo === undefined || this.#replyTo === this.questionId || BigInt(id) > BigInt(this.#replyTo)) this.#replyTo = id;
  }
}

/** The bot's message (or the whole channel) was deleted: the chat core treats that as "stop". */
function gone(error: unknown): never {
  if (error instanceof DiscordAPIError && (error.code === RESTJSONErrorCodes.UnknownMessage || error.code === RESTJSONErrorCodes.UnknownChannel)) {
    throw new MessageDeletedError(error.message);
  }
  throw error;
}
