// The whole Slack path for tests: fake Slack ← real Bolt App (startSlack) → real Responder → real
// InferenceQueue → ScriptedEngine (or any Engine). Logs are collected instead of printed.

import { expect, vi } from "vitest";
import type { AccessConfig } from "../../../src/core/access.js";
import type { AnswerOutcome } from "../../../src/core/types.js";
import type { Journal } from "../../../src/core/journal.js";
import { ProbeChat } from "../../../src/core/probe-chat.js";
import type { FollowUpSettings } from "../../../src/core/follow-up.js";
import { type AnswerFeedbackOptions, Responder, type ResponderOptions } from "../../../src/core/responder.js";
import { startSlack, type RetryOptions, type SlackAdapter } from "../../../src/chat/slack/slack-adapter.js";
import type { AdapterLogger } from "../../../src/chat/slack/logging.js";
import { InferenceQueue } from "../../../src/inference/queue.js";
import type { Engine } from "../../../src/inference/types.js";
import type { ProbeService } from "../../../src/probe/types.js";
import { ScriptedEngine, type Script } from "../../helpers/scripted-engine.js";
import { FakeSlack } from "./fake-slack.js";

export interface HarnessOptions {
  readonly script?: Script;
  /** Another engine instead of a ScriptedEngine. */
  readonly engine?: Engine;
  readonly parallel?: number;
  readonly maxWaiting?: number;
  readonly maxPerUser?: number;
  readonly access?: Partial<AccessConfig>;
  /** HTTP mode with this signing secret instead of Socket Mode. */
  readonly signingSecret?: string;
  readonly echoOwnMessages?: boolean;
  readonly historyMessages?: number;
  readonly editIntervalMs?: number;
  /** A ProbeService, or one built on the harness's queue. */
  readonly probe?: ProbeService | ((queue: InferenceQueue) => ProbeService);
  readonly retryConfig?: RetryOptions;
  readonly systemPrompt?: string;
  /** The queue's default limit on new tokens (1200 otherwise). */
  readonly maxTokens?: number;
  /** The answer journal given to the Responder (none by default). */
  readonly journal?: Journal;
  /** Per-channel prompts and sampling (chat.channels) given to the Responder. */
  readonly channelSettings?: ResponderOptions["channelSettings"];
  /** How attachments are read (the Responder's default otherwise). */
  readonly attachments?: ResponderOptions["attachments"];
  /** chat.followUps / chat.ignorePrefix (the adapter's default otherwise). */
  readonly followUps?: FollowUpSettings;
  /** Where 👍/👎 go (none by default: votes are refused). */
  readonly feedback?: AnswerFeedbackOptions;
  /** Native streaming (off by default, as most tests read chat.update). */
  readonly nativeStreaming?: boolean;
}

export interface Harness {
  readonly fake: FakeSlack;
  readonly engine: Engine;
  /** The engine as a ScriptedEngine (undefined when another engine was given). */
  readonly scripted: ScriptedEngine | undefined;
  readonly queue: InferenceQueue;
  readonly responder: Responder;
  readonly probeChat: ProbeChat;
  readonly adapter: SlackAdapter;
  readonly logs: string[];
  /** Every answer the adapter asked for, with how it ended, in the order they ended. */
  readonly outcomes: { readonly sourceKey: string; readonly question: string; readonly outcome: AnswerOutcome }[];
  /** Resolves once `count` answers have ended. */
  waitForOutcomes(count: number, timeoutMs?: number): Promise<void>;
  /** http://127.0.0.1:PORT/slack/events in HTTP mode. */
  readonly eventsUrl: string | undefined;
  /** The bot's messages in a thread (or, without threadTs, at the top level of a channel), oldest first. */
  botMessages(channel: string, threadTs?: string): string[];
  stop(): Promise<void>;
}

export const SYSTEM_PROMPT = "あなたは誠実で優秀な日本人のアシスタントです。";

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = await FakeSlack.start({ echoOwnMessages: options.echoOwnMessages ?? false });
  const scripted = options.engine ? undefined : new ScriptedEngine(options.parallel ?? 2, options.script);
  const engine = options.engine ?? scripted!;
  const queue = new InferenceQueue(engine, {
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: options.maxTokens ?? 1200 },
    maxWaiting: options.maxWaiting ?? 16,
    maxPerUser: options.maxPerUser ?? 3,
    timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 120_000 },
  });
  const editIntervalMs = options.editIntervalMs ?? 50;
  const responder = new Responder({
    queue,
    systemPrompt: options.systemPrompt ?? SYSTEM_PROMPT,
    editIntervalMs,
    access: { allowedChannels: [], allowedUsers: [], allowedRoles: [], probeAdmins: [], ratePerMinute: 0, ...options.access },
    ...(options.journal ? { journal: options.journal } : {}),
    ...(options.channelSettings ? { channelSettings: options.channelSettings } : {}),
    ...(options.attachments ? { attachments: options.attachments } : {}),
    ...(options.feedback ? { feedback: options.feedback } : {}),
  });
  const logs: string[] = [];
  const logger: AdapterLogger = {
    debug: (m) => logs.push(`debug ${m}`),
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
  const outcomes: Harness["outcomes"][number][] = [];
  const probeChat = new ProbeChat({
    probe: typeof options.probe === "function" ? options.probe(queue) : options.probe,
    core: responder,
    defaultSuite: "seed",
    historyCount: 10,
  });
  const http = options.signingSecret !== undefined;
  const adapter = await startSlack({
    botToken: fake.botToken,
    ...(http ? { signingSecret: options.signingSecret, port: 0, host: "127.0.0.1" } : { appToken: fake.appToken }),
    apiUrl: fake.apiUrl,
    responder: {
      answer: async (question, reply) => {
        const outcome = await responder.answer(question, reply);
        outcomes.push({ sourceKey: question.sourceKey, question: question.text, outcome });
        return outcome;
      },
      cancelSource: (key) => responder.cancelSource(key),
      isProbeAdmin: (asker) => responder.isProbeAdmin(asker),
      act: (click, reply) => responder.act(click, reply),
    },
    probeChat,
    historyMessages: options.historyMessages ?? 20,
    editIntervalMs,
    ...(options.followUps ? { followUps: options.followUps } : {}),
    ...(options.nativeStreaming ? { nativeStreaming: true } : {}),
    logger,
    // Fast retries keep the tests short; a 429 still waits its Retry-After.
    retryConfig: options.retryConfig ?? { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 },
  });
  return {
    fake,
    engine,
    scripted,
    queue,
    responder,
    probeChat,
    adapter,
    logs,
    outcomes,
    async waitForOutcomes(count, timeoutMs = 20_000) {
      await vi.waitFor(() => expect(outcomes.length >= count, `${count} answers`).toBeTruthy(), { timeout: timeoutMs });
    },
    eventsUrl: http ? `http://127.0.0.1:${adapter.port}/slack/events` : undefined,
    botMessages(channel, threadTs) {
      const list = threadTs ? fake.store.thread(channel, threadTs) : fake.store.all(channel).filter((m) => !m.thread_ts);
      return list.filter((m) => m.user === fake.botUserId).map((m) => m.text);
    },
    /** As the bot stops: /probe runs and answers drain (ending visibly), then the adapter disconnects. */
    async stop() {
      await probeChat[Symbol.asyncDispose]();
      await responder[Symbol.asyncDispose]();
      await adapter[Symbol.asyncDispose]();
      await fake.stop();
    },
  };
}
