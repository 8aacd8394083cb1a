// The Discord adapter: turns mentions and DMs into questions for the chat core, deletions into
// cancellations, and /probe into the core's probe handler. Nothing else is decided here (see src/core).

import { Events, RESTEvents, type Message } from "discord.js";
import { decideFollowUp, type FollowUpSettings } from "../../core/follow-up.js";
import { withoutProbes } from "../../core/probe-chat.js";
import type { IncomingQuestion } from "../../core/types.js";
import type { ChatTurn } from "../../inference/types.js";
import { NO_OBSERVER } from "../../metrics/platform-observer.js";
import { createDiscordClient } from "./client.js";
import { connect } from "./connect.js";
import { handleAnswerClick, isAnswerClick } from "./answer-clicks.js";
import { handleProbeCommand } from "./probe-interaction.js";
import { discordAttachments } from "./attachments.js";
import { accessChannelId, askerOf, followUpFacts, isBotThread, isQuestionForBot, plainText, sourceKeyOf, threadName } from "./question.js";
import { readReplyChain } from "./reply-chain.js";
import { readThreadHistory } from "./thread-history.js";
import { DiscordReplyChannel } from "./reply-channel.js";
import { DEFAULT_REST_RETRY } from "./rest-retry.js";
import type { DiscordHandle, DiscordLogger, StartDiscordOptions } from "./types.js";
import { PROBE_COMMAND_NAME } from "./commands.js";

export type { DiscordHandle, DiscordLogger, StartDiscordOptions } from "./types.js";

const DEFAULT_FOLLOW_UPS: FollowUpSettings = { enabled: true, ignorePrefix: "//" };

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
    loadHistory: () => history(message, botId),
    sourceKey: sourceKeyOf(message.id),
    ...(channelNameOf(message) ? { channelName: channelNameOf(message)! } : {}),
    ...(message.attachments.size > 0 ? { attachments: discordAttachments(message.attachments.values()) } : {}),
  });

  /** In a thread the bot opened, the thread is the conversation; elsewhere the reply chain is. */
  const history = async (message: Message, botId: string): Promise<ChatTurn[]> => {
    try {
      if (isBotThread(message, botId) && !message.reference) return await readThreadHistory(message, options.historyMessages, botId);
      return await readReplyChain(message, options.historyMessages, botId);
    } catch (error) {
      logger.warn(`discord: could not read the reply chain of ${message.id}: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  };

  const followUps = options.followUps ?? DEFAULT_FOLLOW_UPS;
  /** Not a mention: a follow-up in the bot's conversation? The core's rule decides. */
  const isFollowUp = (message: Message, botId: string): boolean => {
    const facts = followUpFacts(message, botId);
    if (!facts) return false;
    const decision = decideFollowUp(facts, followUps);
    // Said only inside the bot's conversation: every other guild message passes through here too.
    if (decision.kind === "ignore" && facts.inBotConversation === true) logger.info(`discord: ${message.id} is not a follow-up: ${decision.reason}`);
    return decision.kind === "answer";
  };

  /** chat.discord.answerInThread: a mention in a channel opens a thread on it, answered there. */
  const replyChannelFor = async (message: Message, botId: string): Promise<DiscordReplyChannel> => {
    // A reply (to one of the bot's answers, pinging it) continues its reply chain where it is.
    if (!options.answerInThread || !message.inGuild() || message.channel.isThread() || message.reference)
      return DiscordReplyChannel.forQuestion(message, restRetry);
    try {
      const thread = await message.startThread({ name: threadName(plainText(message, botId)) });
      return new DiscordReplyChannel({ channel: thread, questionId: message.id, retry: restRetry, replyToQuestion: false });
    } catch (error) {
      // Without Create Public Threads (or in a channel that has none) the answer goes under the question.
      logger.warn(`discord: could not open a thread on ${message.id}, answering in the channel: ${error instanceof Error ? error.message : String(error)}`);
      return DiscordReplyChannel.forQuestion(message, restRetry);
    }
  };

  client.on(Events.MessageCreate, (message) => {
    const botId = client.user?.id;
    if (!botId || stopping) return;
    const mention = isQuestionForBot(message, botId);
    if (!mention && !isFollowUp(message, botId)) return;
    // The core decides, tracks and logs the rest; answer() never rejects.
    void (async () => {
      const reply = mention ? await replyChannelFor(message, botId) : DiscordReplyChannel.forQuestion(message, restRetry);
      await responder.answer(questionOf(message, botId), reply);
    })();
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
      if (address.platform !== "discord" || !address.channelId || !address.questionId)
        throw new Error(`not a Discord reply address: ${JSON.stringify(address)}`);
      const channel = await client.channels.fetch(address.channelId);
      if (!channel?.isSendable()) throw new Error(`Discord channel ${address.channelId} cannot be posted in`);
      return new DiscordReplyChannel({ channel, questionId: address.questionId, retry: restRetry });
    },
    async [Symbol.asyncDispose]() {
      if (stopping) return;
      stopping = true;
      await client.destroy();
    },
  };
}

/** The channel's name for {channel} in a channel prompt: a thread's parent, as access counts it. */
function channelNameOf(message: Message): string | undefined {
  const channel = message.channel.isThread() ? message.channel.parent : message.channel;
  return channel && "name" in channel && channel.name ? channel.name : undefined;
}
