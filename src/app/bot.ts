// The running bot: one engine and queue, the chat core, the probe service, and every adapter whose
// credentials are set (the terminal when none are, or when asked). Stops cleanly on SIGINT/SIGTERM.
// With a platform configured, the HTTP server on http.port (/healthz, /readyz, /metrics, and
// Slack's Events API in HTTP mode) listens from the first moment, before the model is there.

import type { AccessConfig } from "../core/access.js";
import { Journal } from "../core/journal.js";
import { FeedbackStore } from "../feedback/store.js";
import { Recovery } from "../core/recovery.js";
import { ProbeChat } from "../core/probe-chat.js";
import { Responder } from "../core/responder.js";
import type { ReplyChannelSource } from "../core/types.js";
import { runConsole } from "../chat/console/console-adapter.js";
import { consoleProbeCommand } from "../chat/console/probe-command.js";
import { ConfigError } from "../config/errors.js";
import { displayModelUri, type AppConfig } from "../config/schema.js";
import type { Secrets } from "../config/secrets.js";
import { opsRoutes } from "../http/ops-routes.js";
import { Readiness } from "../http/readiness.js";
import { HttpServer } from "../http/server.js";
import { outcomeLabels } from "../metrics/answer-outcomes.js";
import { BotMetrics } from "../metrics/bot-metrics.js";
import { platformObserver } from "../metrics/platform-observer.js";
import { instrumentProbe } from "../metrics/probe-metrics.js";
import { instrumentQueue } from "../metrics/queue-metrics.js";
import { openInference } from "./inference.js";
import type { Logger } from "./logger.js";
import { apiTokens } from "../api/auth.js";
import { openAiApi } from "../api/openai-api.js";
import { FatalError, installProcessGuards } from "./process-guards.js";
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
  /** The terminal chat's output. */
  readonly stdout: NodeJS.WritableStream;
  /** Model download and probe progress. */
  readonly status: NodeJS.WritableStream;
  /** Told once start-up is done: the model is loaded and every adapter is connected. */
  readonly onStarted?: () => void;
  /** Told once the HTTP server listens (tests, and routes mounted by other parts of the bot). */
  readonly onHttpServer?: (server: HttpServer, ops: { readonly metrics: BotMetrics; readonly readiness: Readiness }) => void;
}

interface Adapter {
  readonly name: string;
  readonly handle: { [Symbol.asyncDispose](): Promise<void> };
}

/**
 * Resolves when the bot has stopped (signal, or the terminal user left); rejects with FatalError,
 * after draining, when an error nothing handled made the process's state unknown.
 */
