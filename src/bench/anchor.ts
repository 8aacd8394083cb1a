// `npm run bench -- --against-llama-server`: the shared queue over node-llama-cpp and llama.cpp's
// own llama-server on the same GGUF, the same prompts, token counts and parallel requests, round by
// round in turn in one run (these machines are noisy: ratios only hold within a run, and a burst of
// noise should land on both sides).

import { InferenceQueue } from "../inference/queue.js";
import { LlamaEngine } from "../inference/engine.js";
import type { GpuSetting } from "../inference/llama-runtime.js";
import { ensureNativeEngine } from "../build/native-engine.js";
import { ensureLlamaServer } from "../llama-server/build.js";
import { startLlamaServer, type LlamaServerProcess } from "../llama-server/process.js";
import { serverRound, serverWarmUp } from "./llama-server-side.js";
import { concurrentFigures, median, percentile, PROMPTS, SYSTEM, type ConcurrentFigures, type Timed } from "./workload.js";

export interface AnchorOptions {
  readonly modelPath: string;
  readonly threads: readonly number[];
  readonly parallel: number;
  readonly tokens: number;
  readonly rounds: number;
  readonly gpu: GpuSetting;
  readonly log: (line: string) => void;
}

export interface AnchorRow {
  readonly threads: number;
  readonly ours: { readonly many: ConcurrentFigures; readonly one: ConcurrentFigures };
  readonly server: { readonly many: ConcurrentFigures; readonly one: ConcurrentFigures };
  /** Per figure, the median of the elyza-bot / llama-server ratios of rounds run back to back. */
  readonly paired: { readonly many: ConcurrentFigures; readonly one: ConcurrentFigures };
}

export interface ScenarioFigures {
  readonly idleFirstTokenMs: { readonly p50: number; readonly p95: number };
  readonly busyFirstTokenMs: { readonly p50: number; readonly p95: number };
  readonly preemptions: number;
  readonly followUp: { readonly firstQuestionMs: number; readonly secondQuestionMs: number; readonly reusedTokens: number };
}

const contextFor = (tokens: number) => 512 + tokens;

export async function runAnchor(options: AnchorOptions): Promise<{ rows: AnchorRow[]; scenario: ScenarioFigures; binary: string }> {
  const build = await ensureLlamaServer({ log: options.log });
  // Both sides built from the same llama.cpp source with the same flags (GGML_NATIVE, OpenMP).
  await ensureNativeEngine({ flavour: build.flavour, log: options.log });
  let binary = "";
  const rows: AnchorRow[] = [];
  let scenario: ScenarioFigures | undefined;
  for (const threads of options.threads) {
    const sides = { ours: { many: [] as Timed[][], one: [] as Timed[][] }, server: { many: [] as Timed[][], one: [] as Timed[][] } };
    const sessions = loadOrders(options.rounds);
    for (const [index, session] of sessions.entries()) {
      const last = threads === options.threads.at(-1) && index === sessions.length - 1;
      const loadEngine = () => loadOurs(options, threads);
      const loadServer = () =>
        startLlamaServer({
          serverPath: build.serverPath,
          modelPath: options.modelPath,
          parallel: options.parallel,
          contextPerSlot: contextFor(options.tokens),
          threads,
          batchSize: 2048,
          extraArgs: build.flavour === "cuda" && options.gpu !== false ? ["-ngl", "999"] : [],
        });
      let ours: { engine: LlamaEngine; queue: InferenceQueue } | undefined;
      let server: LlamaServerProcess | undefined;
      try {
        if (session.first === "elyza-bot") {
          ours = await loadEngine();
          server = await loadServer();
        } else {
          server = await loadServer();
          ours = await loadEngine();
        }
        binary = ours.engine.binary;
        await oursRound(ours.queue, 1, 0, 8);
        await serverWarmUp(server);
        // Rounds alternate between the two sides (both loaded, the idle one waiting), so that a burst
        // of noise on this shared machine lands on both rather than on one side's whole measurement.
        for (const [n, key] of [
          [options.parallel, "many"],
          [1, "one"],
        ] as const) {
          for (const round of session.rounds) {
            const order = pairOrder(round);
            options.log(`threads ${threads}: ${n} at once, round ${round + 1}/${options.rounds} (${session.first} loaded first): ${order.join(", ")} …`);
            for (const side of order) {
              if (side === "elyza-bot") sides.ours[key].push(await oursRound(ours.queue, n, round, options.tokens));
              else sides.server[key].push(await serverRound(server, n, round, options.tokens));
            }
          }
        }
        await server[Symbol.asyncDispose]();
        server = undefined;
        if (last) scenario = await scenarios(ours.engine, ours.queue, options.tokens);
      } finally {
        await server?.[Symbol.asyncDispose]();
        await ours?.engine[Symbol.asyncDispose]();
      }
    }
    rows.push({
      threads,
      ours: { many: concurrentFigures(sides.ours.many), one: concurrentFigures(sides.ours.one) },
      server: { many: concurrentFigures(sides.server.many), one: concurrentFigures(sides.server.one) },
      paired: { many: pairedRatios(sides.ours.many, sides.server.many), one: pairedRatios(sides.ours.one, sides.server.one) },
    });
  }
  return { rows, scenario: scenario!, binary };
}

