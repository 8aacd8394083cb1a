// One probe in flight: plans its runs in run-major order with their seeds, sends them through the
// concurrency lane to the shared queue at priority "probe", grades each answer as it arrives, tells
// listeners the progress, and on the last run builds the result (result.ts) and records it
// (run-history.ts). Cancelling ends what is queued and running; runs cut short are not verdicts.

import type { InferenceQueueLike, InferenceTicket } from "../inference/queue-types.js";
import { CancelledError } from "../inference/errors.js";
import type { GenerationResult } from "../inference/types.js";
import { errorText } from "./error-text.js";
import { ConcurrencyLane } from "./lane.js";
import { selectTests, type Plan, type PlannedTest } from "./plan.js";
import { buildProbeResult, type Arm } from "./result.js";
import { recordWithShifts } from "./run-history.js";
import type { CompareModel, ProbeRunnerOptions } from "./runner-options.js";
import { baseSeedFromClock, runSeed } from "./seeds.js";
import type { ProbeProgress, ProbeResult, ProbeRunHandle, ProbeSuite, ProbeTest, RunResult, Verdict } from "./types.js";

/** The queue user id of every probe run. */
export const PROBE_USER_ID = "probe";

interface Job {
  readonly arm: Arm;
  readonly test: ProbeTest;
  readonly run: number;
  readonly seed: number;
  ticket?: InferenceTicket;
  submittedAt?: number;
}

