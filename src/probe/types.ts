// Probe suites, verdicts and results. ProbeResult is what `probe --json` prints (report/json.ts
// fixes the field order; test/probe/golden/probe.json shows it): extra fields are allowed, the
// documented ones (suite, model, runs, durationMs, tests[] with id, title, passed, total, ci95,
// baseline and results) are required.

export interface Tally {
  readonly passed: number;
  readonly total: number;
}

export type RuleId = "theory-of-mind" | "reading" | "monty-hall";

export type GraderSpec =
  /** A deterministic grader written in src/probe/graders for one of the article's tests. */
  | { readonly kind: "rule"; readonly rule: RuleId }
  /** The answer, the reference and the rubric go to a judge model that returns {reason, pass}. */
  | { readonly kind: "judge"; readonly rubric: string }
  /** A dataset task (ELYZA-tasks-100): the judge scores 1–5 against the reference and the task's eval_aspect. */
  | { readonly kind: "score"; readonly aspect: string; readonly passScore: number };

export interface ProbeTest {
  readonly id: string;
  readonly title: string;
  /** Sent verbatim as the user's message. */
  readonly prompt: string;
  /** The correct answer (the article's 正答例 where it has one). */
  readonly reference: string;
  readonly grader: GraderSpec;
  /** The article's own tally, the line to compare against. */
  readonly baseline?: Tally;
  /** Further reference tallies, e.g. GPT-4 on Monty Hall. */
  readonly references?: readonly ({ readonly label: string } & Tally)[];
  /** Dataset tasks: the row in the dataset file (1-based, header not counted) and its category if the file has one. */
  readonly row?: number;
  readonly category?: string;
}

/** A suite whose tests come from a dataset file with ELYZA-tasks-100's fields (input, output, eval_aspect). */
export interface DatasetSpec {
  /** A local .csv/.jsonl path, or an `hf:datasets/OWNER/NAME/FILE` URI fetched once into the model cache. */
  readonly source: string;
  /** A scored answer counts as passed at this score or above (the tallies; the mean is the headline). */
  readonly passScore: number;
  /** A published mean score to compare with (the model card's), and who judged it. */
  readonly reference?: { readonly label: string; readonly score: number; readonly judge: string };
}

export interface ProbeSuite {
  readonly name: string;
  readonly description?: string;
  readonly systemPrompt: string;
  readonly runs: number;
  readonly sampling: { readonly temperature: number; readonly topP: number; readonly maxTokens: number };
  /** "rule" uses each test's own grader; "judge" grades every test with the judge model. */
  readonly grading: "rule" | "judge";
  /** Empty for a dataset suite until its file is read (src/probe/dataset). */
  readonly tests: readonly ProbeTest[];
  readonly dataset?: DatasetSpec;
}

export interface Verdict {
  readonly pass: boolean;
  /** One line a person can read: why it passed or failed. */
  readonly reason: string;
  /** 1–5 for dataset tasks. */
  readonly score?: number;
  /** The judge gave no usable score: `score` is then the floor, 1, and the report lists the row. */
  readonly unscored?: boolean;
}

export interface RunResult extends Verdict {
  readonly run: number;
  readonly seed: number;
  readonly answer: string;
  readonly tokens: number;
  readonly durationMs: number;
  readonly stopReason: string;
}

export interface TestResult extends Tally {
  readonly id: string;
  readonly title: string;
  /** Wilson 95 % interval of the pass rate. */
  readonly ci95: readonly [number, number];
  readonly baseline?: Tally;
  readonly references?: readonly ({ readonly label: string } & Tally)[];
  /** The prompt sent (once per test), for the transcript. */
  readonly prompt?: string;
  readonly results: readonly RunResult[];
  /** True when every run passed (and there was at least one); set by the runner. */
  readonly passAll?: boolean;
  /** The estimate of pass^k (all of k fresh runs pass), k ≤ runs; absent when fewer runs than k finished. */
  readonly passK?: { readonly k: number; readonly estimate: number };
  /** The second model's runs of the same test with the same seeds (A/B probes). */
  readonly compare?: CompareResult;
  readonly row?: number;
  readonly category?: string;
}

export interface CompareResult extends Tally {
  readonly model: string;
  readonly ci95: readonly [number, number];
  /** Pass rate of this probe's model minus the compared model's, with Newcombe's 95 % interval. */
  readonly difference: number;
  readonly differenceCi95: readonly [number, number];
  /** Fisher's exact test, two-sided. */
  readonly pValue: number;
  /** "a" or "b": the arm with the higher rate when the interval excludes 0; "none" otherwise. */
  readonly better: "a" | "b" | "none";
  readonly passAll: boolean;
  readonly passK?: { readonly k: number; readonly estimate: number };
  readonly results: readonly RunResult[];
}

