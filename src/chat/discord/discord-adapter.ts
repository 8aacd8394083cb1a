// The Discord adapter: turns mentions and DMs into questions for the chat core, deletions into
// cancellations, and /probe into the core's probe handler. Nothing else is decided here (see src/core).

import { Events, RESTEvents, type Message } from "discord.js";
import { withoutProbes } from "../../core/probe-chat.js";
import type { IncomingQuestion } from "../../core/types.js";
import type { ChatTurn } from "../../inference/types.js";
import { NO_OBSERVER } from "../../metrics/platform-observer.js";
import { createDiscordClient } from "./client.js";
import { connect } from "./connect.js";
import { handleAnswerClick, isAnswerClick } from "./answer-clicks.js";
import { handleProbeCommand } from "./probe-interaction.js";
import { accessChannelId, askerOf, isQuestionForBot, plainText, sourceKeyOf } from "./question.js";
import { readReplyChain } from "./reply-chain.js";
import { DiscordReplyChannel } from "./reply-channel.js";
import { DEFAULT_REST_RETRY } from "./rest-retry.js";
import type { DiscordHandle, DiscordLogger, StartDiscordOptions } from "./types.js";
import { PROBE_COMMAND_NAME } from "./commands.js";

export type { DiscordHandle, DiscordLogger, StartDiscordOptions } from "./types.js";

const consoleLogger: DiscordLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export async function startDiscord(options: StartDiscordOptions): Promise<DiscordHandle> {
  const logger = options.logger ?? consoleLogger;
  const { responder } = options;
  const client = createDiscordClient(options.apiUrl);
  let stopping = false;
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

  const questionOf = (message: Message, botId: string): IncomingQuestion => ({
    asker: askerOf(message),
    channelId: accessChannelId(message),
    isDirect: !message.inGuild(),
    text: plainText(message, botId),
    loadHistory: () => replyChain(message, botId),
    sourceKey: sourceKeyOf(message.id),
  });

  const replyChain = async (message: Message, botId: string): Promise<ChatTurn[]> => {
    try {
      return await readReplyChain(message, options.historyMessages, botId);
    } catch (error) {
      logger.warn(`discord: could not read the reply chain of ${message.id}: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  };

  client.on(Events.MessageCreate, (message) => {
    const botId = client.user?.id;
    if (!botId || stopping || !isQuestionForBot(message, botId)) return;
    // The core decides, tracks and logs the rest; answer() never rejects.
    void responder.answer(questionOf(message, botId), DiscordReplyChannel.forQuestion(message, restRetry));
  });

  const cancel = (messageId: string) => void responder.cancelSource(sourceKeyOf(messageId));
  client.on(Events.MessageDelete, (message) => cancel(message.id));
  client.on(Events.MessageBulkDelete, (messages) => messages.forEach((m) => cancel(m.id)));

  const probeChat = options.probeChat ?? withoutProbes(responder);
  client.on(Events.InteractionCreate, (interaction) => {
    if (stopping) return;
    // Stop / Regenerate / 👍👎 under an answer: never rejects.
    if (interaction.isButton() && isAnswerClick(interaction)) return void handleAnswerClick(interaction, { core: responder, logger, restRetry });
    if (!interaction.isChatInputCommand() || interaction.commandName !== PROBE_COMMAND_NAME) return;
    // Never rejects; the core tracks the run for shutdown.
    void handleProbeCommand(interaction, {
      probeChat,
      logger,
      interactionTokenMs: options.interactionTokenMs ?? 14 * 60_000,
      progressIntervalMs: options.probeProgressIntervalMs ?? 1_000,
    });
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
    async [Symbol.asyncDispose]() {
      if (stopping) return;
      stopping = true;
      await client.destroy();
    },
  };
}