/** One probe in flight: its jobs, listeners and the promise of its result. */
export class ActiveProbe {
  readonly result: Promise<ProbeResult>;
  private resolveResult!: (result: ProbeResult) => void;
  private rejectResult!: (err: unknown) => void;
  private readonly listeners = new Set<(progress: ProbeProgress) => void>();
  private lastProgress: ProbeProgress | undefined;
  private readonly jobs: Job[] = [];
  private lane: ConcurrencyLane<Job> | undefined;
  /** Keyed by arm and test id. */
  private readonly results = new Map<string, RunResult[]>();
  private settled = 0;
  private cancelled = false;
  /** Aborted by cancel(): withdraws grading requests (a judge's) still in the queue. */
  private readonly grading = new AbortController();
  private completionTokens = 0;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  private startMs = 0;
  private baseSeed = 0;
  private hash: Promise<string | undefined> = Promise.resolve(undefined);
  private compareHash: Promise<string | undefined> = Promise.resolve(undefined);
  private suite: ProbeSuite;
  private tests: readonly PlannedTest[] = [];
  private compare: CompareModel | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly options: ProbeRunnerOptions,
    private readonly onFinished: () => void,
  ) {
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? ((m) => console.warn(m));
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
      // Nothing to load: the runs go to the queue at once.
      this.tests = this.plan.tests;
      this.submitAll();
      return;
    }
    this.prepare().then(
      () => (this.cancelled ? this.finishOrFail() : this.submitAll()),
      async (err: unknown) => {
        await this.closeCompare();
        this.onFinished();
        this.rejectResult(err);
      },
    );
  }

  /** Reads a dataset suite's tasks and opens the compared model, before any run is submitted. */
  private async prepare(): Promise<void> {
    const { openCompare, prepareSuite } = this.options;
    if (this.plan.tests) this.tests = this.plan.tests;
    else if (prepareSuite) {
      this.suite = await prepareSuite(this.plan.suite);
      this.tests = selectTests(this.suite, this.plan.testIds);
    }
    if (this.plan.compare !== undefined && openCompare && !this.cancelled) {
      this.compare = await openCompare(this.plan.compare);
      if (this.compare.modelHash) this.compareHash = this.hashOf(this.compare.modelHash);
    }
  }

  private hashOf(fingerprint: () => Promise<string>): Promise<string | undefined> {
    return fingerprint().catch((err: unknown) => {
      this.warn(`probe: model hash failed: ${errorText(err)}`);
      return undefined;
    });
  }

  private submitAll(): void {
    const arms: Arm[] = this.compare ? ["a", "b"] : ["a"];
    for (const { test } of this.tests) for (const arm of arms) this.results.set(key(arm, test.id), []);
    // Run-major order: the first runs of every test start together, so tallies grow evenly and a
    // cancelled probe still says something about every test. The two arms of an A/B probe
    // alternate run by run with the same seed, so drift (a busy host, a warming cache) hits both.
    for (let run = 1; run <= this.plan.runs; run++) {
      for (const { test, suiteIndex } of this.tests) {
        const seed = runSeed(this.baseSeed, suiteIndex, run);
        for (const arm of arms) this.jobs.push({ arm, test, run, seed });
      }
    }
    this.emitProgress();
    const lane = new ConcurrencyLane<Job>((this.options.maxInFlight ?? Infinity) * arms.length, (job) => this.submit(job));
    this.lane = lane;
    for (const job of this.jobs) lane.add(job);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.grading.abort();
    // Runs still in the lane never reached the queue: they simply end.
    const dropped = this.lane?.clear().length ?? 0;
    for (let i = 0; i < dropped; i++) this.settleOne();
    for (const job of this.jobs) job.ticket?.cancel("probe cancelled");
  }

  /** Submits one run; resolves when the queue is done with it (grading goes on meanwhile). */
  private async submit(job: Job): Promise<void> {
    job.submittedAt = this.now();
    const queue: InferenceQueueLike = job.arm === "b" && this.compare ? this.compare.queue : this.options.queue;
    try {
      job.ticket = queue.submit({
        userId: PROBE_USER_ID,
        priority: "probe",
        conversation: { systemPrompt: this.suite.systemPrompt, turns: [{ role: "user", text: job.test.prompt }] },
        sampling: { ...this.suite.sampling, seed: job.seed },
      });
      void this.graded(job, await job.ticket.result);
    } catch (err) {
      this.failed(job, err);
    }
  }

  private async graded(job: Job, generation: GenerationResult): Promise<void> {
    this.completionTokens += generation.completionTokens;
    // Cut short by /probe cancel: not a verdict on the model.
    if (generation.stopReason === "aborted" && this.cancelled) return this.settleOne();
    let verdict: Verdict;
    if (generation.stopReason === "error") verdict = { pass: false, reason: `generation failed: ${generation.error ?? "unknown error"}` };
    else if (generation.stopReason === "aborted") verdict = { pass: false, reason: "generation was aborted" };
    else {
      try {
        verdict = await this.options.grade(job.test, generation.text, this.plan.grading, this.grading.signal);
      } catch (err) {
        verdict = { pass: false, reason: `grader failed: ${errorText(err)}` };
      }
      // Cancelled while grading (a withdrawn judge answers nothing useful): not a verdict on the model.
      if (this.cancelled) return this.settleOne();
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

  private failed(job: Job, err: unknown): void {
    if (this.cancelled && err instanceof CancelledError) return this.settleOne();
    // A refusal, a timeout or an engine error is a failed run, kept with its reason, never dropped.
    const durationMs = this.now() - (job.submittedAt ?? this.now());
    this.add(job, {
      run: job.run,
      seed: job.seed,
      pass: false,
      reason: `inference failed: ${errorText(err)}`,
      answer: "",
      tokens: 0,
      durationMs,
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
    if (this.settled === this.jobs.length) this.finishOrFail();
  }

  private emitProgress(): void {
    let done = 0;
    const perTest = this.tests.map(({ test }) => {
      const results = this.results.get(key("a", test.id)) ?? [];
      const other = this.compare ? (this.results.get(key("b", test.id)) ?? []) : undefined;
      done += results.length + (other?.length ?? 0);
      const compare = other ? { compare: { done: other.length, passed: other.filter((r) => r.pass).length } } : {};
      return { id: test.id, title: test.title, done: results.length, passed: results.filter((r) => r.pass).length, total: this.plan.runs, ...compare };
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
      this.warn(`probe: progress listener failed: ${errorText(err)}`);
    }
  }

  /** Every run settled (or the probe was cancelled before any was submitted). */
  private finishOrFail(): void {
    this.finish().catch((err: unknown) => {
      // Only a bug gets here; still free the runner for the next probe.
      this.onFinished();
      this.rejectResult(err);
    });
  }

  private async finish(): Promise<void> {
    // Measured before waiting for the model hashes: the probe is over when its last run settled.
    const durationMs = Math.max(0, this.now() - this.startMs);
    const compareModel = this.compare?.modelName;
    const result = buildProbeResult({
      suite: this.suite,
      plan: this.plan,
      tests: this.tests,
      modelName: this.options.modelName,
      modelHash: await this.hash,
      compare: compareModel === undefined ? undefined : { model: compareModel, modelHash: await this.compareHash },
      runsOf: (arm, id) => [...(this.results.get(key(arm, id)) ?? [])].sort((a, b) => a.run - b.run),
      startMs: this.startMs,
      durationMs,
      completionTokens: this.completionTokens,
      cancelled: this.cancelled,
      baseSeed: this.baseSeed,
      judgeName: this.options.judgeName ?? "the bot's own model",
    });
    const recorded = recordWithShifts(result, this.options.history, this.warn);
    await this.closeCompare();
    // Cleared before resolving, so whoever awaited the result can start the next probe at once.
    this.onFinished();
    this.resolveResult(recorded);
  }

  /** The compared model is released as soon as its runs are done. */
  private async closeCompare(): Promise<void> {
    const compare = this.compare;
    this.compare = undefined;
    try {
      await compare?.[Symbol.asyncDispose]();
    } catch (err) {
      this.warn(`probe: closing the compared model failed: ${errorText(err)}`);
    }
  }
}

function key(arm: Arm, testId: string): string {
  return `${arm}:${testId}`;
}
