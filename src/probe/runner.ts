// Runs a probe: every run of every test goes to the shared inference queue at once with priority
// "probe" (so runs batch across the engine's sequences while mentions still go first), each answer
// is graded as it arrives, and the tallies become a ProbeResult. Only one probe runs at a time.

import { UserError } from "../errors.js";
import { CancelledError, QueueFullError } from "../inference/errors.js";
import type { InferenceQueueLike, InferenceTicket } from "../inference/queue-types.js";
import type { GenerationResult } from "../inference/types.js";
import { summarizeDataset } from "./dataset/summary.js";
import type { ProbeHistory } from "./history.js";
import { findShifts, settingsKey } from "./history.js";
import { baseSeedFromClock, MAX_SEEDED_RUNS, runSeed } from "./seeds.js";
import type {
  ProbeProgress,
  ProbeResult,
  ProbeRunHandle,
  ProbeRunOptions,
  ProbeService,
  ProbeSuite,
  ProbeTest,
  CompareResult,
  HistoryChart,
  RunResult,
  TestHistory,
  TestResult,
  Verdict,
} from "./types.js";
import { fisherExactTwoSided, newcombeDifference, passHatK } from "./stats.js";
import { roundInterval, wilson } from "./wilson.js";

/** `signal` aborts when the probe is cancelled (a judge model's request is then withdrawn). */
export type GradeFn = (test: ProbeTest, answer: string, mode: "rule" | "judge", signal?: AbortSignal) => Promise<Verdict>;

/** What the runner needs of the history store (a stub will do in tests). */
export type ProbeHistoryStore = Pick<ProbeHistory, "record" | "previous" | "lastForTest"> & Partial<Pick<ProbeHistory, "previousMatching">>;

/** The second model of an A/B probe, opened for one probe and disposed after it. */
export interface CompareModel extends AsyncDisposable {
  readonly modelName: string;
  readonly queue: InferenceQueueLike;
  readonly modelHash?: () => Promise<string>;
}

/** Default k of pass^k (capped at the runs). */
export const DEFAULT_PASS_K = 5;

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
  /**
   * Opens the model named by `compare` (A/B probes); throws ProbeOptionsError for an unknown
   * name. Without it, `compare` is refused.
   */
  readonly openCompare?: (name: string) => Promise<CompareModel>;
  /** Reads a dataset suite's tasks (download once, parse); needed for suites with `dataset`. */
  readonly prepareSuite?: (suite: ProbeSuite) => Promise<ProbeSuite>;
  /** Who grades judged answers, for the dataset report ("the bot's own model" or a model name). */
  readonly judgeName?: string;
}

/** A bad `/probe` option (unknown test id, runs out of range); the message is safe to show. */
export class ProbeOptionsError extends UserError {
  override readonly name = "ProbeOptionsError";
}

/** The history id under which a dataset suite's mean score is read back (src/probe/history.ts). */
export const MEAN_SCORE_ID = "mean-score";

/** The queue user id of every probe run. */
export const PROBE_USER_ID = "probe";

interface Plan {
  readonly suite: ProbeSuite;
  /** Undefined for a dataset suite until its file has been read. */
  readonly tests: readonly { readonly test: ProbeTest; readonly suiteIndex: number }[] | undefined;
  readonly testIds: readonly string[] | undefined;
  readonly runs: number;
  readonly grading: "rule" | "judge";
  readonly compare: string | undefined;
  readonly passK: number;
}

type Arm = "a" | "b";

