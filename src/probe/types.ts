// Probe suites, verdicts and results. The shape of ProbeResult follows `probe --json` in
// shared/design.md (extra fields allowed, the named ones required).

export interface Tally {
  readonly passed: number;
  readonly total: number;
}

export type RuleId = "theory-of-mind" | "reading" | "monty-hall";

export type GraderSpec =
  /** A deterministic grader written in src/probe/graders for one of the article's tests. */
  | { readonly kind: "rule"; readonly rule: RuleId }
  /** The answer, the reference and the rubric go to a judge model that returns {reason, pass}. */
  | { readonly kind: "judge"; readonly rubric: string };

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
}

export interface ProbeSuite {
  readonly name: string;
  readonly description?: string;
  readonly systemPrompt: string;
  readonly runs: number;
  readonly sampling: { readonly temperature: number; readonly topP: number; readonly maxTokens: number };
  /** "rule" uses each test's own grader; "judge" grades every test with the judge model. */
  readonly grading: "rule" | "judge";
  readonly tests: readonly ProbeTest[];
}

export interface Verdict {
  readonly pass: boolean;
  /** One line a person can read: why it passed or failed. */
  readonly reason: string;
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
  /** Tests whose tally moved outside the previous stored run's interval. */
  readonly shifts?: readonly { readonly id: string; readonly previous: Tally; readonly previousCi95: readonly [number, number] }[];
}

export interface ProbeProgress {
  readonly done: number;
  readonly total: number;
  readonly perTest: readonly ({ readonly id: string; readonly title: string; readonly done: number } & Tally)[];
}

export interface ProbeRunOptions {
  readonly suite?: string;
  readonly runs?: number;
  readonly tests?: readonly string[];
  readonly grading?: "rule" | "judge";
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
}

export interface TestHistory {
  readonly id: string;
  readonly title: string;
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
}
