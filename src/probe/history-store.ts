// The probe history: every probe and every run in one SQLite file, so that `/probe history` can show
// trends and a new probe can be compared with the last one ("shift" detection).

import type Database from "better-sqlite3";
import { openVersionedDatabase } from "../storage/versioned-database.js";
import type { HistoryPoint, ProbeResult, Tally } from "./types.js";
import { outsideInterval, roundInterval, wilson } from "./wilson.js";

/** The schema's version: the number of steps given to openVersionedDatabase (add a step to change it). */
export const HISTORY_SCHEMA_VERSION = 2;

export const DEFAULT_HISTORY_FILE = "probe-history.sqlite";

/** A stored probe as `previous()` returns it: the tallies, not the answers. */
export interface StoredProbe {
  readonly id: number;
  readonly startedAt: string;
  readonly suite: string;
  readonly model: string;
  readonly modelHash?: string;
  readonly settings: Record<string, unknown>;
  readonly durationMs: number;
  readonly cancelled: boolean;
  readonly tests: readonly ({ readonly id: string } & Tally)[];
  /** Dataset suites: the mean judge score and its bootstrap interval. */
  readonly meanScore?: number;
  readonly meanScoreCi95?: readonly [number, number];
}

/** The history id under which a dataset suite's mean score is stored and read back. */
export const MEAN_SCORE_ID = "mean-score";

/**
 * What must match for two probes to be compared by `--fail-on regression`: sampling, prompt and
 * grading. The model is deliberately not part of it: the gate exists to compare models.
 */
export function settingsKey(settings: Record<string, unknown> | ProbeResult["settings"]): string {
  const s = settings as Record<string, unknown>;
  return JSON.stringify([s.temperature, s.topP, s.maxTokens, s.grading, s.systemPrompt ?? null]);
}

// v2: a run's judge score (dataset suites) and a probe's summary (its mean score).
const SCHEMA_V2 = `
ALTER TABLE runs ADD COLUMN score REAL;
ALTER TABLE probes ADD COLUMN summary TEXT;
`;

const SCHEMA_V1 = `
CREATE TABLE probes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at  TEXT    NOT NULL,
  suite       TEXT    NOT NULL,
  model       TEXT    NOT NULL,
  model_hash  TEXT,
  settings    TEXT    NOT NULL,
  duration_ms INTEGER NOT NULL,
  cancelled   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX probes_by_suite ON probes (suite, id);
CREATE TABLE runs (
  probe_id    INTEGER NOT NULL REFERENCES probes (id) ON DELETE CASCADE,
  test_id     TEXT    NOT NULL,
  run         INTEGER NOT NULL,
  seed        INTEGER NOT NULL,
  pass        INTEGER NOT NULL,
  reason      TEXT    NOT NULL,
  answer      TEXT    NOT NULL,
  tokens      INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  stop_reason TEXT,
  PRIMARY KEY (probe_id, test_id, run)
);
CREATE INDEX runs_by_test ON runs (test_id, probe_id);
`;

interface ProbeRow {
  id: number;
  started_at: string;
  suite: string;
  model: string;
  model_hash: string | null;
  settings: string;
  duration_ms: number;
  cancelled: number;
  summary: string | null;
}

export class ProbeHistory {
  readonly path: string;
  private readonly db: Database.Database;

  /** Opens (creating the directory, the file and the schema when missing) `dataDirectory/fileName`. */
  constructor(dataDirectory: string, fileName: string = DEFAULT_HISTORY_FILE) {
    // WAL: a reader (/probe history) never blocks the writer at the end of a probe.
    ({ db: this.db, path: this.path } = openVersionedDatabase({
      directory: dataDirectory,
      file: fileName,
      what: "probe history",
      steps: [SCHEMA_V1, SCHEMA_V2],
      foreignKeys: true,
    }));
  }

  /** Stores a finished (or cancelled) probe with all its runs; returns its id. */
  record(result: ProbeResult): number {
    const insertProbe = this.db.prepare(
      `INSERT INTO probes (started_at, suite, model, model_hash, settings, duration_ms, cancelled, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertRun = this.db.prepare(
      `INSERT INTO runs (probe_id, test_id, run, seed, pass, reason, answer, tokens, duration_ms, stop_reason, score)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const summary =
      result.dataset && Number.isFinite(result.dataset.mean)
        ? JSON.stringify({ mean: result.dataset.mean, ci95: result.dataset.ci95, scored: result.dataset.scored })
        : null;
    // Planned runs and throughput are not settings, but belong with them for later comparison.
    const settings = { ...result.settings, runs: result.runs, tokensPerSecond: result.tokensPerSecond };
    return this.db.transaction(() => {
      const { lastInsertRowid } = insertProbe.run(
        result.startedAt,
        result.suite,
        result.model,
        result.modelHash ?? null,
        JSON.stringify(settings),
        Math.round(result.durationMs),
        result.cancelled ? 1 : 0,
        summary,
      );
      const probeId = Number(lastInsertRowid);
      for (const test of result.tests) {
        for (const r of test.results) {
          insertRun.run(probeId, test.id, r.run, r.seed, r.pass ? 1 : 0, r.reason, r.answer, r.tokens, Math.round(r.durationMs), r.stopReason, r.score ?? null);
        }
      }
      return probeId;
    })();
  }