interface Job {
  readonly arm: Arm;
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
    return readHistory(this.options.loadSuite(suite ?? this.options.defaultSuite), this.options.history, perTest);
  }

  async historyChart(suite: string | undefined, perTest: number): Promise<HistoryChart> {
    const name = this.options.loadSuite(suite ?? this.options.defaultSuite).name;
    // Loaded on first use: the chart libraries are not needed to run probes.
    const { chartFileName, renderHistoryPng } = await import("./report/chart.js");
    return { suite: name, fileName: chartFileName(name), png: renderHistoryPng(name, this.history(name, perTest)) };
  }

  private plan(options: ProbeRunOptions): Plan {
    const suite = this.options.loadSuite(options.suite ?? this.options.defaultSuite);
    const runs = options.runs ?? suite.runs;
    if (!Number.isInteger(runs) || runs < 1 || runs > MAX_SEEDED_RUNS) {
      throw new ProbeOptionsError(`runs must be a whole number from 1 to ${MAX_SEEDED_RUNS}, not ${runs}`);
    }
    const passK = options.passK ?? Math.min(DEFAULT_PASS_K, runs);
    if (!Number.isInteger(passK) || passK < 1 || passK > runs) {
      throw new ProbeOptionsError(`pass^k needs k from 1 to the ${runs} runs, not ${passK}`);
    }
    if (options.compare !== undefined && !this.options.openCompare) throw new ProbeOptionsError("A/B probes (compare) are not available here");
    if (suite.dataset && !this.options.prepareSuite) throw new ProbeOptionsError(`suite ${suite.name} reads a dataset, which is not available here`);
    const testIds = options.tests && options.tests.length > 0 ? options.tests : undefined;
    // A dataset suite's tests are known once its file is read (ActiveProbe.prepare).
    const tests = suite.dataset ? undefined : selectTests(suite, testIds);
    return { suite, tests, testIds, runs, grading: options.grading ?? suite.grading, compare: options.compare, passK };
  }
}

/** The last `perTest` stored tallies of every test of a suite (what `/probe history` shows). */
export function readHistory(suite: ProbeSuite, store: Pick<ProbeHistoryStore, "lastForTest"> | undefined, perTest: number): TestHistory[] {
  if (suite.dataset) {
    // A dataset's tasks are many and one run each: its history is the mean score per probe.
    return [{ id: MEAN_SCORE_ID, title: "平均スコア", points: store?.lastForTest(suite.name, MEAN_SCORE_ID, perTest) ?? [] }];
  }
  return suite.tests.map((t) => ({
    id: t.id,
    title: t.title,
    ...(t.baseline ? { baseline: t.baseline } : {}),
    points: store?.lastForTest(suite.name, t.id, perTest) ?? [],
  }));
}

