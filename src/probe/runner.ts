// Runs a probe: every run of every test goes to the shared inference queue at once with priority
// "probe" (so runs batch across the engine's sequences while mentions still go first), each answer
// is graded as it arrives, and the tallies become a ProbeResult. Only one probe runs at a time.

import { CancelledError, QueueFullError } from "../inference/errors.js";
import type { InferenceQueueLike, InferenceTicket } from "../inference/queue-types.js";
import type { GenerationResult } from "../inference/types.js";
import type { ProbeHistory } from "./history.js";
import { findShifts } from "./history.js";
import { baseSeedFromClock, MAX_SEEDED_RUNS, runSeed } from "./seeds.js";
import type {
  ProbeProgress,
  ProbeResult,
  ProbeRunHandle,
  ProbeRunOptions,
  ProbeService,
  ProbeSuite,
  ProbeTest,
  RunResult,
  TestHistory,
  TestResult,
  Verdict,
} from "./types.js";
import { roundInterval, wilson } from "./wilson.js";

/** `signal` aborts when the probe is cancelled (a judge model's request is then withdrawn). */
export type GradeFn = (test: ProbeTest, answer: string, mode: "rule" | "judge", signal?: AbortSignal) => Promise<Verdict>;

/** What the runner needs of the history store (a stub will do in tests). */
export type ProbeHistoryStore = Pick<ProbeHistory, "record" | "previous" | "lastForTest">;

export interface ProbeRunnerOptions {
  readonly queue: InferenceQueueLike;
  /** Throws (with a message naming the suite) when the suite does not exist. */
  readonly loadSuite: (name: string) => ProbeSuite;
  readonly grade: GradeFn;
  readonly modelName: string;
  readonly modelHash?: () => Promise<string>;
  readonly history?: ProbeHistoryStore;
  readonly defaultSuite: string;
  readonly now?: () => number;
  /** Fixed base seed (replays); otherwise one from the clock per probe. */
  readonly baseSeed?: number;
  /** Problems that must not fail a probe (history store, listeners); default console.warn. */
  readonly warn?: (message: string) => void;
  /** When the queue refuses a run and none of ours is in flight, try again after this long. */
  readonly retryDelayMs?: number;
  /**
   * Runs in the queue at once; default all of them. A bound (say 2 × engine.parallel) keeps long
   * probes clear of the queue's wait-time limit while still filling every sequence.
   */
  readonly maxInFlight?: number;
}

/** A bad `/probe` option (unknown test id, runs out of range); the message is safe to show. */
export class ProbeOptionsError extends Error {
  override readonly name = "ProbeOptionsError";
}

/** The queue user id of every probe run. */
export const PROBE_USER_ID = "probe";

interface Plan {
  readonly suite: ProbeSuite;
  readonly tests: readonly { readonly test: ProbeTest; readonly suiteIndex: number }[];
  readonly runs: number;
  readonly grading: "rule" | "judge";
}

interface Job {
  readonly test: ProbeTest;
  readonly testIndex: number;
  readonly run: number;
  readonly seed: number;
  ticket?: InferenceTicket;
  submittedAt?: number;
}

