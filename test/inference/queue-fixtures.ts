// Shared set-up for the queue tests: a ScriptedEngine answering by question text, and small recorders.

import { InferenceQueue, type InferenceQueueOptions } from "../../src/inference/queue.js";
import type { InferenceRequest, Priority } from "../../src/inference/queue-types.js";
import type { GenerateOptions, SamplingOptions } from "../../src/inference/types.js";
import { ScriptedEngine, type ScriptedAnswer } from "../helpers/scripted-engine.js";

export const SAMPLING: SamplingOptions = { temperature: 0.6, topP: 0.9, maxTokens: 1200 };
/** Longer than any test: such a step only ends by cancel or a time limit. */
export const FOREVER = 600_000;
export const QUICK: ScriptedAnswer = { chunks: ["はい", "。"], chunkDelayMs: 1 };
/** Streams nothing until cancelled. */
export const HANG: ScriptedAnswer = { chunks: ["遅い"], firstChunkDelayMs: FOREVER };

export interface Setup {
  readonly parallel?: number;
  readonly maxWaiting?: number;
  readonly maxPerUser?: number;
  readonly timeouts?: Partial<InferenceQueueOptions["timeouts"]>;
  /** Answers by question text; others get QUICK. */
  readonly answers?: Record<string, ScriptedAnswer>;
}

export function setup(s: Setup = {}) {
  const answers = s.answers ?? {};
  const engine = new ScriptedEngine(s.parallel ?? 1, (o) => answers[questionOf(o)] ?? QUICK);
  const queue = new InferenceQueue(engine, {
    sampling: SAMPLING,
    maxWaiting: s.maxWaiting ?? 100,
    maxPerUser: s.maxPerUser ?? 100,
    timeouts: { queueWaitMs: FOREVER, firstTokenMs: FOREVER, totalMs: FOREVER, ...s.timeouts },
  });
  /** Questions in the order they reached the engine. */
  const started = () => engine.calls.map(questionOf);
  return { engine, queue, started };
}

export function questionOf(o: GenerateOptions): string {
  return o.conversation.turns.at(-1)?.text ?? "";
}

export function ask(question: string, userId = `u-${question}`, priority: Priority = "interactive", extra: Partial<InferenceRequest> = {}): InferenceRequest {
  return { userId, priority, conversation: { systemPrompt: "sys", turns: [{ role: "user", text: question }] }, ...extra };
}

/** Records onPosition calls; `reached(p)` resolves when position p is reported. */
export function positions() {
  const seen: number[] = [];
  const waiters: { position: number; resolve: () => void }[] = [];
  const onPosition = (p: number) => {
    seen.push(p);
    for (const w of waiters.filter((w) => w.position === p)) w.resolve();
  };
  const reached = (position: number) => (seen.includes(position) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ position, resolve })));
  return { seen, onPosition, reached };
}

/** The error a promise rejects with (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}
