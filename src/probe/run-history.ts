// What a probe reads from and writes to the history store: the shifts against the previous stored
// probe, the previous probe with the same settings (for --fail-on regression), the stored result,
// and the trend per test that `/probe history` shows. History trouble never fails a probe.

import type { ProbeHistory } from "./history-store.js";
import { findShifts, MEAN_SCORE_ID, settingsKey } from "./history-store.js";
import { errorText } from "./error-text.js";
import type { ProbeResult, ProbeSuite, TestHistory } from "./types.js";

/** What the runner needs of the history store (a stub will do in tests). */
export type ProbeHistoryStore = Pick<ProbeHistory, "record" | "previous" | "lastForTest"> & Partial<Pick<ProbeHistory, "previousMatching">>;

/** The result with its shifts and previous matching probe, after storing it; problems only warn. */
export function recordWithShifts(result: ProbeResult, history: ProbeHistoryStore | undefined, warn: (message: string) => void): ProbeResult {
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
    warn(`probe: reading the history failed: ${errorText(err)}`);
  }
  const full = { ...result, shifts, ...(previousRun ? { previousRun } : {}) };
  try {
    history.record(full);
  } catch (err) {
    warn(`probe: recording the history failed: ${errorText(err)}`);
  }
  return full;
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
