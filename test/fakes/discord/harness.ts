// The Discord adapter wired as in production — real discord.js Client against the fake Discord,
// real Responder, real InferenceQueue — with the ScriptedEngine standing in for the model.

import { startDiscord, type DiscordHandle, type StartDiscordOptions } from "../../../src/chat/discord/discord-adapter.js";
import type { AccessConfig } from "../../../src/core/access.js";
import type { Journal } from "../../../src/core/journal.js";
import { ProbeChat } from "../../../src/core/probe-chat.js";
import { type AnswerFeedbackOptions, Responder, type ResponderOptions } from "../../../src/core/responder.js";
import type { AnswerOutcome, ChatCore, IncomingQuestion } from "../../../src/core/types.js";
import { InferenceQueue } from "../../../src/inference/queue.js";
import type { ChatTurn, Engine } from "../../../src/inference/types.js";
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
  readonly adapter?: Partial<
    Pick<StartDiscordOptions, "interactionTokenMs" | "probeProgressIntervalMs" | "readyTimeoutMs" | "restRetry" | "followUps" | "answerInThread">
  >;
  /** The answer journal given to the Responder (none by default). */
  readonly journal?: Journal;
  /** How attachments are read (the Responder's default otherwise). */
  readonly attachments?: ResponderOptions["attachments"];
  /** Where 👍/👎 go (none by default: votes are refused). */
  readonly feedback?: AnswerFeedbackOptions;
}

/** A question as the core got it; `history` is set only if the core called its loader. */
export type RecordedQuestion = IncomingQuestion & { history?: readonly ChatTurn[] };

export interface Harness<E extends Engine = ScriptedEngine> {
  readonly fake: FakeDiscord;
  readonly engine: E;
  readonly responder: Responder;
  readonly queue: InferenceQueue;
  readonly probeChat: ProbeChat;
  readonly discord: DiscordHandle;
  /** What the adapter handed to the chat core (with the history, once the core had it read), and what came back, in order. */
  readonly questions: RecordedQuestion[];
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
    ...(options.attachments && { attachments: options.attachments }),
    ...(options.feedback && { feedback: options.feedback }),
  });
  const questions: RecordedQuestion[] = [];
  const outcomes: AnswerOutcome[] = [];
  const logs: string[] = [];
  const spy: ChatCore = {
    answer: async (question, reply) => {
      const recorded: RecordedQuestion = { ...question };
      questions.push(recorded);
      const loadHistory = async () => (recorded.history = await question.loadHistory());
      const outcome = await responder.answer({ ...question, loadHistory }, reply);
      outcomes.push(outcome);
      fake.notify();
      return outcome;
    },
    cancelSource: (key) => responder.cancelSource(key),
    isProbeAdmin: (asker) => responder.isProbeAdmin(asker),
    act: async (click, reply) => {
      const result = await responder.act(click, reply);
      fake.notify();
      return result;
    },
  };
  const probeChat = new ProbeChat({ probe: options.probe, core: spy, defaultSuite: "seed", historyCount: 10 });
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
      probeChat,
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
    queue,
    probeChat,
    discord,
    questions,
    outcomes,
    logs,
    settled: (count, timeoutMs = 15_000) => fake.waitFor(() => outcomes.length >= count && outcomes, timeoutMs, `${count} settled answer(s)`),
    /** As the bot stops: /probe runs and answers drain (ending visibly), then the adapter disconnects. */
    async stop() {
      await probeChat[Symbol.asyncDispose]();
      await responder[Symbol.asyncDispose]();
      await discord[Symbol.asyncDispose]();
      await fake.stop();
    },
  };
}
