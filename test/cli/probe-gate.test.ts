// `elyza-bot probe` as a CI job runs it: the built bin in a subprocess on generated models, with
// a stored history that the new model does or does not fall below (exit 100 / 0), JUnit XML read
// back with a real XML parser, an A/B probe, the history chart and the dataset suite.

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { XMLParser } from "fast-xml-parser";
import { PNG } from "pngjs";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { ProbeHistory } from "../../src/probe/history-store.js";
import { chartSize } from "../../src/probe/report/chart.js";
import type { ProbeResult } from "../../src/probe/types.js";
import { tinyModelPath } from "../helpers/test-model.js";

const run = promisify(execFile);
const BIN = path.resolve("bin/elyza-bot.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-cli-gate-"));
const SEED = parseYaml(readFileSync(path.resolve("config/probes/seed.yaml"), "utf8")) as { systemPrompt: string };
const MAX_NEW_TOKENS = "48";

function config(name: string, extra = ""): { file: string; data: string } {
  const data = path.join(dir, name, "data");
  mkdirSync(data, { recursive: true });
  const file = path.join(dir, name, "config.yaml");
  writeFileSync(
    file,
    `engine:\n  threads: 1\n  contextSize: 4096\nmodel:\n  directory: ${JSON.stringify(path.join(dir, "models"))}\nprobe:\n  dataDirectory: ${JSON.stringify(data)}\n  suitesDirectory: ${JSON.stringify(path.resolve("config/probes"))}\n${extra}log:\n  level: warn\n`,
  );
  return { file, data };
}

/** A stored probe of the seed suite at the settings the CLI will run with (any model). */
async function store(data: string, passed: number): Promise<void> {
  const tests = ["theory-of-mind", "reading", "monty-hall"].map((id) => ({
    id,
    title: id,
    passed,
    total: 10,
    ci95: [0, 1] as [number, number],
    results: Array.from({ length: 10 }, (_, i) => ({
      run: i + 1,
      seed: i,
      pass: i < passed,
      reason: "stored",
      answer: "",
      tokens: 1,
      durationMs: 1,
      stopReason: "done",
    })),
  }));
  const result: ProbeResult = {
    suite: "seed",
    model: "old.gguf",
    runs: 10,
    startedAt: "2026-11-30T00:00:00.000Z",
    durationMs: 1,
    tokensPerSecond: 1,
    cancelled: false,
    settings: { temperature: 0.6, topP: 0.9, maxTokens: Number(MAX_NEW_TOKENS), grading: "rule", systemPrompt: SEED.systemPrompt },
    tests,
  };
  const history = new ProbeHistory(data);
  history.record(result);
  await history[Symbol.asyncDispose]();
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MAX_NEW_TOKENS, ...env },
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

let model: string;
beforeAll(async () => {
  model = await tinyModelPath();
});