export class ProbeRunner implements ProbeService {
  private current: ActiveProbe | undefined;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: ProbeRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? ((m) => console.warn(m));
  }

  /** True while a probe runs. */
  get running(): boolean {
    return this.current !== undefined;
  }

  run(options: ProbeRunOptions, _requestedBy: string): ProbeRunHandle {
    // Only one probe at a time: a second request watches the first (its own options are ignored).
    if (this.current) return this.current.handle(true);
    let plan: Plan;
    try {
      plan = this.plan(options);
    } catch (err) {
      const result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      return { joined: false, onProgress: () => () => {}, result };
    }
    const probe = new ActiveProbe(plan, this.options, this.now, this.warn, () => {
      if (this.current === probe) this.current = undefined;
    });
    this.current = probe;
    probe.start();
    return probe.handle(false);
  }

  cancel(): boolean {
    if (!this.current) return false;
    this.current.cancel();
    return true;
  }

  history(suite: string | undefined, perTest: number): TestHistory[] {
    const loaded = this.options.loadSuite(suite ?? this.options.defaultSuite);
    return loaded.tests.map((t) => ({
      id: t.id,
      title: t.title,
      points: this.options.history?.lastForTest(loaded.name, t.id, perTest) ?? [],
    }));
  }

  private plan(options: ProbeRunOptions): Plan {
    const suite = this.options.loadSuite(options.suite ?? this.options.defaultSuite);
    const runs = options.runs ?? suite.runs;
    if (!Number.isInteger(runs) || runs < 1 || runs > MAX_SEEDED_RUNS) {
      throw new ProbeOptionsError(`runs must be a whole number from 1 to ${MAX_SEEDED_RUNS}, not ${runs}`);
    }
    const indexed = suite.tests.map((test, suiteIndex) => ({ test, suiteIndex }));
    let tests = indexed;
    if (options.tests && options.tests.length > 0) {
      const known = new Set(suite.tests.map((t) => t.id));
      const unknown = options.tests.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new ProbeOptionsError(
          `unknown test id ${unknown.map((id) => `"${id}"`).join(", ")} in suite ${suite.name} (known: ${[...known].join(", ")})`,
        );
      }
      const wanted = new Set(options.tests);
      tests = indexed.filter((t) => wanted.has(t.test.id));
    }
    if (tests.length === 0) throw new ProbeOptionsError(`suite ${suite.name} has no tests`);
    return { suite, tests, runs, grading: options.grading ?? suite.grading };
  }
}

/** One probe in flight: its jobs, listeners and the promise of its result. */
class ActiveProbe {
  readonly result: Promise<ProbeResult>;
  private resolveResult!: (result: ProbeResult) => void;
  private rejectResult!: (err: unknown) => void;
  private readonly listeners = new Set<(progress: ProbeProgress) => void>();
  private lastProgress: ProbeProgress | undefined;
  private readonly jobs: Job[] = [];
  /** Jobs the queue refused for being full (or over maxInFlight); submitted as ours finish. */
  private readonly held: Job[] = [];
  private readonly results = new Map<string, RunResult[]>();
  private inFlight = 0;
  private settled = 0;
  private cancelled = false;
  /** Aborted by cancel(): withdraws grading requests (a judge's) still in the queue. */
  private readonly grading = new AbortController();
  private completionTokens = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private baseSeed = 0;
  private hash: Promise<string | undefined> = Promise.resolve(undefined);

  constructor(
    private readonly plan: Plan,
    private readonly options: ProbeRunnerOptions,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
    private readonly onFinished: () => void,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
  }

  handle(joined: boolean): ProbeRunHandle {
    return {
      joined,
      onProgress: (listener) => {
        this.listeners.add(listener);
        // A late subscriber (a joiner) sees where the probe stands at once.
        if (this.lastProgress) this.call(listener, this.lastProgress);
        return () => this.listeners.delete(listener);
      },
      result: this.result,
    };
  }

  start(): void {
    this.startMs = this.now();
    this.baseSeed = this.options.baseSeed ?? baseSeedFromClock(this.startMs);
    if (this.options.modelHash) {
      this.hash = this.options.modelHash().catch((err: unknown) => {
        this.warn(`probe: model hash failed: ${message(err)}`);
        return undefined;
      });
    }
    const { tests, runs } = this.plan;
    for (const { test } of tests) this.results.set(test.id, []);
    // Run-major order: the first runs of every test start together, so tallies grow evenly and a
    // cancelled probe still says something about every test.
    for (let run = 1; run <= runs; run++) {
      for (const { test, suiteIndex } of tests) {
        this.jobs.push({ test, testIndex: suiteIndex, run, seed: runSeed(this.baseSeed, suiteIndex, run) });
      }
    }
    this.emitProgress();
    for (const job of this.jobs) {
      if (this.held.length > 0) this.held.push(job);
      else this.submit(job);
    }
    this.scheduleRetry();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.grading.abort();
    clearTimeout(this.retryTimer);
    // Held jobs never reached the queue: they simply end.
    const dropped = this.held.splice(0).length;
    for (let i = 0; i < dropped; i++) this.settleOne();
    for (const job of this.jobs) job.ticket?.cancel("probe cancelled");
  }

