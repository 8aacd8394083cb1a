// The one message that shows a /probe: the deferred interaction reply while its token lives
// (15 minutes on Discord), then an ordinary channel message, which has no time limit. Progress
// edits are throttled (Discord allows about 5 edits per 5 s) and applied in order; the newest
// progress wins, stale ones are skipped.

import { DiscordAPIError, RESTJSONErrorCodes, type APIEmbed, type ChatInputCommandInteraction, type Message } from "discord.js";
import { latestWins, type LatestWins } from "../../core/latest-wins.js";
import type { DiscordEmbed } from "./probe-embed.js";

export interface ProbeView {
  readonly content?: string;
  readonly embed?: DiscordEmbed;
  readonly file?: { readonly name: string; readonly data: Buffer };
}

export interface ProbeReplyOptions {
  /** The interaction token is used until this time (ms since epoch), then the channel. */
  readonly deadline: number;
  readonly progressIntervalMs: number;
  readonly onError: (error: unknown) => void;
}

const HANDOFF = "実行が長引いているため、進捗と結果はこのチャンネルのメッセージでお知らせします。";

export class ProbeReply {
  #chain: Promise<void> = Promise.resolve();
  readonly #progress: LatestWins<ProbeView>;
  #handedOff = false;
  #channelMessage: Message | undefined;
  #closed = false;
  #lastView: ProbeView | undefined;
  readonly #deadlineTimer: NodeJS.Timeout;

  constructor(
    private readonly interaction: ChatInputCommandInteraction,
    private readonly options: ProbeReplyOptions,
  ) {
    this.#progress = latestWins(
      options.progressIntervalMs,
      (view) => {
        this.#enqueue(() => this.#show(view));
        return this.#chain;
      },
      options.onError,
    );
    // Hand off before the token dies even if no progress arrives near the deadline: afterwards the
    // deferred reply could not be edited any more and would say "thinking…" forever.
    this.#deadlineTimer = setTimeout(
      () =>
        this.#enqueue(async () => {
          await this.#handOff();
          if (this.#lastView && !this.#channelMessage) await this.#showInChannel(this.#lastView);
        }),
      Math.max(0, options.deadline - Date.now()),
    ).unref();
  }

  /** Shows progress, at most once per interval (the latest view wins). */
  progress(view: ProbeView): void {
    if (!this.#closed) this.#progress.push(view);
  }

  /** Shows the final view after every earlier edit; no progress after it. */
  async finish(view: ProbeView): Promise<void> {
    this.#stopTimers();
    await this.#progress.close();
    this.#enqueue(() => this.#show(view));
    this.#closed = true;
    await this.#chain;
  }

  /** Stops all further edits (the adapter is shutting down). */
  close(): void {
    this.#closed = true;
    this.#stopTimers();
  }

  #stopTimers(): void {
    void this.#progress.close();
    clearTimeout(this.#deadlineTimer);
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((error: unknown) => this.options.onError(error));
  }

  async #show(view: ProbeView): Promise<void> {
    this.#lastView = view;
    if (!this.#handedOff && Date.now() < this.options.deadline) {
      try {
        await this.interaction.editReply(payload(view));
        return;
      } catch (error) {
        if (!tokenGone(error)) throw error;
        this.#handedOff = true;
      }
    }
    if (!this.#handedOff) await this.#handOff();
    await this.#showInChannel(view);
  }

  async #handOff(): Promise<void> {
    if (this.#handedOff) return;
    this.#handedOff = true;
    // Best effort: when the token is already gone this fails, and the channel message says it all.
    await this.interaction.editReply({ content: HANDOFF, embeds: [], attachments: [] }).catch(() => {});
  }

  async #showInChannel(view: ProbeView): Promise<void> {
    if (this.#channelMessage) {
      this.#channelMessage = await this.#channelMessage.edit(payload(view));
      return;
    }
    const channel = this.interaction.channel ?? (await this.interaction.client.channels.fetch(this.interaction.channelId));
    if (!channel?.isSendable()) throw new Error(`cannot post the probe report in channel ${this.interaction.channelId}`);
    this.#channelMessage = await channel.send(payload(view));
  }
}

function payload(view: ProbeView) {
  return {
    content: view.content ?? "",
    embeds: view.embed ? [toApiEmbed(view.embed)] : [],
    ...(view.file && { files: [{ attachment: view.file.data, name: view.file.name }] }),
  };
}

function toApiEmbed(embed: DiscordEmbed): APIEmbed {
  return { ...embed, fields: embed.fields.map((f) => ({ ...f })) };
}

/** The interaction token expired (or the reply was deleted): use the channel from now on. */
function tokenGone(error: unknown): boolean {
  return (
    error instanceof DiscordAPIError &&
    (error.code === RESTJSONErrorCodes.InvalidWebhookToken ||
      error.code === RESTJSONErrorCodes.UnknownWebhook ||
      error.code === RESTJSONErrorCodes.UnknownMessage)
  );
}
