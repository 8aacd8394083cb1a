// What the probe runner is given: the shared queue, suites, graders, the model's name and hash,
// the history store, and the optional powers (A/B, datasets, a bound on runs in flight).

import type { InferenceQueueLike } from "../inference/queue-types.js";
import type { ProbeHistoryStore } from "./run-history.js";
import type { ProbeSuite, ProbeTest, Verdict } from "./types.js";

/** `signal` aborts when the probe is cancelled (a judge model's request is then withdrawn). */
export type GradeFn = (test: ProbeTest, answer: string, mode: "rule" | "judge", signal?: AbortSignal) => Promise<Verdict>;

/** The second model of an A/B probe, opened for one probe and disposed after it. */
export interface CompareModel extends AsyncDisposable {
  readonly modelName: string;
  readonly queue: InferenceQueueLike;
  readonly modelHash?: () => Promise<string>;
}

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
  /**
   * Runs in the queue at once (per model of an A/B probe); default all of them. A bound (say
   * 2 × engine.parallel) keeps long probes clear of the queue's wait-time limit while still
   * filling every sequence.
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