  /** Submits one job; false when it must wait (the job is then held). */
  private submit(job: Job): boolean {
    const { suite } = this.plan;
    if (this.inFlight >= (this.options.maxInFlight ?? Infinity)) {
      this.held.push(job);
      return false;
    }
    let ticket: InferenceTicket;
    try {
      ticket = this.options.queue.submit({
        userId: PROBE_USER_ID,
        priority: "probe",
        conversation: { systemPrompt: suite.systemPrompt, turns: [{ role: "user", text: job.test.prompt }] },
        sampling: { ...suite.sampling, seed: job.seed },
      });
    } catch (err) {
      if (isQueueFull(err)) {
        this.held.push(job);
        return false;
      }
      job.submittedAt = this.now();
      void this.finishFailed(job, err);
      return true;
    }
    job.ticket = ticket;
    job.submittedAt = this.now();
    this.inFlight++;
    ticket.result.then(
      (generation) => {
        this.inFlight--;
        void this.finishGenerated(job, generation);
        this.pump();
      },
      (err: unknown) => {
        this.inFlight--;
        void this.finishFailed(job, err);
        this.pump();
      },
    );
    return true;
  }

  /** Submits held jobs while the queue takes them. */
  private pump(): void {
    if (this.cancelled) return;
    while (this.held.length > 0) {
      const job = this.held.shift() as Job;
      if (!this.submit(job)) {
        // submit() pushed it to the back; it belongs at the front.
        this.held.unshift(this.held.pop() as Job);
        break;
      }
    }
    this.scheduleRetry();
  }

  /** With jobs held and nothing of ours running, no completion will call pump(): poll instead. */
  private scheduleRetry(): void {
    if (this.cancelled || this.held.length === 0 || this.inFlight > 0 || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.options.retryDelayMs ?? 1000);
  }

  private async finishGenerated(job: Job, generation: GenerationResult): Promise<void> {
    this.completionTokens += generation.completionTokens;
    if (generation.stopReason === "aborted" && this.cancelled) {
      // Cut short by /probe cancel: not a verdict on the model.
      this.settleOne();
      return;
    }
    let verdict: Verdict;
    if (generation.stopReason === "error") {
      verdict = { pass: false, reason: `generation failed: ${generation.error ?? "unknown error"}` };
    } else if (generation.stopReason === "aborted") {
      verdict = { pass: false, reason: "generation was aborted" };
    } else {
      try {
        verdict = await this.options.grade(job.test, generation.text, this.plan.grading, this.grading.signal);
      } catch (err) {
        verdict = { pass: false, reason: `grader failed: ${message(err)}` };
      }
      if (this.cancelled) {
        // Cancelled while grading (a withdrawn judge answers nothing useful): not a verdict on the model.
        this.settleOne();
        return;
      }
    }
    this.add(job, {
      run: job.run,
      seed: job.seed,
      pass: verdict.pass,
      reason: verdict.reason,
      answer: generation.text,
      tokens: generation.completionTokens,
      durationMs: generation.timings.generationMs,
      stopReason: generation.stopReason,
    });
  }

  private async finishFailed(job: Job, err: unknown): Promise<void> {
    if (this.cancelled && (err instanceof CancelledError || (err as Error | undefined)?.name === "CancelledError")) {
      this.settleOne();
      return;
    }
    // A timeout or engine error is a failed run, kept with its reason, never dropped.
    this.add(job, {
      run: job.run,
      seed: job.seed,
      pass: false,
      reason: `inference failed: ${message(err)}`,
      answer: "",
      tokens: 0,
      durationMs: this.now() - (job.submittedAt ?? this.now()),
      stopReason: "error",
    });
  }

