import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InferenceQueue } from "../../src/inference/queue.js";
import { findShifts, HISTORY_SCHEMA_VERSION, ProbeHistory } from "../../src/probe/history-store.js";
import { ProbeRunner } from "../../src/probe/runner.js";
import type { ProbeResult, ProbeSuite, RunResult, TestResult } from "../../src/probe/types.js";
import { ScriptedEngine } from "../helpers/scripted-engine.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-history-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function runs(passes: boolean[]): RunResult[] {
  return passes.map((pass, i) => ({
    run: i + 1,
    seed: 1000 + i,
    pass,
    reason: pass ? "正解" : "不正解",
    answer: `答え${i + 1}`,
    tokens: 10 + i,
    durationMs: 100,
    stopReason: "done",
  }));
}

function test(id: string, title: string, passes: boolean[]): TestResult {
  const passed = passes.filter(Boolean).length;
  return { id, title, passed, total: passes.length, ci95: [0, 1], results: runs(passes) };
}

function result(over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    suite: "seed",
    model: "elyza-q4.gguf",
    modelHash: "deadbeef",
    runs: 3,
    startedAt: "2024-07-01T00:00:00.000Z",
    durationMs: 1234,
    tokensPerSecond: 12.5,
    cancelled: false,
    settings: { temperature: 0.6, topP: 0.9, maxTokens: 1200, grading: "rule", baseSeed: 7 },
    tests: [test("theory-of-mind", "心のモデル", [true, true, true]), test("monty-hall", "モンティ・ホール問題", [false, true, false])],
    ...over,
  };
}

describe("ProbeHistory", () => {
  it("creates the directory and a versioned WAL database, and reads back what it stored after reopening", async () => {
    const dataDir = path.join(dir, "nested", "data");
    const history = new ProbeHistory(dataDir);
    const id1 = history.record(result());
    const id2 = history.record(
      result({ startedAt: "2024-07-02T00:00:00.000Z", model: "elyza-q8.gguf", tests: [test("theory-of-mind", "心のモデル", [true, false, true])] }),
    );
    expect(id2).toBeGreaterThan(id1);
    await history[Symbol.asyncDispose]();

    const db = new Database(path.join(dataDir, "probe-history.sqlite"), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(HISTORY_SCHEMA_VERSION);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(
      db.prepare("SELECT seed, pass, reason, answer, tokens, duration_ms FROM runs WHERE probe_id = ? AND test_id = ? AND run = 2").get(id1, "monty-hall"),
    ).toEqual({
      seed: 1001,
      pass: 1,
      reason: "正解",
      answer: "答え2",
      tokens: 11,
      duration_ms: 100,
    });
    db.close();

    const reopened = new ProbeHistory(dataDir);
    expect(reopened.lastForTest("seed", "theory-of-mind", 10)).toEqual([
      { probeId: id1, startedAt: "2024-07-01T00:00:00.000Z", model: "elyza-q4.gguf", passed: 3, total: 3 },
      { probeId: id2, startedAt: "2024-07-02T00:00:00.000Z", model: "elyza-q8.gguf", passed: 2, total: 3 },
    ]);
    expect(reopened.lastForTest("seed", "theory-of-mind", 1).map((p) => p.probeId)).toEqual([id2]);
    expect(reopened.lastForTest("other", "theory-of-mind", 5)).toEqual([]);
    const previous = reopened.previous("seed");
    expect(previous).toMatchObject({
      id: id2,
      model: "elyza-q8.gguf",
      modelHash: "deadbeef",
      durationMs: 1234,
      cancelled: false,
      tests: [{ id: "theory-of-mind", passed: 2, total: 3 }],
    });
    expect(previous?.settings).toMatchObject({ temperature: 0.6, baseSeed: 7, runs: 3, tokensPerSecond: 12.5 });
    await reopened[Symbol.asyncDispose]();
  });

  it("keeps cancelled probes out of trends and comparisons", async () => {
    const history = new ProbeHistory(dir);
    const kept = history.record(result());
    history.record(result({ cancelled: true, tests: [test("theory-of-mind", "心のモデル", [false])] }));
    expect(history.previous("seed")?.id).toBe(kept);
    expect(history.lastForTest("seed", "theory-of-mind", 5).map((p) => p.probeId)).toEqual([kept]);
    expect(history.previous("nothing")).toBeUndefined();
    await history[Symbol.asyncDispose]();
  });

  it("refuses a database from a newer build", async () => {
    const file = path.join(dir, "probe-history.sqlite");
    const db = new Database(file);
    db.pragma("user_version = 99");
    db.close();
    expect(() => new ProbeHistory(dir)).toThrow(/schema version 99, newer than this elyza-bot knows \(2\)/);
  });

  it("finds tests whose new rate lies outside the previous interval", async () => {
    const history = new ProbeHistory(dir);
    history.record(result({ tests: [test("a", "A", Array(10).fill(true)), test("b", "B", Array(10).fill(false))] }));
    const previous = history.previous("seed");
    await history[Symbol.asyncDispose]();
    expect(
      findShifts(previous, [
        { id: "a", passed: 7, total: 10 },
        { id: "b", passed: 2, total: 10 },
        { id: "new", passed: 0, total: 10 },
      ]),
    ).toEqual([{ id: "a", previous: { passed: 10, total: 10 }, previousCi95: [0.722, 1] }]);
    expect(findShifts(undefined, [{ id: "a", passed: 0, total: 10 }])).toEqual([]);
  });
});

describe("ProbeRunner with a real history", () => {
  const suite: ProbeSuite = {
    name: "seed",
    systemPrompt: "sys",
    runs: 10,
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: 100 },
    grading: "rule",
    tests: [
      { id: "reading", title: "国語の問題", prompt: "Q:reading", reference: "①", grader: { kind: "rule", rule: "reading" } },
      { id: "monty-hall", title: "モンティ・ホール問題", prompt: "Q:monty", reference: "2/3", grader: { kind: "rule", rule: "monty-hall" } },
    ],
  };

  it("records every probe and flags a tally that moved outside the previous interval", async () => {
    let readingPasses = true;
    const engine = new ScriptedEngine(4, (o) => {
      const q = o.conversation.turns.at(-1)?.text;
      return { chunks: [q === "Q:reading" && readingPasses ? "ok" : "ng"] };
    });
    const queue = new InferenceQueue(engine, {
      sampling: suite.sampling,
      maxWaiting: 100,
      maxPerUser: 100,
      timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 60_000 },
    });
    const history = new ProbeHistory(dir);
    const runner = new ProbeRunner({
      queue,
      loadSuite: () => suite,
      grade: async (_t, answer) => ({ pass: answer === "ok", reason: answer }),
      modelName: "m.gguf",
      defaultSuite: "seed",
      history,
    });

    const first = await runner.run({}, "u").result;
    expect(first.shifts).toEqual([]);
    readingPasses = false;
    const second = await runner.run({}, "u").result;
    expect(second.shifts).toEqual([{ id: "reading", previous: { passed: 10, total: 10 }, previousCi95: [0.722, 1] }]);

    // history() reads the trend per test of the suite, oldest first.
    const trend = runner.history(undefined, 5);
    expect(trend.map((t) => [t.id, t.title, t.points.map((p) => `${p.passed}/${p.total}`)])).toEqual([
      ["reading", "国語の問題", ["10/10", "0/10"]],
      ["monty-hall", "モンティ・ホール問題", ["0/10", "0/10"]],
    ]);
    await history[Symbol.asyncDispose]();

    // Everything survived in the file: seeds and answers of the second probe.
    const reopened = new ProbeHistory(dir);
    expect(reopened.lastForTest("seed", "reading", 1)[0]).toMatchObject({ passed: 0, total: 10, model: "m.gguf" });
    await reopened[Symbol.asyncDispose]();
  });
});