export async function runBot(options: BotOptions): Promise<void> {
  const { config, secrets, logger } = options;
  const platforms = options.console ? [] : ([secrets.slack && "slack", secrets.discord && "discord"].filter(Boolean) as string[]);
  logger.info(`starting: ${platforms.length ? platforms.join(" + ") : "terminal"}; model ${displayModelUri(config.model.uri)}`);
  checkApiSettings(config, secrets);

  const metrics = new BotMetrics();
  const readiness = new Readiness();
  const logged = new Map<string, string>();
  readiness.onChange((component, { state }) => {
    if (logged.get(component) === state) return; // download progress: one line, not one per chunk
    logged.set(component, state);
    logger.info(`readiness: ${component} ${state}`);
  });
  readiness.set("model", { state: "loading" });
  // The terminal chat alone serves nobody over HTTP; platforms and the API do.
  const http = platforms.length > 0 || config.api.enabled ? await listenHttp(config.http.port, logger) : undefined;
  if (http) {
    http.mount(opsRoutes({ readiness, metrics }));
    logger.info(`http: /healthz, /readyz and /metrics on port ${http.port}`);
    options.onHttpServer?.(http, { metrics, readiness });
  }
  const observers = Object.fromEntries(platforms.map((p) => [p, platformObserver(p, metrics, readiness)]));

  let inference;
  try {
    inference = await openInference(config, {
      status: options.status,
      log: (level, message) => logger[level](message),
      onDownload: (p) => readiness.set("model", { state: "downloading", downloadedBytes: p.downloadedBytes, totalBytes: p.totalBytes }),
      onLoading: () => readiness.set("model", { state: "loading" }),
    });
  } catch (error) {
    await http?.[Symbol.asyncDispose]();
    throw error;
  }
  const { engine, local } = inference;
  // Everything submits through the decorator, which times requests for the metrics.
  const queue = instrumentQueue(inference.queue, metrics, {
    onEnd: (e) => logger.info("generation", { ...e }),
  });
  readiness.set("model", { state: "ready" });
  if (local)
    logger.info(
      `model ${local.modelName} loaded on ${local.gpu || "the CPU"} (${binaryLine(local)}); ${local.parallel} parallel sequences (${local.parallelReason}) × ${local.contextSize} tokens`,
    );
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
    status: options.status,
  });
  // The journal is for platform answers (the terminal chat has nobody to come back to).
  const journal = platforms.length > 0 ? new Journal(config.probe.dataDirectory) : undefined;
  // 👍/👎 under platform answers (the terminal has no buttons), beside the journal.
  const feedbackStore = platforms.length > 0 ? new FeedbackStore(config.probe.dataDirectory) : undefined;
  const probeService = instrumentProbe(probe.runner, metrics);
  const responder = new Responder({
    queue,
    systemPrompt: config.systemPrompt,
    editIntervalMs: config.chat.editIntervalMs,
    // The terminal's user owns the process: no allow-lists and no rate limit apply to them.
    access: platforms.length > 0 ? config.access : OPEN_ACCESS,
    ...(journal ? { journal } : {}),
    channelSettings: config,
    attachments: {
      ...config.chat.attachments,
      // The model's own tokenizer where it runs here; a remote backend's is not known: one token per character.
      countTokens: local ? (text) => local.countTokens(text) : (text) => [...text].length,
    },
    ...(feedbackStore
      ? {
          feedback: {
            store: feedbackStore,
            modelName: engine.modelName,
            modelFingerprint: () => inference.fingerprint(),
            sampling: { temperature: config.sampling.temperature, topP: config.sampling.topP, maxTokens: config.sampling.maxTokens },
          },
        }
      : {}),
    onOutcome: (outcome, question, durationMs) => {
      const labels = outcomeLabels(outcome);
      metrics.answer(labels.outcome, labels.reason);
      // Ids, outcome and times only: never the question's or the answer's text.
      logger.info("answer", {
        platform: question.asker.platform,
        channel: question.channelId,
        questionKey: question.sourceKey,
        outcome: labels.outcome,
        ...(labels.reason ? { reason: labels.reason } : {}),
        ...(outcome.kind === "answered" ? { messages: outcome.messages } : {}),
        durationMs,
      });
      if (outcome.kind === "failed") logger.debug("answer failed", { questionKey: question.sourceKey, error: outcome.reason });
    },
  });
  // /probe from Slack, Discord and the terminal: one handler, one check order, the same texts.
  const probeChat = new ProbeChat({
    probe: probeService,
    core: responder,
    defaultSuite: config.probe.suite,
    historyCount: config.probe.historyCount,
    log: (m) => logger.warn(m),
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
        onReplay: (action) => {
          metrics.journalReplayed(REPLAY_RESULT[action]);
          options.onJournalReplay?.();
        },
      })
    : undefined;

  const running: Adapter[] = [];
  let stopping: Promise<void> | undefined;
  // One shutdown for every platform: the running probe is cancelled and its messages get the partial
  // report; every waiting and running answer is cancelled and ends with the shutdown note (new
  // questions meanwhile are refused with it) — each drain at most 10 s; then the adapters disconnect.
  const stopAll = () =>
    (stopping ??= (async () => {
      probe.runner.cancel();
      await probeChat[Symbol.asyncDispose]();
      await recovery?.[Symbol.asyncDispose]();
      await responder[Symbol.asyncDispose]();
      for (const adapter of running.reverse()) {
        await adapter.handle[Symbol.asyncDispose]().catch((error: unknown) => logger.error(`stopping ${adapter.name} failed`, error));
      }
      inference.queue.cancelAll("the bot is shutting down");
      await queue.onIdle();
      await probe[Symbol.asyncDispose]();
      await journal?.[Symbol.asyncDispose]();
      await feedbackStore?.[Symbol.asyncDispose]();
      await inference[Symbol.asyncDispose]();
      await http?.[Symbol.asyncDispose]();
      logger.info("stopped");
    })());

  // Survivable errors are logged; a crash-worthy one drains and ends the run with FatalError.
  let fatal: ((error: unknown) => void) | undefined;
  const fatalError = new Promise<never>((_, reject) => {
    fatal = (error) => void stopAll().then(() => reject(new FatalError(error)));
  });
  fatalError.catch(() => {});
  const removeGuards = installProcessGuards({ logger, onFatal: (error) => fatal!(error) });

  try {
    if (config.api.enabled && http) {
      http.mount(
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
      );
      logger.info(`api: OpenAI-compatible API on port ${http.port} (POST /v1/chat/completions, GET /v1/models; ${config.api.priority} priority)`);
    }
    if (platforms.length === 0) {
      options.onStarted?.();
      await runConsole({
        core: responder,
        input: options.stdin,
        output: options.stdout,
        historyMessages: config.chat.historyMessages,
        commands: consoleProbeCommand(
          probeChat,
          (result) => saveTranscript(config.probe.dataDirectory, result),
          (chart) => saveChart(config.probe.dataDirectory, chart),
        ),
        banner: `elyza-bot — ${engine.modelName}。質問を入力してください（/probe で推論テスト、/reset で会話をリセット、Ctrl-C で終了）。`,
      });
      removeGuards();
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
        ...(http ? { httpServer: http } : {}),
        responder,
        probeChat,
        historyMessages: config.chat.historyMessages,
        editIntervalMs: config.chat.editIntervalMs,
        followUps: { enabled: config.chat.followUps, ignorePrefix: config.chat.ignorePrefix },
        nativeStreaming: config.chat.slack.nativeStreaming,
        logger,
        observer: observers["slack"]!,
      });
      running.push({ name: "slack", handle: slack });
      channels.set("slack", slack.replyChannel);
      logger.info(`slack: connected as ${slack.botUserId} (${slack.mode === "socket" ? "Socket Mode" : `HTTP on port ${slack.port ?? http?.port}`})`);
    }
    if (secrets.discord) {
      const { startDiscord } = await import("../chat/discord/discord-adapter.js");
      const discord = await startDiscord({
        token: secrets.discord.token,
        ...(secrets.discord.applicationId ? { applicationId: secrets.discord.applicationId } : {}),
        ...(secrets.discord.apiUrl ? { apiUrl: secrets.discord.apiUrl } : {}),
        responder,
        probeChat,
        historyMessages: config.chat.historyMessages,
        followUps: { enabled: config.chat.followUps, ignorePrefix: config.chat.ignorePrefix },
        answerInThread: config.chat.discord.answerInThread,
        logger,
        observer: observers["discord"]!,
      });
      running.push({ name: "discord", handle: discord });
      channels.set("discord", discord.replyChannel);
      logger.info("discord: connected");
    }
  } catch (error) {
    removeGuards();
    await stopAll();
    throw error;
  }

  options.onStarted?.();
  if (recovery) {
    // Every platform is connected: finish what the previous process left (in the background; new
    // questions are answered meanwhile), then keep retrying deliveries an outage held up.
    void recovery.recoverAtStart().finally(() => {
      logger.info("journal: recovery done");
      recovery.start();
    });
  }

  let onSignal: ((signal: string) => void) | undefined;
  try {
    await Promise.race([
      fatalError,
      new Promise<void>((resolve) => {
        onSignal = (signal: string) => {
          logger.info(`${signal}: stopping`);
          void stopAll().then(resolve);
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
      }),
    ]);
  } finally {
    if (onSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    removeGuards();
  }
}

const OPEN_ACCESS: AccessConfig = { allowedChannels: [], allowedUsers: [], allowedRoles: [], probeAdmins: [], ratePerMinute: 0 };

/** The journal's replay actions as elyza_journal_replays_total results. */
const REPLAY_RESULT = { answered: "answered", expired: "expired", ended: "interrupted", "gave-up": "failed" } as const;

/** The bot's HTTP server; a port that is taken or not allowed is the user's to fix (one line). */
async function listenHttp(port: number, logger: Logger): Promise<HttpServer> {
  try {
    return await HttpServer.listen({ port, onError: (error, req) => logger.error(`HTTP ${req.method} ${req.url}: handler failed`, error) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new ConfigError(
        `http.port: cannot listen on port ${port} (${code === "EADDRINUSE" ? "already in use" : "not allowed"}): set PORT or http.port to a free port`,
      );
    }
    throw error;
  }
}

/** The API needs its token; it shares http.port with health, metrics and Slack's HTTP mode. */
function checkApiSettings(config: AppConfig, secrets: Secrets): void {
  if (!config.api.enabled) return;
  if (!secrets.apiTokens?.length) {
    throw new ConfigError("api.enabled is true but ELYZA_API_TOKEN is not set (the bearer token API clients must send; several may be separated by commas)");
  }
}

/** The binary in the start-up line; on a CPU, the faster build is one command away. */
function binaryLine(engine: { readonly binary: "native" | "prebuilt"; readonly gpu: string | false }): string {
  if (engine.binary === "native") return "llama.cpp built for this host";
  return engine.gpu ? "prebuilt llama.cpp" : "prebuilt llama.cpp; `npm run build:native` builds one for this CPU, about 1.5× faster in our bench";
}