async function loadOurs(options: AnchorOptions, threads: number): Promise<{ engine: LlamaEngine; queue: InferenceQueue }> {
  const engine = await LlamaEngine.load({
    modelPath: options.modelPath,
    gpu: options.gpu,
    threads,
    parallel: options.parallel,
    contextSize: contextFor(options.tokens),
    // Room for every prompt of a round in one batch (llama-server's default batch is 2048).
    batchSize: 2048,
  });
  const queue = new InferenceQueue(engine, {
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: options.tokens },
    maxWaiting: 10_000,
    maxPerUser: 10_000,
    timeouts: { queueWaitMs: 3_600_000, firstTokenMs: 3_600_000, totalMs: 3_600_000 },
  });
  return { engine, queue };
}

export interface LoadSession {
  /** The side loaded (and so given its memory) first. */
  readonly first: "elyza-bot" | "llama-server";
  /** The round numbers run in this session. */
  readonly rounds: readonly number[];
}

/**
 * The rounds split into two sessions, each side loaded first in one. Measured on a 2-vCPU
 * Firecracker guest (one request alone, 8 pairs each): the process loaded SECOND ran 5–10 %
 * faster — elyza-bot / llama-server 1.04–1.09× with llama-server started first, 0.91–0.95× with it
 * started after the engine, same binaries, same settings. Which side loads first is not what is
 * being compared, so each side gets it for half of the rounds. One round: elyza-bot first only.
 */
export function loadOrders(rounds: number): LoadSession[] {
  const all = Array.from({ length: rounds }, (_, i) => i);
  const half = Math.ceil(rounds / 2);
  const sessions: LoadSession[] = [{ first: "elyza-bot", rounds: all.slice(0, half) }];
  if (rounds > half) sessions.push({ first: "llama-server", rounds: all.slice(half) });
  return sessions;
}

/**
 * Which side runs first in round `round`: they take turns. Running one side always first left
 * every pair with the same order, so a cost that falls on whoever follows the other (caches and
 * memory pages the other process has just used) would have counted against one side only.
 */
export function pairOrder(round: number): readonly ["elyza-bot", "llama-server"] | readonly ["llama-server", "elyza-bot"] {
  return round % 2 === 0 ? (["elyza-bot", "llama-server"] as const) : (["llama-server", "elyza-bot"] as const);
}

/**
 * Round r of one side against round r of the other, run one right after the other: a burst of
 * noise that lasts a round (on this shared machine they last seconds) moves one ratio, not the
 * median. The pooled figures weigh such a round by its length instead.
 */
export function pairedRatios(ours: readonly (readonly Timed[])[], server: readonly (readonly Timed[])[]): ConcurrentFigures {
  const pairs = ours.slice(0, server.length).map((round, i) => ({ ours: concurrentFigures([round]), server: concurrentFigures([server[i]!]) }));
  const ratio = (pick: (f: ConcurrentFigures) => number) => median(pairs.map((p) => pick(p.ours) / pick(p.server)));
  return {
    wholeTokensPerSecond: ratio((f) => f.wholeTokensPerSecond),
    decodeTokensPerSecond: ratio((f) => f.decodeTokensPerSecond),
    medianFirstTokenMs: ratio((f) => f.medianFirstTokenMs),
    slowestFirstTokenMs: ratio((f) => f.slowestFirstTokenMs),
  };
}

function oursRound(queue: InferenceQueue, n: number, round: number, maxTokens: number): Promise<Timed[]> {
  const t0 = performance.now();
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const result = await queue.submit({
        userId: `bench${i}`,
        priority: "interactive",
        conversation: { systemPrompt: SYSTEM, turns: [{ role: "user", text: PROMPTS[i % PROMPTS.length]! }] },
        sampling: { seed: round * 100 + i, maxTokens },
      }).result;
      return { tokens: result.completionTokens, firstTokenMs: result.timings.firstTokenMs ?? NaN, endMs: performance.now() - t0 };
    }),
  );
}

/**
 * The product's own promises, on the queue: (1) a short mention's first token, idle vs while probe
 * runs hold every sequence; (2) the second question of a thread vs the first (sequence reuse).
 */
