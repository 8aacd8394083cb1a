// The Discord adapter: turns mentions and DMs into questions for the chat core, deletions into
// cancellations, and /probe into probe runs. Nothing else is decided here (see src/bot).

import { Events, RESTEvents, type Message } from "discord.js";
import type { IncomingQuestion } from "../../core/types.js";
import { NO_OBSERVER } from "../../metrics/platform-observer.js";
import { waitAtMost } from "../../core/wait-at-most.js";
import { createDiscordClient } from "./client.js";
import { connect } from "./connect.js";
import { handleProbeCommand } from "./probe-interaction.js";
import { accessChannelId, askerOf, isQuestionForBot, plainText, sourceKeyOf } from "./question.js";
import { readReplyChain } from "./reply-chain.js";
import { DiscordReplyChannel } from "./reply-channel.js";
import { DEFAULT_REST_RETRY } from "./rest-retry.js";
import type { DiscordHandle, DiscordLogger, StartDiscordOptions } from "./types.js";
import { PROBE_COMMAND_NAME } from "./commands.js";

export type { DiscordHandle, DiscordLogger, DiscordResponder, StartDiscordOptions } from "./types.js";

const consoleLogger: DiscordLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

interface InFlight {
  /** Set when the question is deleted before the chat core has it (still reading the reply chain). */
  deleted: boolean;
  done: Promise<void>;
}

/** How long stop() waits for /probe messages to show their final report. */
const PROBE_DRAIN_MS = 10_000;

export async function startDiscord(options: StartDiscordOptions): Promise<DiscordHandle> {
  const logger = options.logger ?? consoleLogger;
  const { responder } = options;
  const client = createDiscordClient(options.apiUrl);
  const inFlight = new Map<string, InFlight>();
  const stopping = new AbortController();
  const restRetry = options.restRetry ?? DEFAULT_REST_RETRY;

  client.on(Events.Error, (error) => logger.error(`discord: ${error.message}`));
  const observer = options.observer ?? NO_OBSERVER;
  observer.connecting();
  // Every REST attempt; discord.js counts retries after 5xx and network errors (a 429 waits and
  // goes again without counting as one).
  client.rest.on(RESTEvents.Response, (request, response) =>
    observer.apiCall(`${request.method.toUpperCase()} ${request.route}`, { retry: request.retries > 0, rateLimited: response.status === 429 }),
  );
  let loggedIn = false;
  client.on(Events.ShardReconnecting, () => observer.connecting());
  client.on(Events.ShardResume, () => observer.connected());
  // A session that could not be resumed ends in a new READY.
  client.on(Events.ShardReady, () => {
    if (loggedIn) observer.connected();
  });
  client.on(Events.ShardError, (error) => logger.warn(`discord gateway: ${error.message}`));
  // Only unrecoverable closes (bad token, disallowed intents) end up here; others reconnect by themselves.
  client.on(Events.ShardDisconnect, (event) => logger.error(`discord gateway closed for good (code ${event.code})`));

  async function answer(message: Message, botId: string, entry: InFlight): Promise<void> {
    const sourceKey = sourceKeyOf(message.id);
    try {
      const asker = askerOf(message);
      const channelId = accessChannelId(message);
      // Nobody's reply chain is read for a question that will be refused anyway.
      const allowed = responder.checkAccess(asker, channelId).ok;
      const history = allowed ? await readReplyChain(message, options.historyMessages, botId) : [];
      if (entry.deleted) return;
      const question: IncomingQuestion = {
        asker,
        channelId,
        isDirect: !message.inGuild(),
        text: plainText(message, botId),
        history,
        sourceKey,
      };
      const outcome = await responder.answer(question, DiscordReplyChannel.forQuestion(message, restRetry));
      if (outcome.kind === "failed") logger.warn(`discord: answer to ${message.id} failed: ${outcome.reason}`);
    } catch (error) {
      logger.error(`discord: answering ${message.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  client.on(Events.MessageCreate, (message) => {
    const botId = client.user?.id;
    if (!botId || stopping.signal.aborted || !isQuestionForBot(message, botId)) return;
    const key = sourceKeyOf(message.id);
    if (inFlight.has(key)) return;
    const entry: InFlight = { deleted: false, done: Promise.resolve() };
    entry.done = answer(message, botId, entry).finally(() => inFlight.delete(key));
    inFlight.set(key, entry);
  });

  function cancel(messageId: string): void {
    const key = sourceKeyOf(messageId);
    const entry = inFlight.get(key);
    if (entry) entry.deleted = true;
    responder.cancelSource(key);
  }
  client.on(Events.MessageDelete, (message) => cancel(message.id));
  client.on(Events.MessageBulkDelete, (messages) => messages.forEach((m) => cancel(m.id)));

  // /probe runs still reporting; stop() lets them post their final (cancelled) report.
  const probeReplies = new Set<Promise<void>>();
  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand() || interaction.commandName !== PROBE_COMMAND_NAME) return;
    const work = handleProbeCommand(interaction, {
      responder,
      probe: options.probe,
      logger,
      interactionTokenMs: options.interactionTokenMs ?? 14 * 60_000,
      progressIntervalMs: options.probeProgressIntervalMs ?? 1_000,
      signal: stopping.signal,
    });
    probeReplies.add(work);
    void work.finally(() => probeReplies.delete(work));
  });

  await connect(client, options.token, options.readyTimeoutMs ?? 60_000);
  const applicationId = client.application?.id;
  if (options.applicationId && applicationId && options.applicationId !== applicationId) {
    logger.warn(`discord: DISCORD_APPLICATION_ID is ${options.applicationId} but the token belongs to application ${applicationId}`);
  }
  logger.info(`discord: logged in as ${client.user?.tag ?? "?"}`);
  loggedIn = true;
  observer.connected();

  return {
    async replyChannel(address) {
      if (address.platform !== "discord" || !address.channelId || !address.questionId) throw new Error(`not a Discord reply address: ${JSON.stringify(address)}`);
      const channel = await client.channels.fetch(address.channelId);
      if (!channel?.isSendable()) throw new Error(`Discord channel ${address.channelId} cannot be posted in`);
      return new DiscordReplyChannel(channel, address.questionId, restRetry);
    },
    async stop() {
      stopping.abort();
      for (const messageId of [...inFlight.keys()].map((k) => k.slice("discord:".length))) cancel(messageId);
      await Promise.allSettled([...inFlight.values()].map((e) => e.done));
      await waitAtMost(Promise.allSettled([...probeReplies]), PROBE_DRAIN_MS);
      await client.destroy();
    },
  };
}