describe("elyza-bot probe --fail-on", () => {
  it("regression: exit 100 with the failing tests on stderr after a real drop, and JUnit XML with them", async () => {
    const { file, data } = config("drop");
    await store(data, 10);
    const junit = path.join(dir, "drop", "report.xml");
    const r = await cli(["probe", "--config", file, "--model", model, "--runs", "2", "--fail-on", "regression", "--junit", junit]);
    expect(r.code).toBe(100);
    expect(r.stderr).toContain(
      "gate --fail-on regression failed for 3 tests (against probe #1 of 2026-11-30T00:00:00.000Z (old.gguf) with the same settings):",
    );
    expect(r.stderr).toMatch(/ {2}theory-of-mind 心のモデル: 0\/2 against the previous run's 10\/10 \(95% CI 72–100%\): below the interval/);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testcase" || n === "property" }).parse(
      readFileSync(junit, "utf8"),
    ) as {
      testsuites: { testsuite: { tests: string; failures: string; testcase: { name: string; failure?: { message: string; "#text": string } }[] } };
    };
    const suite = doc.testsuites.testsuite;
    expect([suite.tests, suite.failures]).toEqual(["3", "3"]);
    expect(suite.testcase.map((c) => c.name)).toEqual(["theory-of-mind 心のモデル", "reading 国語の問題", "monty-hall モンティ・ホール問題"]);
    for (const c of suite.testcase) {
      expect(c.failure!.message).toContain("below the interval");
      expect(c.failure!["#text"].split("\n")).toHaveLength(2);
    }
  });

  it("regression: exit 0 when nothing fell below the stored run; baseline: exit 100 against the article", async () => {
    const { file, data } = config("steady");
    await store(data, 0);
    const ok = await cli(["probe", "--config", file, "--model", model, "--runs", "2", "--tests", "monty-hall", "--fail-on", "regression", "--json"]);
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout) as {
      gate: { mode: string; passed: boolean };
      previousRun: { model: string };
      tests: { id: string; passAll: boolean; passK: { k: number; estimate: number } }[];
    };
    expect(out.gate).toMatchObject({ mode: "regression", passed: true });
    expect(out.previousRun.model).toBe("old.gguf");
    expect(out.tests[0]).toMatchObject({ id: "monty-hall", passAll: false, passK: { k: 2, estimate: 0 } });
    expect(ok.stderr).toContain("gate --fail-on regression passed");

    const baseline = await cli(["probe", "--config", file, "--model", model, "--runs", "1", "--tests", "reading", "--fail-on", "baseline"]);
    expect(baseline.code).toBe(100);
    expect(baseline.stderr).toContain("reading 国語の問題: 0/1 against the baseline 10/10");
    const bad = await cli(["probe", "--config", file, "--model", model, "--fail-on", "maybe"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--fail-on must be regression, baseline, none");
  });
});

describe("elyza-bot probe --compare", () => {
  it("runs both generated models on the same seeds and adds compare to every test", async () => {
    const { file } = config("ab");
    const other = await tinyModelPath("tiny", 2);
    const r = await cli(["probe", "--config", file, "--model", model, "--compare", other, "--runs", "2", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      compare: { model: string };
      tests: {
        id: string;
        results: { seed: number }[];
        compare: { model: string; total: number; pValue: number; differenceCi95: number[]; results: { seed: number }[] };
      }[];
    };
    expect(out.compare.model).toBe(path.basename(other));
    expect(out.tests).toHaveLength(3);
    for (const t of out.tests) {
      expect(t.compare.total).toBe(2);
      expect(t.compare.results.map((x) => x.seed)).toEqual(t.results.map((x) => x.seed));
      expect(t.compare.pValue).toBeGreaterThan(0);
      expect(t.compare.differenceCi95[0]).toBeLessThanOrEqual(t.compare.differenceCi95[1]!);
    }
    const missing = await cli(["probe", "--config", file, "--model", model, "--compare", path.join(dir, "nope.gguf")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("model file not found");
  });
});

describe("elyza-bot probe history --png", () => {
  it("prints the trend and writes the chart", async () => {
    const { file, data } = config("chart");
    await store(data, 10);
    await store(data, 6);
    const png = path.join(dir, "chart", "history.png");
    const r = await cli(["probe", "history", "--config", file, "--png", png]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/心のモデル\s+10\/10 → 6\/10/);
    const image = PNG.sync.read(readFileSync(png));
    expect({ width: image.width, height: image.height }).toEqual(chartSize(3));
  });
});

describe("elyza-bot probe --suite elyza-tasks-100", () => {
  it("scores a local dataset file with the bot's own model as judge: a mean near 1, every row listed", async () => {
    const { file } = config("tasks");
    const r = await cli([
      "probe",
      "--config",
      file,
      "--model",
      model,
      "--suite",
      "elyza-tasks-100",
      "--dataset",
      path.resolve("test/fixtures/elyza-tasks-5.csv"),
      "--json",
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      dataset: { mean: number; scored: number; unscoredRows: number[]; reference: { score: number; judge: string }; judge: string };
      tests: { row: number }[];
    };
    expect(out.tests.map((t) => t.row)).toEqual([1, 2, 3, 4, 5]);
    expect(out.dataset.scored).toBe(5);
    expect(out.dataset.mean).toBeGreaterThanOrEqual(1);
    expect(out.dataset.mean).toBeLessThan(2);
    expect(out.dataset.reference).toMatchObject({ score: 3.655, judge: "GPT-4o" });
    expect(out.dataset.judge).toContain("the bot's own model");
    // Offline with no local copy (the hub: a closed port on 127.0.0.1): one line saying how to point it at a file.
    const offline = await cli(["probe", "--config", config("offline", "").file, "--model", model, "--suite", "elyza-tasks-100"], {
      MODEL_ENDPOINT: "http://127.0.0.1:9/",
    });
    expect(offline.code).toBe(1);
    expect(offline.stderr.trim().split("\n").at(-1)).toMatch(
      /could not download hf:datasets\/elyza\/ELYZA-tasks-100\/test.csv: 127.0.0.1:9 is unreachable .*set dataset.source in .*elyza-tasks-100.yaml \(or pass --dataset FILE\)/,
    );
  });
});