  private add(job: Job, result: RunResult): void {
    this.results.get(job.test.id)?.push(result);
    this.emitProgress();
    this.settleOne();
  }

  private settleOne(): void {
    this.settled++;
    if (this.settled !== this.jobs.length) return;
    this.finish().catch((err: unknown) => {
      // Only a bug gets here; still free the runner for the next probe.
      this.onFinished();
      this.rejectResult(err);
    });
  }

  private emitProgress(): void {
    let done = 0;
    const perTest = this.plan.tests.map(({ test }) => {
      const results = this.results.get(test.id) ?? [];
      done += results.length;
      return { id: test.id, title: test.title, done: results.length, passed: results.filter((r) => r.pass).length, total: this.plan.runs };
    });
    const progress: ProbeProgress = { done, total: this.jobs.length, perTest };
    this.lastProgress = progress;
    for (const listener of this.listeners) this.call(listener, progress);
  }

  private call(listener: (progress: ProbeProgress) => void, progress: ProbeProgress): void {
    try {
      listener(progress);
    } catch (err) {
      // A broken progress message must not stop the probe.
      this.warn(`probe: progress listener failed: ${message(err)}`);
    }
  }

  private async finish(): Promise<void> {
    clearTimeout(this.retryTimer);
    const durationMs = Math.max(0, this.now() - this.startMs);
    const { suite } = this.plan;
    const tests: TestResult[] = this.plan.tests.map(({ test }) => {
      const results = [...(this.results.get(test.id) ?? [])].sort((a, b) => a.run - b.run);
      const passed = results.filter((r) => r.pass).length;
      return {
        id: test.id,
        title: test.title,
        passed,
        total: results.length,
        ci95: roundInterval(wilson(passed, results.length)),
        ...(test.baseline ? { baseline: test.baseline } : {}),
        ...(test.references ? { references: test.references } : {}),
        prompt: test.prompt,
        results,
      };
    });
    const modelHash = await this.hash;
    const base: ProbeResult = {
      suite: suite.name,
      model: this.options.modelName,
      ...(modelHash !== undefined ? { modelHash } : {}),
      runs: this.plan.runs,
      startedAt: new Date(this.startMs).toISOString(),
      durationMs,
      // Wall-clock throughput of the whole probe, batching included.
      tokensPerSecond: durationMs > 0 ? Math.round((this.completionTokens / durationMs) * 10_000) / 10 : 0,
      cancelled: this.cancelled,
      settings: {
        temperature: suite.sampling.temperature,
        topP: suite.sampling.topP,
        maxTokens: suite.sampling.maxTokens,
        grading: this.plan.grading,
        baseSeed: this.baseSeed,
        systemPrompt: suite.systemPrompt,
      },
      tests,
    };
    const result = { ...base, shifts: this.compareAndRecord(base) };
    // Cleared before resolving, so whoever awaited the result can start the next probe at once.
    this.onFinished();
    this.resolveResult(result);
  }

  /** Shifts against the previous stored probe, then stores this one. History trouble only warns. */
  private compareAndRecord(result: ProbeResult): NonNullable<ProbeResult["shifts"]> {
    const history = this.options.history;
    if (!history) return [];
    let shifts: NonNullable<ProbeResult["shifts"]> = [];
    try {
      shifts = findShifts(history.previous(result.suite), result.tests);
    } catch (err) {
      this.warn(`probe: reading the history failed: ${message(err)}`);
    }
    try {
      history.record({ ...result, shifts });
    } catch (err) {
      this.warn(`probe: recording the history failed: ${message(err)}`);
    }
    return shifts;
  }
}

function isQueueFull(err: unknown): boolean {
  return err instanceof QueueFullError || (err as Error | undefined)?.name === "QueueFullError";
}

function message(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
