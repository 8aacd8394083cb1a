// The command line as a user runs it: the built bin in a subprocess, on a generated model.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { tinyModelPath } from "../helpers/test-model.js";

const run = promisify(execFile);
const BIN = path.resolve("bin/elyza-bot.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-cli-"));
// One llama.cpp thread: on a busy 2-core machine two threads spin-wait on each other (platform notes).
const configFile = path.join(dir, "test.yaml");
writeFileSync(
  configFile,
  `engine:\n  threads: 1\n  contextSize: 2048\nprobe:\n  dataDirectory: ${JSON.stringify(path.join(dir, "data"))}\nlog:\n  level: warn\n`,
);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Outcome> {
  const child = run(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  try {
    const { stdout, stderr } = await child;
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

describe("elyza-bot make-test-model", () => {
  it("writes the same bytes for the same seed, other bytes for another", async () => {
    const a = path.join(dir, "a.gguf");
    const b = path.join(dir, "b.gguf");
    const c = path.join(dir, "c.gguf");
    expect((await cli(["make-test-model", a, "--seed", "5"])).code).toBe(0);
    expect((await cli(["make-test-model", b, "--seed", "5"])).code).toBe(0);
    expect((await cli(["make-test-model", c, "--seed", "6"])).code).toBe(0);
    const hash = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
    expect(hash(a)).toBe(hash(b));
    expect(hash(a)).not.toBe(hash(c));
    expect(readFileSync(a).subarray(0, 4).toString()).toBe("GGUF");
  });

  it("refuses an unknown shape, naming it", async () => {
    const r = await cli(["make-test-model", path.join(dir, "x.gguf"), "--shape", "huge"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown --shape "huge"/);
  });
});

describe("elyza-bot ask", () => {
  it("streams an answer to stdout and exits 0", async () => {
    const r = await cli(["ask", "--config", configFile, "--model", model, "--max-tokens", "16", "日本の首都は？"]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1);
  });

  it("--json prints text, stop reason, tokens, timings, the parallel sequences and the llama.cpp binary", async () => {
    const r = await cli(["ask", "--config", configFile, "--model", model, "--json", "--max-tokens", "12", "--seed", "3", "こんにちは"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ model: path.basename(model), stopReason: expect.stringMatching(/^(done|length)$/) });
    expect(out.completionTokens).toBeGreaterThan(0);
    expect(out.completionTokens).toBeLessThanOrEqual(12);
    expect(typeof out.text).toBe("string");
    const timings = out.timings as { queueMs: number; firstTokenMs: number; generationMs: number };
    expect(timings.generationMs).toBeGreaterThan(0);
    expect(timings.queueMs).toBeGreaterThanOrEqual(0);
    // Counted from submission: the wait is part of the first token's time.
    expect(timings.firstTokenMs).toBeGreaterThanOrEqual(timings.queueMs);
    expect(out.parallel).toBeGreaterThanOrEqual(1);
    expect(out.binary).toMatch(/^(native|prebuilt)$/);
  });

  it("a missing model exits non-zero with one line naming the path", async () => {
    const r = await cli(["ask", "x"], { env: { MODEL: "/nope" } });
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\/nope/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("a bad config value exits non-zero naming the key", async () => {
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, "sampling:\n  temperature: 5\n");
    const r = await cli(["ask", "--config", bad, "--model", model, "x"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^elyza-bot: config error: sampling\.temperature: must be at most 2/);
  });

  it("an unknown flag is a usage error naming the flag", async () => {
    const r = await cli(["ask", "--temprature", "1", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--temprature/);
  });
});

describe("elyza-bot start: a start-up error is one line on stderr", () => {
  it("in the terminal chat: the held log lines are dropped, stdout stays empty", async () => {
    const r = await cli(["start", "--console"], { env: { MODEL: "/nope.gguf" }, input: "" });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual(["elyza-bot: model file not found: /nope.gguf (check MODEL or --model)"]);
    expect(r.stdout).toBe("");
  });

  it("on the platforms: the log is on stdout, the error alone on stderr", async () => {
    const r = await cli(["start"], { env: { MODEL: "/nope.gguf", DISCORD_TOKEN: "not-a-real-token", PORT: "0" } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual(["elyza-bot: model file not found: /nope.gguf (check MODEL or --model)"]);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string });
    expect(events.map((e) => e.msg)).toContain("readiness: model loading");
  });
});

describe("elyza-bot probe", () => {
  it("--runs 2 --json yields the three ids with totals 2 (the random model fails them)", async () => {
    const transcript = path.join(dir, "transcript.md");
    const r = await cli(["probe", "--config", configFile, "--model", model, "--runs", "2", "--json", "--transcript", transcript], {
      env: { MAX_NEW_TOKENS: "64" },
    });
    expect(r.code).toBe(0);
    const md = readFileSync(transcript, "utf8");
    expect(md).toContain("サリーはボールを取り出そうとして最初にどこを探しますか");
    expect(md).toContain("モンティ・ホール問題");
    const out = JSON.parse(r.stdout) as {
      suite: string;
      model: string;
      runs: number;
      durationMs: number;
      tests: {
        id: string;
        title: string;
        passed: number;
        total: number;
        ci95: number[];
        baseline: { passed: number; total: number };
        results: { run: number; seed: number; pass: boolean; reason: string; answer: string; tokens: number }[];
      }[];
    };
    expect(out.suite).toBe("seed");
    expect(out.model).toBe(path.basename(model));
    expect(out.runs).toBe(2);
    expect(out.durationMs).toBeGreaterThan(0);
    expect(out.tests.map((t) => [t.id, t.title, t.total])).toEqual([
      ["theory-of-mind", "心のモデル", 2],
      ["reading", "国語の問題", 2],
      ["monty-hall", "モンティ・ホール問題", 2],
    ]);
    expect(out.tests.map((t) => t.baseline)).toEqual([
      { passed: 10, total: 10 },
      { passed: 10, total: 10 },
      { passed: 0, total: 10 },
    ]);
    const seeds = out.tests.flatMap((t) => t.results.map((x) => x.seed));
    expect(new Set(seeds).size).toBe(6);
    for (const t of out.tests) {
      expect(t.passed).toBe(t.results.filter((x) => x.pass).length);
      expect(t.ci95[0]).toBeGreaterThanOrEqual(0);
      expect(t.ci95[1]).toBeLessThanOrEqual(1);
      for (const x of t.results) expect(x.reason.length).toBeGreaterThan(0);
    }
  });

  it("--judge grades with the configured judge model (a second generated model, loaded on first use)", async () => {
    const judge = await tinyModelPath("tiny", 2);
    const judgeConfig = path.join(dir, "judge.yaml");
    writeFileSync(judgeConfig, readFileSync(configFile, "utf8").replace("probe:\n", `probe:\n  judgeModel: ${JSON.stringify(judge)}\n`));
    const r = await cli(["probe", "--config", judgeConfig, "--model", model, "--runs", "1", "--tests", "reading", "--judge", "--json"], {
      env: { MAX_NEW_TOKENS: "32" },
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { tests: { id: string; total: number; results: { pass: boolean; reason: string }[] }[] };
    expect(out.tests.map((t) => [t.id, t.total])).toEqual([["reading", 1]]);
    // A random-weight judge cannot produce a verdict: the run fails with that reason, never silently.
    expect(out.tests[0]!.results[0]).toMatchObject({ pass: false, reason: "judge returned no JSON verdict" });
  });

  it("an unknown suite exits non-zero with one line naming it", async () => {
    const r = await cli(["probe", "--config", configFile, "--model", model, "--suite", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/nope/);
  });
});

describe("elyza-bot grade", () => {
  it("grades stdin and prints one JSON line", async () => {
    const r = await cli(["grade", "--test", "theory-of-mind"], { input: "サリーは箱ではなく、かごを探します。" });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ test: "theory-of-mind", pass: true });
    const wrong = await cli(["grade", "--test", "theory-of-mind"], { input: "サリーはかごではなく箱を探します。" });
    expect(JSON.parse(wrong.stdout)).toMatchObject({ test: "theory-of-mind", pass: false });
  });

  it("an unknown test id exits non-zero naming it", async () => {
    const r = await cli(["grade", "--test", "nope"], { input: "x" });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/unknown test id "nope"/);
  });
});