describe("ProbeHistory schema v2", () => {
  it("migrates a version 1 database in place, keeping its probes, and finds the last probe with the same settings", async () => {
    const file = path.join(dir, "probe-history.sqlite");
    const v1 = new Database(file);
    v1.exec(`
      CREATE TABLE probes (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, suite TEXT NOT NULL, model TEXT NOT NULL,
        model_hash TEXT, settings TEXT NOT NULL, duration_ms INTEGER NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX probes_by_suite ON probes (suite, id);
      CREATE TABLE runs (probe_id INTEGER NOT NULL REFERENCES probes (id) ON DELETE CASCADE, test_id TEXT NOT NULL, run INTEGER NOT NULL,
        seed INTEGER NOT NULL, pass INTEGER NOT NULL, reason TEXT NOT NULL, answer TEXT NOT NULL, tokens INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL, stop_reason TEXT, PRIMARY KEY (probe_id, test_id, run));
      INSERT INTO probes VALUES (1, '2024-06-01T00:00:00.000Z', 'seed', 'old.gguf', NULL, '{"temperature":0.6,"topP":0.9,"maxTokens":1200,"grading":"rule"}', 5, 0);
      INSERT INTO runs VALUES (1, 'theory-of-mind', 1, 11, 1, 'ok', 'a', 3, 1, 'done');
      INSERT INTO runs VALUES (1, 'theory-of-mind', 2, 12, 0, 'ng', 'b', 3, 1, 'done');
    `);
    v1.pragma("user_version = 1");
    v1.close();

    const history = new ProbeHistory(dir);
    try {
      expect(HISTORY_SCHEMA_VERSION).toBe(2);
      expect(history.lastForTest("seed", "theory-of-mind", 5)).toMatchObject([{ probeId: 1, model: "old.gguf", passed: 1, total: 2 }]);
      history.record(result({ settings: { temperature: 0, topP: 0.9, maxTokens: 1200, grading: "rule" } }));
      const key = (temperature: number) => JSON.stringify([temperature, 0.9, 1200, "rule", null]);
      expect(history.previousMatching("seed", key(0.6))).toMatchObject({ id: 1, model: "old.gguf", tests: [{ id: "theory-of-mind", passed: 1, total: 2 }] });
      expect(history.previousMatching("seed", key(0))?.id).toBe(2);
      expect(history.previousMatching("seed", key(1))).toBeUndefined();
    } finally {
      await history[Symbol.asyncDispose]();
    }
  });
});
