// The running bot: one engine and queue, the chat core, the probe service, and every adapter whose
// credentials are set (the terminal when none are, or when asked). Stops cleanly on SIGINT/SIGTERM.

import { Journal } from "../bot/journal.js";
import { Recovery } from "../bot/recovery.js";
import { Responder } from "../bot/responder.js";
import type { ReplyChannelSource } from "../bot/types.js";
import { runConsole } from "../chat/console/console-adapter.js";
import { consoleProbeCommand } from "../chat/console/probe-command.js";
import { displayModelUri, type AppConfig } from "../config/schema.js";
import type { Secrets } from "../config/secrets.js";
import { openInference } from "./inference.js";
import type { Logger } from "./logger.js";
import { apiTokens } from "../api/auth.js";
import { openAiApi } from "../api/openai-api.js";
import { ConfigError } from "../config/errors.js";
import { startApiServer } from "./api-server.js";
import { openProbe, saveChart, saveTranscript } from "./probe-service.js";

export interface BotOptions {
  readonly config: AppConfig;
  readonly secrets: Secrets;
  readonly logger: Logger;
  /** Run the terminal adapter even when platform credentials are set (platforms then stay off). */
  readonly console: boolean;
  /** Called for each answer the journal replays at start-up or after an outage (elyza_journal_replays_total). */
  readonly onJournalReplay?: () => void;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

/** Resolves when the bot has stopped (signal, or the terminal user left). */
export async function runBot(options: BotOptions): Promise<void> {
  const { config, secrets, logger } = options;
  const platforms = options.console ? [] : ([secrets.slack && "slack", secrets.discord && "discord"].filter(Boolean) as string[]);
  logger.info(`starting: ${platforms.length ? platforms.join(" + ") : "terminal"}; model ${displayModelUri(config.model.uri)}`);
  checkApiSettings(config, secrets);

  const inference = await openInference(config, { status: options.stderr, log: (level, message) => logger[level](message) });
  const { engine, queue, local } = inference;
  if (local) logger.info(`model ${local.modelName} loaded on ${local.gpu || "the CPU"}; ${local.parallel} parallel sequences × ${local.contextSize} tokens`);
  for (const b of inference.pool?.status() ?? []) {
    logger.info(`backend ${b.name} (${b.kind}, ${b.model}): ${b.state}${b.reason ? ` (${b.reason})` : ""}, ${b.slots} slots`);
  }
  const probe = openProbe({
    config,
    queue,
    modelName: engine.modelName,
    fingerprint: inference.fingerprint,
    parallel: engine.parallel,
    warn: (m) => logger.warn(m),
    status: options.stderr,
  });
  // The journal is for platform answers (the terminal chat has nobody to come back to).
  const journal = platforms.length > 0 ? new Journal(config.probe.dataDirectory) : undefined;
  const responder = new Responder({
    queue,
    systemPrompt: config.systemPrompt,
    editIntervalMs: config.chat.editIntervalMs,
    access: config.access,
    ...(journal ? { journal } : {}),
  });
  const channels = new Map<string, ReplyChannelSource>();
  const recovery = journal
    ? new Recovery({
        journal,
        responder,
        channels,
        maxAgeMs: config.journal.maxAgeMs,
        retryForMs: config.journal.retryForMs,
        log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
        ...(options.onJournalReplay ? { onReplay: options.onJournalReplay } : {}),
      })
    : undefined;

  const running: Stoppable[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      probe.runner.cancel();
      await recovery?.stop();
      for (const adapter of running.reverse()) {
        await adapter.stop().catch((error: unknown) => logger.error(`stopping ${adapter.name} failed`, error));
      }
      queue.cancelAll("the bot is shutting down");
      await queue.onIdle();
      await probe.close();
      journal?.close();
      await inference.close();
      logger.info("stopped");
    })());

  try {
    if (config.api.enabled) {
      const api = await startApiServer(
        openAiApi({
          queue,
          tokens: apiTokens(secrets.apiTokens!),
          priority: config.api.priority,
          modelId: config.api.modelId,
          maxBodyBytes: config.api.maxBodyBytes,
          maxTokens: config.sampling.maxTokens,
          systemPrompt: config.systemPrompt,
          maxConcurrent: config.api.maxConcurrent,
          log: (level, message) => logger[level](message),
        }),
        config.http.port,
      );
      running.push({ name: "api", stop: () => api.close() });
      logger.info(`api: OpenAI-compatible API on port ${api.port} (POST /v1/chat/completions, GET /v1/models; ${config.api.priority} priority)`);
    }
    if (platforms.length === 0) {
      await runConsole({
        queue,
        systemPrompt: config.systemPrompt,
        input: options.stdin,
        output: options.stdout,
        historyTurns: config.chat.historyMessages,
        commands: consoleProbeCommand(
          probe.runner,
          config.probe.suite,
          (result) => saveTranscript(config.probe.dataDirectory, result),
          (chart) => saveChart(config.probe.dataDirectory, chart),
        ),
        banner: `elyza-bot — ${engine.modelName}。質問を入力してください（/probe で推論テスト、/reset で会話をリセット、Ctrl-C で終了）。`,
      });
      await stopAll();
      return;
    }
    if (secrets.slack) {
      const { startSlack } = await import("../chat/slack/slack-adapter.js");
      const slack = await startSlack({
        botToken: secrets.slack.botToken,
        ...(secrets.slack.appToken ? { appToken: secrets.slack.appToken } : {}),
        ...(secrets.slack.signingSecret ? { signingSecret: secrets.slack.signingSecret } : {}),
        ...(secrets.slack.apiUrl ? { apiUrl: secrets.slack.apiUrl } : {}),
        port: config.http.port,
        responder,
        probe: probe.runner,
        historyMessages: config.chat.historyMessages,
        editIntervalMs: config.chat.editIntervalMs,
        logger,
      });
      running.push({ name: "slack", stop: () => slack.stop() });
      channels.set("slack", slack.replyChannel);
      logger.info(`slack: connected as ${slack.botUserId} (${slack.mode === "socket" ? "Socket Mode" : `HTTP on port ${slack.port}`})`);
    }
    if (secrets.discord) {
      const { startDiscord } = await import("../chat/discord/discord-adapter.js");
      const discord = await startDiscord({
        token: secrets.discord.token,
        ...(secrets.discord.applicationId ? { applicationId: secrets.discord.applicationId } : {}),
        ...(secrets.discord.apiUrl ? { apiUrl: secrets.discord.apiUrl } : {}),
        responder,
        probe: probe.runner,
        historyMessages: config.chat.historyMessages,
        logger,
      });
      running.push({ name: "discord", stop: () => discord.stop() });
      channels.set("discord", discord.replyChannel);
      logger.info("discord: connected");
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  if (recovery) {
    // Every platform is connected: finish what the previous process left (in the background; new
    // questions are answered meanwhile), then keep retrying deliveries an outage held up.
    void recovery.recoverAtStart().finally(() => {
      logger.info("journal: recovery done");
      recovery.start();
    });
  }

  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info(`${signal}: stopping`);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      void stopAll().then(resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** The API needs its token, and a port of its own until it moves onto the shared HTTP server. */
function checkApiSettings(config: AppConfig, secrets: Secrets): void {
  if (!config.api.enabled) return;
  if (!secrets.apiTokens?.length) {
    throw new ConfigError("api.enabled is true but ELYZA_API_TOKEN is not set (the bearer token API clients must send; several may be separated by commas)");
  }
  if (secrets.slack?.mode === "http") {
    throw new ConfigError("api.enabled and Slack HTTP mode (SLACK_SIGNING_SECRET) both want http.port; use Slack Socket Mode (SLACK_APP_TOKEN) with the API for now");
  }
}
