// The Discord adapter wired as in production — real discord.js Client against the fake Discord,
// real Responder, real InferenceQueue — with the ScriptedEngine standing in for the model.

import { startDiscord, type DiscordHandle, type DiscordResponder, type StartDiscordOptions } from "../../../src/chat/discord/discord-adapter.js";
import type { AccessConfig } from "../../../src/core/access.js";
import type { Journal } from "../../../src/core/journal.js";
import { Responder } from "../../../src/core/responder.js";
import type { AnswerOutcome, IncomingQuestion } from "../../../src/core/types.js";
import { InferenceQueue } from "../../../src/inference/queue.js";
import type { Engine } from "../../../src/inference/types.js";
import type { ProbeService } from "../../../src/probe/types.js";
import { ScriptedEngine, type Script } from "../../helpers/scripted-engine.js";
import { FakeDiscord, type FakeDiscordOptions } from "./fake-discord.js";

export interface HarnessOptions<E extends Engine = ScriptedEngine> {
  /** A real engine for end-to-end cases; by default a ScriptedEngine running `script`. */
  readonly engine?: E;
  readonly script?: Script;
  readonly parallel?: number;
  readonly maxWaiting?: number;
  readonly maxPerUser?: number;
  readonly access?: Partial<AccessConfig>;
  readonly editIntervalMs?: number;
  readonly historyMessages?: number;
  readonly probe?: ProbeService;
  readonly fake?: FakeDiscordOptions;
  readonly adapter?: Partial<Pick<StartDiscordOptions, "interactionTokenMs" | "probeProgressIntervalMs" | "readyTimeoutMs" | "restRetry">>;
  /** The answer journal given to the Responder (none by default). */
  readonly journal?: Journal;
}

export interface Harness<E extends Engine = ScriptedEngine> {
  readonly fake: FakeDiscord;
  readonly engine: E;
  readonly responder: Responder;
  readonly discord: DiscordHandle;
  /** What the adapter handed to the chat core, and what came back, in order. */
  readonly questions: IncomingQuestion[];
  readonly outcomes: AnswerOutcome[];
  readonly logs: string[];
  /** Resolves once `count` answers have settled. */
  settled(count: number, timeoutMs?: number): Promise<AnswerOutcome[]>;
  stop(): Promise<void>;
}

export async function startHarness<E extends Engine = ScriptedEngine>(options: HarnessOptions<E> = {}): Promise<Harness<E>> {
  const fake = await FakeDiscord.start(options.fake);
  const engine = options.engine ?? (new ScriptedEngine(options.parallel ?? 1, options.script) as unknown as E);
  const queue = new InferenceQueue(engine, {
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: 1200 },
    maxWaiting: options.maxWaiting ?? 8,
    maxPerUser: options.maxPerUser ?? 3,
    timeouts: { queueWaitMs: 30_000, firstTokenMs: 30_000, totalMs: 60_000 },
  });
  const responder = new Responder({
    queue,
    systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。",
    editIntervalMs: options.editIntervalMs ?? 100,
    access: {
      allowedChannels: [],
      allowedUsers: [],
      allowedRoles: [],
      probeAdmins: [fake.world.roles.admin.id],
      ratePerMinute: 0,
      ...options.access,
    },
    ...(options.journal && { journal: options.journal }),
  });
  const questions: IncomingQuestion[] = [];
  const outcomes: AnswerOutcome[] = [];
  const logs: string[] = [];
  const spy: DiscordResponder = {
    answer: async (question, reply) => {
      questions.push(question);
      const outcome = await responder.answer(question, reply);
      outcomes.push(outcome);
      fake.notify();
      return outcome;
    },
    cancelSource: (key) => responder.cancelSource(key),
    isProbeAdmin: (asker) => responder.isProbeAdmin(asker),
    checkAccess: (asker, channelId) => responder.checkAccess(asker, channelId),
  };
  const log = (level: string) => (message: string) => void logs.push(`${level} ${message}`);
  let discord: DiscordHandle;
  try {
    discord = await startDiscord({
      token: fake.token,
      applicationId: fake.world.applicationId,
      apiUrl: fake.apiUrl,
      responder: spy,
      historyMessages: options.historyMessages ?? 20,
      logger: { info: log("info"), warn: log("warn"), error: log("error") },
      readyTimeoutMs: 10_000,
      ...(options.probe && { probe: options.probe }),
      ...options.adapter,
    });
  } catch (error) {
    await fake.stop();
    throw error;
  }
  return {
    fake,
    engine,
    responder,
    discord,
    questions,
    outcomes,
    logs,
    settled: (count, timeoutMs = 15_000) =>
      fake.waitFor(() => outcomes.length >= count && outcomes, timeoutMs, `${count} settled answer(s)`),
    async stop() {
      await discord.stop();
      await fake.stop();
    },
  };
}
