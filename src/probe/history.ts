// The probe history: every probe and every run in one SQLite file, so that `/probe history` can show
// trends and a new probe can be compared with the last one ("shift" detection).

import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { HistoryPoint, ProbeResult, Tally } from "./types.js";
import { outsideInterval, roundInterval, wilson } from "./wilson.js";

/** Bump with a migration step in `migrate` whenever the schema changes. */
export const HISTORY_SCHEMA_VERSION = 1;

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
}

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
}

export class ProbeHistory {
  readonly path: string;
  private readonly db: Database.Database;

  /** Opens (creating the directory, the file and the schema when missing) `dataDirectory/fileName`. */
  constructor(dataDirectory: string, fileName: string = DEFAULT_HISTORY_FILE) {
    fs.mkdirSync(dataDirectory, { recursive: true });
    this.path = path.join(dataDirectory, fileName);
    this.db = new Database(this.path);
    try {
      // WAL: a reader (/probe history) never blocks the writer at the end of a probe.
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("foreign_keys = ON");
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > HISTORY_SCHEMA_VERSION) {
      throw new Error(
        `probe history ${this.path} has schema version ${version}, newer than this build knows (${HISTORY_SCHEMA_VERSION})`,
      );
    }
    if (version < 1) {
      this.db.transaction(() => {
        this.db.exec(SCHEMA_V1);
        this.db.pragma(`user_version = 1`);
      })();
    }
  }

  /** Stores a finished (or cancelled) probe with all its runs; returns its id. */
  record(result: ProbeResult): number {
    const insertProbe = this.db.prepare(
      `INSERT INTO probes (started_at, suite, model, model_hash, settings, duration_ms, cancelled)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertRun = this.db.prepare(
      `INSERT INTO runs (probe_id, test_id, run, seed, pass, reason, answer, tokens, duration_ms, stop_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
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
      );
      const probeId = Number(lastInsertRowid);
      for (const test of result.tests) {
        for (const r of test.results) {
          insertRun.run(probeId, test.id, r.run, r.seed, r.pass ? 1 : 0, r.reason, r.answer, r.tokens, Math.round(r.durationMs), r.stopReason);
        }
      }
      return probeId;
    })();
  }

  /** The last `n` complete probes' tallies of one test, oldest first. Cancelled probes are left out. */
  lastForTest(suite: string, testId: string, n: number): HistoryPoint[] {
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

  /** The last complete probe of the suite (what a new probe is compared with), if any. */
  previous(suite: string): StoredProbe | undefined {
    const row = this.db
      .prepare(`SELECT * FROM probes WHERE suite = ? AND cancelled = 0 ORDER BY id DESC LIMIT 1`)
      .get(suite) as ProbeRow | undefined;
    if (!row) return undefined;
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
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Tests whose new pass rate lies outside the Wilson interval of the previous probe's tally: more
 * than sampling noise, worth a warning. Tests new to the suite or with no runs are skipped.
 */
export function findShifts(
  previous: StoredProbe | undefined,
  tests: readonly ({ readonly id: string } & Tally)[],
): NonNullable<ProbeResult["shifts"]> {
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