/** The headline of a dataset suite: mean judge score with its bootstrap interval. */
export interface DatasetSummary {
  readonly source: string;
  /** Tasks answered and scored (an unusable judge reply counts as 1; see unscoredRows). */
  readonly scored: number;
  /** Dataset rows whose answer got no usable score (their runs say why); counted as 1, the lowest score. */
  readonly unscoredRows: readonly number[];
  readonly mean: number;
  readonly ci95: readonly [number, number];
  /** How many answers got each score 1–5. */
  readonly histogram: readonly [number, number, number, number, number];
  readonly categories: readonly { readonly name: string; readonly n: number; readonly mean: number }[];
  readonly judge: string;
  readonly reference?: DatasetSpec["reference"];
  /** The compared model's summary in an A/B probe. */
  readonly compare?: { readonly model: string; readonly scored: number; readonly mean: number; readonly ci95: readonly [number, number] };
}

export interface ProbeResult {
  readonly suite: string;
  readonly model: string;
  readonly modelHash?: string;
  readonly runs: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly tokensPerSecond: number;
  readonly cancelled: boolean;
  readonly settings: {
    readonly temperature: number;
    readonly topP: number;
    readonly maxTokens: number;
    readonly grading: string;
    /** The seeds of all runs derive from this one (src/probe/seeds.ts): the probe can be replayed. */
    readonly baseSeed?: number;
    readonly systemPrompt?: string;
  };
  readonly tests: readonly TestResult[];
  /** A/B probes: the second model. */
  readonly compare?: { readonly model: string; readonly modelHash?: string };
  readonly dataset?: DatasetSummary;
  /**
   * The last stored complete probe of this suite with the same sampling, prompt and grading (any
   * model): what `--fail-on regression` compares with.
   */
  readonly previousRun?: {
    readonly id: number;
    readonly startedAt: string;
    readonly model: string;
    readonly tests: readonly ({ readonly id: string } & Tally)[];
    readonly meanScore?: number;
    readonly meanScoreCi95?: readonly [number, number];
  };
  /** Tests whose tally moved outside the previous stored run's interval. */
  readonly shifts?: readonly { readonly id: string; readonly previous: Tally; readonly previousCi95: readonly [number, number] }[];
}

export interface ProbeProgress {
  readonly done: number;
  readonly total: number;
  readonly perTest: readonly ({
    readonly id: string;
    readonly title: string;
    readonly done: number;
    readonly compare?: { readonly done: number; readonly passed: number };
  } & Tally)[];
  /** A/B probes: the compared model's name. */
  readonly compareModel?: string;
}

export interface ProbeRunOptions {
  readonly suite?: string;
  readonly runs?: number;
  readonly tests?: readonly string[];
  readonly grading?: "rule" | "judge";
  /** A/B: a second model run on the same tests with the same seeds (a configured name, or on the CLI a file or hf: URI). */
  readonly compare?: string;
  /** k of pass^k (default: the smaller of 5 and the runs). */
  readonly passK?: number;
}

export interface ProbeRunHandle {
  /** True when this request joined a probe that was already running. */
  readonly joined: boolean;
  /** Subscribes to progress; returns an unsubscribe function. */
  onProgress(listener: (progress: ProbeProgress) => void): () => void;
  readonly result: Promise<ProbeResult>;
}

export interface HistoryPoint extends Tally {
  readonly probeId: number;
  readonly startedAt: string;
  readonly model: string;
  /** Dataset suites: the mean judge score of that probe and its bootstrap interval. */
  readonly mean?: number;
  readonly meanCi95?: readonly [number, number];
}

export interface TestHistory {
  readonly id: string;
  readonly title: string;
  readonly baseline?: Tally;
  /** Oldest first. */
  readonly points: readonly HistoryPoint[];
}

/** What the chat adapters and the console call for /probe. */
export interface ProbeService {
  /** Starts a probe, or joins the one already running (only one runs at a time). */
  run(options: ProbeRunOptions, requestedBy: string): ProbeRunHandle;
  /** Cancels the running probe; false when none runs. */
  cancel(): boolean;
  history(suite: string | undefined, perTest: number): TestHistory[];
  /** The same history drawn as a PNG chart (src/probe/report/chart.ts), with the suite's real name. */
  historyChart?(suite: string | undefined, perTest: number): Promise<HistoryChart>;
}

export interface HistoryChart {
  readonly suite: string;
  readonly fileName: string;
  readonly png: Buffer;
}
