// What a probe request asks for, checked before anything is submitted: the suite, the runs, the
// tests, pass^k and whether A/B or a dataset is possible here. A bad option is a ProbeOptionsError
// whose message is safe to show in chat.

import { UserError } from "../errors.js";
import { MAX_SEEDED_RUNS } from "./seeds.js";
import type { ProbeRunOptions, ProbeSuite, ProbeTest } from "./types.js";

/** A bad `/probe` option (unknown test id, runs out of range); the message is safe to show. */
export class ProbeOptionsError extends UserError {
  override readonly name = "ProbeOptionsError";
}

/** Default k of pass^k (capped at the runs). */
export const DEFAULT_PASS_K = 5;

/** A test of the suite with its position there (run seeds derive from the position). */
export interface PlannedTest {
  readonly test: ProbeTest;
  readonly suiteIndex: number;
}

export interface Plan {
  readonly suite: ProbeSuite;
  /** Undefined for a dataset suite until its file has been read. */
  readonly tests: readonly PlannedTest[] | undefined;
  readonly testIds: readonly string[] | undefined;
  readonly runs: number;
  readonly grading: "rule" | "judge";
  readonly compare: string | undefined;
  readonly passK: number;
}

export interface PlanContext {
  /** Throws (with a message naming the suite) when the suite does not exist. */
  readonly loadSuite: (name: string) => ProbeSuite;
  readonly defaultSuite: string;
  /** Whether A/B probes can open a second model here. */
  readonly canCompare: boolean;
  /** Whether dataset suites can be read here. */
  readonly canReadDatasets: boolean;
}

/** The plan of one probe; throws ProbeOptionsError (or the suite loader's error) for bad options. */
export function planProbe(options: ProbeRunOptions, context: PlanContext): Plan {
  const suite = context.loadSuite(options.suite ?? context.defaultSuite);
  const runs = options.runs ?? suite.runs;
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_SEEDED_RUNS) {
    throw new ProbeOptionsError(`runs must be a whole number from 1 to ${MAX_SEEDED_RUNS}, not ${runs}`);
  }
  const passK = options.passK ?? Math.min(DEFAULT_PASS_K, runs);
  if (!Number.isInteger(passK) || passK < 1 || passK > runs) {
    throw new ProbeOptionsError(`pass^k needs k from 1 to the ${runs} runs, not ${passK}`);
  }
  if (options.compare !== undefined && !context.canCompare) throw new ProbeOptionsError("A/B probes (compare) are not available here");
  if (suite.dataset && !context.canReadDatasets) throw new ProbeOptionsError(`suite ${suite.name} reads a dataset, which is not available here`);
  const testIds = options.tests && options.tests.length > 0 ? options.tests : undefined;
  // A dataset suite's tests are known once its file is read (the active probe's prepare step).
  const tests = suite.dataset ? undefined : selectTests(suite, testIds);
  return { suite, tests, testIds, runs, grading: options.grading ?? suite.grading, compare: options.compare, passK };
}

/** The suite's tests, or the named subset of them, with their positions (seeds derive from those). */
export function selectTests(suite: ProbeSuite, ids: readonly string[] | undefined): PlannedTest[] {
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