/** The suite's tests, or the named subset of them, with their positions (seeds derive from those). */
export function selectTests(suite: ProbeSuite, ids: readonly string[] | undefined): { test: ProbeTest; suiteIndex: number }[] {
  const indexed = suite.tests.map((test, suiteIndex) => ({ test, suiteIndex }));
  let tests = indexed;
  if (ids) {
    const known = new Set(suite.tests.map((t) => t.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      const list = [...known];
      const shown = list.length > 12 ? `${list.slice(0, 12).join(", ")}, …` : list.join(", ");
      throw new ProbeOptionsError(`unknown test id ${unknown.map((id) => `"${id}"`).join(", ")} in suite ${suite.name} (known: ${shown})`);
    }
    const wanted = new Set(ids);
    tests = indexed.filter((t) => wanted.has(t.test.id));
  }
  if (tests.length === 0) throw new ProbeOptionsError(`suite ${suite.name} has no tests`);
  return tests;
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
  /** Keyed by arm and test id. */
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
  private compareHash: Promise<string | undefined> = Promise.resolve(undefined);
  private suite: ProbeSuite;
  private tests: readonly { readonly test: ProbeTest; readonly suiteIndex: number }[] = [];
  private compare: CompareModel | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly options: ProbeRunnerOptions,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
    private readonly onFinished: () => void,
  ) {
    this.suite = plan.suite;
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
    if (this.options.modelHash) this.hash = this.hashOf(this.options.modelHash);
    if (this.plan.tests && this.plan.compare === undefined) {
      // Nothing to load: the runs go to the queue at once, as before A/B and datasets existed.
      this.tests = this.plan.tests;
      this.submitAll();
      return;
    }
    this.prepare().then(
      () => {
        if (this.cancelled) return this.finishEarly();
        this.submitAll();
      },
      (err: unknown) => {
        void this.closeCompare();
        this.onFinished();
        this.rejectResult(err);
      },
    );
  }

  /** Reads a dataset suite's tasks and opens the compared model, before any run is submitted. */
  private async prepare(): Promise<void> {
    if (this.plan.tests) this.tests = this.plan.tests;
    else {
      this.suite = await (this.options.prepareSuite as NonNullable<ProbeRunnerOptions["prepareSuite"]>)(this.plan.suite);
      this.tests = selectTests(this.suite, this.plan.testIds);
    }
    if (this.plan.compare !== undefined && !this.cancelled) {
      this.compare = await (this.options.openCompare as NonNullable<ProbeRunnerOptions["openCompare"]>)(this.plan.compare);
      if (this.compare.modelHash) this.compareHash = this.hashOf(this.compare.modelHash);
    }
  }

  private hashOf(fingerprint: () => Promise<string>): Promise<string | undefined> {
    return fingerprint().catch((err: unknown) => {
      this.warn(`probe: model hash failed: ${message(err)}`);
      return undefined;
    });
  }

  private submitAll(): void {
    const { runs } = this.plan;
    const arms: Arm[] = this.compare ? ["a", "b"] : ["a"];
    for (const { test } of this.tests) for (const arm of arms) this.results.set(key(arm, test.id), []);
    // Run-major order: the first runs of every test start together, so tallies grow evenly and a
    // cancelled probe still says something about every test. The two arms of an A/B probe
    // alternate run by run with the same seed, so drift (a busy host, a warming cache) hits both.
    for (let run = 1; run <= runs; run++) {
      for (const { test, suiteIndex } of this.tests) {
        const seed = runSeed(this.baseSeed, suiteIndex, run);
        for (const arm of arms) this.jobs.push({ arm, test, testIndex: suiteIndex, run, seed });
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

  /** Cancelled while the dataset or the compared model was loading: a report with no runs. */
  private finishEarly(): void {
    this.finish().catch((err: unknown) => {
      this.onFinished();
      this.rejectResult(err);
    });
  }

  private queueOf(job: Job): InferenceQueueLike {
    return job.arm === "b" ? (this.compare as CompareModel).queue : this.options.queue;
  }

  /** Submits one job; false when it must wait (the job is then held). */
  private submit(job: Job): boolean {
    const suite = this.suite;
    if (this.inFlight >= (this.options.maxInFlight ?? Infinity) * (this.compare ? 2 : 1)) {
      this.held.push(job);
      return false;
    }
    let ticket: InferenceTicket;
    try {
      ticket = this.queueOf(job).submit({
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
      ...(verdict.score !== undefined ? { score: verdict.score } : {}),
      ...(verdict.unscored ? { unscored: true } : {}),
      answer: generation.text,
      tokens: generation.completionTokens,
      durationMs: generation.timings.generationMs,
      stopReason: generation.stopReason,
    });
  }

  private async finishFailed(job: Job, err: unknown): Promise<void> {
    if (this.cancelled && (err instanceof CancelledError)) {
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
    this.results.get(key(job.arm, job.test.id))?.push(result);
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
    const perTest = this.tests.map(({ test }) => {
      const results = this.results.get(key("a", test.id)) ?? [];
      const other = this.compare ? (this.results.get(key("b", test.id)) ?? []) : undefined;
      done += results.length + (other?.length ?? 0);
      return {
        id: test.id,
        title: test.title,
        done: results.length,
        passed: results.filter((r) => r.pass).length,
        total: this.plan.runs,
        ...(other ? { compare: { done: other.length, passed: other.filter((r) => r.pass).length } } : {}),
      };
    });
    const progress: ProbeProgress = { done, total: this.jobs.length, perTest, ...(this.compare ? { compareModel: this.compare.modelName } : {}) };
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

  private sorted(arm: Arm, id: string): RunResult[] {
    return [...(this.results.get(key(arm, id)) ?? [])].sort((a, b) => a.run - b.run);
  }

  private async finish(): Promise<void> {
    clearTimeout(this.retryTimer);
    const durationMs = Math.max(0, this.now() - this.startMs);
    const suite = this.suite;
    const k = this.plan.passK;
    const tests: TestResult[] = this.tests.map(({ test }) => {
      const results = this.sorted("a", test.id);
      const passed = results.filter((r) => r.pass).length;
      const compare = this.compare ? compareArm(this.compare.modelName, passed, results.length, this.sorted("b", test.id), k) : undefined;
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
        ...passStats(passed, results.length, k),
        ...(compare ? { compare } : {}),
        ...(test.row !== undefined ? { row: test.row } : {}),
        ...(test.category !== undefined ? { category: test.category } : {}),
      };
    });
    const modelHash = await this.hash;
    const compareHash = await this.compareHash;
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
      ...(this.compare ? { compare: { model: this.compare.modelName, ...(compareHash !== undefined ? { modelHash: compareHash } : {}) } } : {}),
      ...(suite.dataset ? { dataset: summarizeDataset(suite.dataset, tests, this.options.judgeName ?? "the bot's own model", this.compare?.modelName) } : {}),
    };
    const result = this.compareAndRecord(base);
    await this.closeCompare();
    // Cleared before resolving, so whoever awaited the result can start the next probe at once.
    this.onFinished();
    this.resolveResult(result);
  }

  /** The compared model is released as soon as its runs are done. */
  private async closeCompare(): Promise<void> {
    const compare = this.compare;
    this.compare = undefined;
    if (!compare) return;
    try {
      await compare[Symbol.asyncDispose]();
    } catch (err) {
      this.warn(`probe: closing the compared model failed: ${message(err)}`);
    }
  }

  /** Shifts against the previous stored probe, then stores this one. History trouble only warns. */
  private compareAndRecord(result: ProbeResult): ProbeResult {
    const history = this.options.history;
    if (!history) return { ...result, shifts: [] };
    let shifts: NonNullable<ProbeResult["shifts"]> = [];
    let previousRun: ProbeResult["previousRun"];
    try {
      shifts = findShifts(history.previous(result.suite), result.tests);
      const matching = history.previousMatching?.(result.suite, settingsKey(result.settings));
      if (matching) {
        previousRun = {
          id: matching.id,
          startedAt: matching.startedAt,
          model: matching.model,
          tests: matching.tests,
          ...(matching.meanScore !== undefined ? { meanScore: matching.meanScore, meanScoreCi95: matching.meanScoreCi95 as [number, number] } : {}),
        };
      }
    } catch (err) {
      this.warn(`probe: reading the history failed: ${message(err)}`);
    }
    const full = { ...result, shifts, ...(previousRun ? { previousRun } : {}) };
    try {
      history.record(full);
    } catch (err) {
      this.warn(`probe: recording the history failed: ${message(err)}`);
    }
    return full;
  }
}

function key(arm: Arm, testId: string): string {
  return `${arm}:${testId}`;
}

/** passAll and the pass^k estimate (when at least k runs finished). */
function passStats(passed: number, total: number, k: number): { passAll: boolean; passK?: { k: number; estimate: number } } {
  return {
    passAll: total > 0 && passed === total,
    ...(total >= k ? { passK: { k, estimate: Math.round(passHatK(passed, total, k) * 1000) / 1000 } } : {}),
  };
}

/** The compared model's tally of one test, and how it differs from this probe's model's. */
function compareArm(model: string, passedA: number, totalA: number, results: RunResult[], k: number): CompareResult {
  const passed = results.filter((r) => r.pass).length;
  const total = results.length;
  const differenceCi95 = roundInterval(newcombeDifference(passedA, totalA, passed, total));
  const difference = totalA > 0 && total > 0 ? Math.round((passedA / totalA - passed / total) * 1000) / 1000 : 0;
  const better = totalA > 0 && total > 0 ? (differenceCi95[0] > 0 ? "a" : differenceCi95[1] < 0 ? "b" : "none") : "none";
  return {
    model,
    passed,
    total,
    ci95: roundInterval(wilson(passed, total)),
    difference,
    differenceCi95,
    pValue: Number(fisherExactTwoSided(passedA, totalA, passed, total).toPrecision(4)),
    better,
    ...passStats(passed, total, k),
    results,
  };
}

function isQueueFull(err: unknown): boolean {
  return err instanceof QueueFullError;
}

function message(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}