  /** The last `n` complete probes' tallies of one test, oldest first. Cancelled probes are left out. */
  lastForTest(suite: string, testId: string, n: number): HistoryPoint[] {
    if (testId === MEAN_SCORE_ID) return this.lastMeans(suite, n);
    const rows = this.db
      .prepare(
        `SELECT p.id AS probeId, p.started_at AS startedAt, p.model AS model,
                SUM(r.pass) AS passed, COUNT(*) AS total
           FROM runs r JOIN probes p ON p.id = r.probe_id
          WHERE p.suite = ? AND r.test_id = ? AND p.cancelled = 0
          GROUP BY p.id
          ORDER BY p.id DESC
          LIMIT ?`,
      )
      .all(suite, testId, Math.max(0, Math.floor(n))) as HistoryPoint[];
    return rows.reverse();
  }

  /** A dataset suite's mean score per probe, oldest first (passed/total: tasks at or above the pass score). */
  private lastMeans(suite: string, n: number): HistoryPoint[] {
    const rows = this.db
      .prepare(
        `SELECT p.id AS probeId, p.started_at AS startedAt, p.model AS model, p.summary AS summary,
                SUM(r.pass) AS passed, COUNT(*) AS total
           FROM probes p JOIN runs r ON r.probe_id = p.id
          WHERE p.suite = ? AND p.cancelled = 0 AND p.summary IS NOT NULL
          GROUP BY p.id
          ORDER BY p.id DESC
          LIMIT ?`,
      )
      .all(suite, Math.max(0, Math.floor(n))) as (HistoryPoint & { summary: string })[];
    return rows.reverse().map(({ summary, ...point }) => {
      const s = JSON.parse(summary) as { mean: number; ci95: [number, number] };
      return { ...point, mean: s.mean, meanCi95: s.ci95 };
    });
  }

  /** The last complete probe of the suite (what a new probe is compared with), if any. */
  previous(suite: string): StoredProbe | undefined {
    const row = this.db.prepare(`SELECT * FROM probes WHERE suite = ? AND cancelled = 0 ORDER BY id DESC LIMIT 1`).get(suite) as ProbeRow | undefined;
    return row ? this.stored(row) : undefined;
  }

  /** The last complete probe of the suite whose settings have this settingsKey (any model). */
  previousMatching(suite: string, key: string): StoredProbe | undefined {
    const rows = this.db.prepare(`SELECT * FROM probes WHERE suite = ? AND cancelled = 0 ORDER BY id DESC LIMIT 500`).all(suite) as ProbeRow[];
    const row = rows.find((r) => settingsKey(JSON.parse(r.settings) as Record<string, unknown>) === key);
    return row ? this.stored(row) : undefined;
  }

  private stored(row: ProbeRow): StoredProbe {
    const tests = this.db
      .prepare(
        `SELECT test_id AS id, SUM(pass) AS passed, COUNT(*) AS total
           FROM runs WHERE probe_id = ? GROUP BY test_id ORDER BY MIN(rowid)`,
      )
      .all(row.id) as ({ id: string } & Tally)[];
    return {
      id: row.id,
      startedAt: row.started_at,
      suite: row.suite,
      model: row.model,
      ...(row.model_hash !== null ? { modelHash: row.model_hash } : {}),
      settings: JSON.parse(row.settings) as Record<string, unknown>,
      durationMs: row.duration_ms,
      cancelled: row.cancelled !== 0,
      tests,
      ...summaryOf(row),
    };
  }

  /** Closes the database; a second call does nothing. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function summaryOf(row: ProbeRow): Pick<StoredProbe, "meanScore" | "meanScoreCi95"> {
  if (!row.summary) return {};
  const s = JSON.parse(row.summary) as { mean: number; ci95: [number, number] };
  return { meanScore: s.mean, meanScoreCi95: s.ci95 };
}

/**
 * Tests whose new pass rate lies outside the Wilson interval of the previous probe's tally: more
 * than sampling noise, worth a warning. Tests new to the suite or with no runs are skipped.
 */
export function findShifts(previous: StoredProbe | undefined, tests: readonly ({ readonly id: string } & Tally)[]): NonNullable<ProbeResult["shifts"]> {
  if (!previous) return [];
  const shifts: { id: string; previous: Tally; previousCi95: [number, number] }[] = [];
  for (const test of tests) {
    const before = previous.tests.find((t) => t.id === test.id);
    if (!before || before.total === 0 || test.total === 0) continue;
    const ci = wilson(before.passed, before.total);
    if (outsideInterval(test.passed, test.total, ci)) {
      shifts.push({ id: test.id, previous: { passed: before.passed, total: before.total }, previousCi95: roundInterval(ci) });
    }
  }
  return shifts;
}