async function scenarios(engine: LlamaEngine, queue: InferenceQueue, tokens: number): Promise<ScenarioFigures> {
  const mention = async (i: number) => {
    const r = await queue.submit({
      userId: `mention${i}`,
      priority: "interactive",
      conversation: { systemPrompt: SYSTEM, turns: [{ role: "user", text: PROMPTS[i % PROMPTS.length]! }] },
      sampling: { seed: 900 + i, maxTokens: 32 },
    }).result;
    return r.timings.firstTokenMs ?? NaN;
  };
  const idle: number[] = [];
  for (let i = 0; i < 6; i++) idle.push(await mention(i));

  // A probe's worth of long runs, twice as many as there are sequences, kept coming.
  const before = queue.preemptions;
  let probing = true;
  const probeRun = async (i: number): Promise<void> => {
    while (probing) {
      await queue
        .submit({
          userId: "probe",
          priority: "probe",
          conversation: { systemPrompt: SYSTEM, turns: [{ role: "user", text: PROMPTS[(i + 3) % PROMPTS.length]! }] },
          sampling: { seed: 500 + i, maxTokens: tokens * 4 },
        })
        .result.catch(() => undefined);
    }
  };
  const probes = Array.from({ length: 2 * engine.parallel }, (_, i) => probeRun(i));
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the runs take every sequence
  const busy: number[] = [];
  for (let i = 0; i < 6; i++) busy.push(await mention(i));
  probing = false;
  queue.cancelAll("bench scenario over");
  await Promise.all(probes);
  const preemptions = queue.preemptions - before;

  const long = `${SYSTEM}\n${"以下の文章をよく読んで、質問に日本語で丁寧に答えてください。".repeat(12)}`;
  const ask = (turns: { role: "user" | "assistant"; text: string }[]) =>
    queue.submit({ userId: "thread", priority: "interactive", conversation: { systemPrompt: long, turns }, sampling: { seed: 7, maxTokens: 16 } }).result;
  const q1 = { role: "user" as const, text: "富士山について教えてください。" };
  const first = await ask([q1]);
  const second = await ask([q1, { role: "assistant", text: first.text }, { role: "user", text: "では、その高さは？" }]);
  return {
    idleFirstTokenMs: { p50: percentile(idle, 0.5), p95: percentile(idle, 0.95) },
    busyFirstTokenMs: { p50: percentile(busy, 0.5), p95: percentile(busy, 0.95) },
    preemptions,
    followUp: {
      firstQuestionMs: first.timings.firstTokenMs ?? NaN,
      secondQuestionMs: second.timings.firstTokenMs ?? NaN,
      reusedTokens: second.reusedPromptTokens ?? 0,
    },
  };
}

export function anchorLines(rows: readonly AnchorRow[], scenario: ScenarioFigures, parallel: number, tokens: number): string[] {
  const f = (n: number, d = 1) => n.toFixed(d).padStart(8);
  const lines = [
    ``,
    `against llama-server (${parallel} parallel requests × ${tokens} tokens; ratio = elyza-bot / llama-server, first token: lower is better;`,
    ` ratio: every round pooled; paired: median of the ratios of rounds run back to back)`,
  ];
  lines.push(`threads  figure                          llama-server   elyza-bot    ratio  paired`);
  for (const r of rows) {
    const row = (name: string, pick: (f: ConcurrentFigures) => number, key: "many" | "one", unit: string, d = 1) => {
      const server = pick(r.server[key]);
      const ours = pick(r.ours[key]);
      lines.push(
        `${String(r.threads).padStart(7)}  ${name.padEnd(30)} ${f(server, d)} ${unit.padEnd(5)}${f(ours, d)} ${unit.padEnd(5)} ${(ours / server).toFixed(2)}×  ${pick(r.paired[key]).toFixed(2)}×`,
      );
    };
    row(`decode, ${parallel} at once`, (x) => x.decodeTokensPerSecond, "many", "tok/s");
    row(`whole requests, ${parallel} at once`, (x) => x.wholeTokensPerSecond, "many", "tok/s");
    row(`first token, median of ${parallel}`, (x) => x.medianFirstTokenMs, "many", "ms", 0);
    row(`first token, slowest of ${parallel}`, (x) => x.slowestFirstTokenMs, "many", "ms", 0);
    row(`one request alone, decode`, (x) => x.decodeTokensPerSecond, "one", "tok/s");
  }
  const s = scenario;
  lines.push(``, `mention during a probe (32-token mentions; probe runs hold every sequence), first token from submission:`);
  lines.push(`  idle  p50 ${s.idleFirstTokenMs.p50.toFixed(0)} ms  p95 ${s.idleFirstTokenMs.p95.toFixed(0)} ms`);
  lines.push(
    `  busy  p50 ${s.busyFirstTokenMs.p50.toFixed(0)} ms  p95 ${s.busyFirstTokenMs.p95.toFixed(0)} ms  (${(s.busyFirstTokenMs.p50 / s.idleFirstTokenMs.p50).toFixed(2)}× idle; ${s.preemptions} probe runs preempted)`,
  );
  lines.push(
    `follow-up in a thread: first question ${s.followUp.firstQuestionMs.toFixed(0)} ms, second ${s.followUp.secondQuestionMs.toFixed(0)} ms to first token ` +
      `(${((100 * s.followUp.secondQuestionMs) / s.followUp.firstQuestionMs).toFixed(0)} %; ${s.followUp.reusedTokens} prompt tokens reused)`,
  );
  return lines;
}
