// `elyza-bot backends` and `elyza-bot probe --backend` as a user runs them (the built bin in a
// subprocess), against the real llama-server on 127.0.0.1 and a backend that is down.

import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LlamaServerProcess } from "../../src/llama-server/process.js";
import { LLAMA_SERVER_HOOK_TIMEOUT, startTestLlamaServer } from "../helpers/llama-server.js";

const run = promisify(execFile);
const BIN = path.resolve("bin/elyza-bot.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-backends-cli-"));

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      cwd: dir,
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("elyza-bot backends / probe --backend", () => {
  let server: LlamaServerProcess;
  let configFile: string;

  beforeAll(async () => {
    server = await startTestLlamaServer({ parallel: 2 });
    configFile = path.join(dir, "backends.yaml");
    writeFileSync(
      configFile,
      [
        "engine:",
        "  threads: 1",
        "  parallel: 3",
        "  backends:",
        "    - { name: local, kind: in-process }",
        `    - { name: llama, kind: openai, baseUrl: "${server.url}/v1", model: test-model, slots: 2, apiKeyEnv: LLAMA_KEY }`,
        '    - { name: gone, kind: openai, baseUrl: "http://127.0.0.1:9/v1", model: other, slots: 1 }',
        "probe:",
        `  dataDirectory: ${JSON.stringify(path.join(dir, "data"))}`,
        "",
      ].join("\n"),
    );
  }, LLAMA_SERVER_HOOK_TIMEOUT);
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  it("lists every backend with its state, slots, use and latency", async () => {
    const json = await cli(["backends", "--config", configFile, "--json"], { LLAMA_KEY: "key-for-llama-server" });
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { name: string; state: string; slots: number; inUse: number | null; latencyMs: number | null; reason?: string }[];
    expect(rows.map((r) => [r.name, r.state, r.slots, r.inUse])).toEqual([
      ["local", "local", 3, null],
      ["llama", "up", 2, 0],
      ["gone", "down", 1, null],
    ]);
    expect(rows[1]!.latencyMs).toEqual(expect.any(Number));
    expect(rows[2]!.reason).toMatch(/^cannot reach GET http:\/\/127\.0\.0\.1:9\/v1\/models: /);
    expect(json.stdout).not.toContain("key-for-llama-server");

    const table = await cli(["backends", "--config", configFile], { LLAMA_KEY: "key-for-llama-server" });
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^name\s+kind\s+state\s+slots\s+in use\s+latency\s+model$/);
    expect(lines[2]).toMatch(/^llama\s+openai\s+up\s+2\s+0\s+\d+ ms\s+test-model @ http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it("says which variable is missing when a backend's key is not set", async () => {
    const result = await cli(["backends", "--config", configFile]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("elyza-bot: config error: engine.backends llama: apiKeyEnv names LLAMA_KEY, which is not set in the environment");
  });

  it("runs a probe against one backend", async () => {
    const result = await cli(["probe", "--config", configFile, "--backend", "llama", "--runs", "1", "--tests", "reading", "--json"], {
      LLAMA_KEY: "k-123456",
      MAX_NEW_TOKENS: "16",
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { model: string; tests: { id: string; total: number; results: { answer: string; tokens: number }[] }[] };
    expect(report.model).toBe("test-model");
    expect(report.tests.map((t) => [t.id, t.total])).toEqual([["reading", 1]]);
    expect(report.tests[0]!.results[0]!.tokens).toBe(16);

    const unknown = await cli(["probe", "--config", configFile, "--backend", "nope"], { LLAMA_KEY: "k" });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('elyza-bot: config error: no backend named "nope" in engine.backends (backends: local, llama, gone)');
  });
});
