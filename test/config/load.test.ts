import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig, type LoadConfigInput } from "../../src/config/load.js";
import { packageRoot } from "../../src/config/paths.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** No real environment and no .env: every test states its inputs. */
function load(input: LoadConfigInput = {}) {
  return loadConfig({ env: {}, dotEnvFile: false, ...input });
}

function errorOf(input: LoadConfigInput): ConfigError {
  try {
    load(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message.startsWith("config error: ")).toBe(true);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  it("loads config/default.yaml from the package root, whatever the cwd", () => {
    const cwd = process.cwd();
    process.chdir(os.tmpdir());
    try {
      const config = load();
      expect(config.model.uri).toBe("hf:elyza/Llama-3-ELYZA-JP-8B-GGUF/Llama-3-ELYZA-JP-8B-q4_k_m.gguf");
      expect(config.sampling).toEqual({ temperature: 0.6, topP: 0.9, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 1200 });
      expect(config.systemPrompt).toBe("あなたは誠実で優秀な日本人のアシスタントです。特に指示が無い場合は、常に日本語で回答してください。");
      expect(config.engine).toEqual({
        gpu: "auto",
        threads: 0,
        parallel: "auto",
        contextSize: 4096,
        batchSize: 512,
        backends: [{ name: "local", kind: "in-process" }],
        backendChecks: { intervalMs: 10000, retryMinMs: 1000, retryMaxMs: 30000 },
      });
      expect(config.api).toEqual({ enabled: false, priority: "probe", modelId: "elyza-bot", maxBodyBytes: 1048576, maxConcurrent: 32 });
      expect(config.queue.timeouts).toEqual({ queueWaitMs: 300000, firstTokenMs: 120000, totalMs: 600000 });
      expect(config.probe.suite).toBe("seed");
      expect(config.http.port).toBe(3000);
      expect(config.log.level).toBe("info");
      // Paths in default.yaml are relative to the package root.
      expect(config.model.directory).toBe(path.join(packageRoot(), "models"));
      expect(config.probe.suitesDirectory).toBe(path.join(packageRoot(), "config", "probes"));
      expect(config.probe.dataDirectory).toBe(path.join(packageRoot(), "data"));
    } finally {
      process.chdir(cwd);
    }
  });

  it("accepts gpu: false (CPU only) from YAML", () => {
    expect(load({ configFile: file("cpu.yaml", "engine:\n  gpu: false\n") }).engine.gpu).toBe(false);
  });

  it("treats an empty or comment-only file as no overrides", () => {
    expect(load({ configFile: file("empty.yaml", "# nothing yet\n") }).sampling.maxTokens).toBe(1200);
  });
});

describe("precedence: default < file < environment < overrides", () => {
  const yaml = file("layers.yaml", "model:\n  uri: hf:someone/else/file.gguf\nsampling:\n  maxTokens: 500\n  temperature: 0.2\nhttp:\n  port: 4000\n");

  it("a file overrides only the keys it names", () => {
    const config = load({ configFile: yaml });
    expect(config.sampling).toEqual({ temperature: 0.2, topP: 0.9, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 500 });
    expect(config.model.uri).toBe("hf:someone/else/file.gguf");
    expect(config.http.port).toBe(4000);
  });

  it("the environment overrides the file", () => {
    const config = load({ configFile: yaml, env: { MODEL: "hf:env/model/x.gguf", MAX_NEW_TOKENS: "300", PORT: "5000" } });
    expect(config.model.uri).toBe("hf:env/model/x.gguf");
    expect(config.sampling.maxTokens).toBe(300);
    expect(config.sampling.temperature).toBe(0.2);
    expect(config.http.port).toBe(5000);
  });

  it("overrides (CLI flags) win over everything; undefined ones are ignored", () => {
    const config = load({
      configFile: yaml,
      env: { MODEL: "hf:env/model/x.gguf", MAX_NEW_TOKENS: "300" },
      overrides: { model: { uri: "hf:flag/model/y.gguf" }, sampling: { temperature: undefined } },
    });
    expect(config.model.uri).toBe("hf:flag/model/y.gguf");
    expect(config.sampling.maxTokens).toBe(300);
    expect(config.sampling.temperature).toBe(0.2);
  });

  it("blank environment variables count as unset", () => {
    expect(load({ env: { MODEL: "", MAX_NEW_TOKENS: " ", PORT: "" } }).sampling.maxTokens).toBe(1200);
  });

  it("lists are replaced, not appended", () => {
    const base = file("users.yaml", "access:\n  allowedUsers: [U1, U2]\n");
    expect(load({ configFile: base, overrides: { access: { allowedUsers: ["U3"] } } }).access.allowedUsers).toEqual(["U3"]);
  });

  it("relative paths: a file's against its directory, MODEL and flags against the cwd", () => {
    const sub = path.join(dir, "sub");
    mkdirSync(sub, { recursive: true });
    const nested = path.join(sub, "paths.yaml");
    writeFileSync(nested, "model:\n  uri: ./m.gguf\n  directory: ../store\nprobe:\n  suite: ./team.yaml\n");
    const fromFile = load({ configFile: nested });
    expect(fromFile.probe.suite).toBe(path.join(sub, "team.yaml"));
    expect(load({}).probe.suite).toBe("seed"); // a bare name stays a name
    expect(fromFile.model.uri).toBe(path.join(sub, "m.gguf"));
    expect(fromFile.model.directory).toBe(path.join(dir, "store"));
    expect(load({ env: { MODEL: "x/y.gguf" } }).model.uri).toBe(path.resolve("x/y.gguf"));
    expect(load({ overrides: { probe: { dataDirectory: "d" } } }).probe.dataDirectory).toBe(path.resolve("d"));
  });

  it("reads MODEL from a .env file when the environment lacks it; the environment wins", () => {
    const envFile = file("test.env", "# local settings\nMODEL=hf:dotenv/model/z.gguf\nMAX_NEW_TOKENS=77\n");
    expect(loadConfig({ env: {}, dotEnvFile: envFile }).model.uri).toBe("hf:dotenv/model/z.gguf");
    const both = loadConfig({ env: { MAX_NEW_TOKENS: "88" }, dotEnvFile: envFile });
    expect(both.sampling.maxTokens).toBe(88);
  });
});

describe("error messages name the key, the problem and where it came from", () => {
  it("out of range", () => {
    const e = errorOf({ configFile: file("hot.yaml", "sampling:\n  temperature: 5\n") });
    expect(e.message).toBe(`config error: sampling.temperature: must be at most 2 (got 5) [in ${path.join(dir, "hot.yaml")}]`);
  });

  it("the label is the file as the user gave it", () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      writeFileSync("my.yaml", "sampling:\n  temperature: 5\n");
      expect(errorOf({ configFile: "my.yaml" }).message).toBe("config error: sampling.temperature: must be at most 2 (got 5) [in my.yaml]");
    } finally {
      process.chdir(cwd);
    }
  });

  it("unknown key, with a suggestion", () => {
    const e = errorOf({ configFile: file("typo.yaml", "queue:\n  maxWaitng: 3\n") });
    expect(e.message).toMatch(/^config error: queue\.maxWaitng: unknown key \(did you mean maxWaiting\?\) \[in .*typo\.yaml\]$/);
  });

  it("unknown top-level key and unknown nested key", () => {
    const e = errorOf({ configFile: file("unknown.yaml", "colour: red\nqueue:\n  timeouts:\n    idleMs: 5\n") });
    expect(e.message).toContain("colour: unknown key");
    expect(e.message).toContain("queue.timeouts.idleMs: unknown key");
    expect(e.problems).toHaveLength(2);
  });

  it("wrong type", () => {
    expect(errorOf({ configFile: file("type.yaml", "sampling:\n  maxTokens: many\n") }).message).toContain(
      'sampling.maxTokens: must be a whole number (got "many")',
    );
    expect(errorOf({ configFile: file("type2.yaml", "engine:\n  threads: 1.5\n") }).message).toContain("engine.threads: must be a whole number (got 1.5)");
    expect(errorOf({ configFile: file("type3.yaml", "sampling: 5\n") }).message).toContain("sampling: must be a mapping of keys (got 5)");
    expect(errorOf({ configFile: file("type4.yaml", "access:\n  allowedUsers: U1\n") }).message).toContain('access.allowedUsers: must be a list (got "U1")');
    expect(errorOf({ configFile: file("type5.yaml", "queue:\n") }).message).toContain("queue: must be a mapping of keys (got an empty value)");
  });

  it("every range of the schema", () => {
    const cases: [string, string][] = [
      ["sampling:\n  temperature: -0.1\n", "sampling.temperature: must be at least 0 (got -0.1)"],
      ["sampling:\n  topP: 0\n", "sampling.topP: must be greater than 0 (got 0)"],
      ["sampling:\n  topP: 1.5\n", "sampling.topP: must be at most 1 (got 1.5)"],
      ["sampling:\n  maxTokens: 0\n", "sampling.maxTokens: must be at least 1 (got 0)"],
      ["sampling:\n  maxTokens: 9000\n", "sampling.maxTokens: must be at most 8192 (got 9000)"],
      ["sampling:\n  topK: -1\n", "sampling.topK: must be at least 0 (got -1)"],
      ["sampling:\n  minP: 1.5\n", "sampling.minP: must be at most 1 (got 1.5)"],
      ["sampling:\n  repeatPenalty: 0.9\n", "sampling.repeatPenalty: must be at least 1 (got 0.9)"],
      ["engine:\n  parallel: 65\n", "engine.parallel: must be at most 64 (got 65)"],
      ["engine:\n  parallel: 0\n", "engine.parallel: must be at least 1 (got 0)"],
      ["engine:\n  threads: 257\n", "engine.threads: must be at most 256 (got 257)"],
      ["engine:\n  threads: -1\n", "engine.threads: must be at least 0 (got -1)"],
      ["engine:\n  contextSize: 100\n", "engine.contextSize: must be at least 256 (got 100)"],
      ["engine:\n  contextSize: 200000\n", "engine.contextSize: must be at most 131072 (got 200000)"],
      ["queue:\n  timeouts:\n    totalMs: 0\n", "queue.timeouts.totalMs: must be greater than 0 (got 0)"],
      ["http:\n  port: 70000\n", "http.port: must be at most 65535 (got 70000)"],
      ["model:\n  uri: ''\n", "model.uri: must not be empty"],
      ["engine:\n  gpu: cuda2\n", 'engine.gpu: must be one of auto, cuda, vulkan, metal, false (got "cuda2")'],
      ["engine:\n  gpu: true\n", "engine.gpu: must be one of auto, cuda, vulkan, metal, false (got true)"],
      ["log:\n  level: loud\n", 'log.level: must be one of debug, info, warn, error, silent (got "loud")'],
      ["access:\n  allowedUsers: [U1, '']\n", "access.allowedUsers[1]: must not be empty"],
    ];
    for (const [i, [yaml, expected]] of cases.entries()) {
      expect(errorOf({ configFile: file(`range${i}.yaml`, yaml) }).message).toContain(expected);
    }
  });

  it("several problems on one line, joined with '; '", () => {
    const e = errorOf({ configFile: file("many.yaml", "sampling:\n  temperature: 5\n  topP: 2\n") });
    expect(e.message).toMatch(/^config error: sampling\.temperature: .*; sampling\.topP: /);
  });

  it("a long list of problems is cut", () => {
    const yaml = Array.from({ length: 8 }, (_, i) => `k${i}: 1`).join("\n");
    const e = errorOf({ configFile: file("lots.yaml", yaml) });
    expect(e.message).toContain("and 3 more problems");
  });

  it("a bad value from the environment names the variable", () => {
    expect(errorOf({ env: { MAX_NEW_TOKENS: "lots" } }).message).toBe('config error: MAX_NEW_TOKENS: must be a whole number (got "lots")');
    expect(errorOf({ env: { PORT: "80a" } }).message).toBe('config error: PORT: must be a whole number (got "80a")');
    expect(errorOf({ env: { MAX_NEW_TOKENS: "-5" } }).message).toContain("MAX_NEW_TOKENS: must be a whole number");
    expect(errorOf({ env: { MAX_NEW_TOKENS: "9000" } }).message).toBe(
      "config error: sampling.maxTokens: must be at most 8192 (got 9000) [from MAX_NEW_TOKENS]",
    );
    // 0 is not an error: any free port (tests run several bots at once).
    expect(load({ env: { PORT: "0" } }).http.port).toBe(0);
    expect(errorOf({ env: { PORT: "70000" } }).message).toBe("config error: http.port: must be at most 65535 (got 70000) [from PORT]");
  });

  it("a bad override says it came from the command line", () => {
    expect(errorOf({ overrides: { engine: { parallel: 0 } } }).message).toBe(
      "config error: engine.parallel: must be at least 1 (got 0) [from the command line]",
    );
  });

  it("a missing file", () => {
    expect(errorOf({ configFile: path.join(dir, "nope.yaml") }).message).toBe(`config error: cannot read ${path.join(dir, "nope.yaml")}: no such file`);
  });

  it("a directory instead of a file", () => {
    expect(errorOf({ configFile: dir }).message).toBe(`config error: cannot read ${dir}: is a directory, not a file`);
  });

  it("bad YAML names the file and the line", () => {
    const e = errorOf({ configFile: file("broken.yaml", "sampling:\n  temperature: 0.5\nqueue: [1, 2\nchat: 3\n") });
    expect(e.message).toMatch(/^config error: cannot parse .*broken\.yaml line 4, column 1: /);
    const dup = errorOf({ configFile: file("dup.yaml", "log:\n  level: info\nlog:\n  level: warn\n") });
    expect(dup.message).toMatch(/^config error: cannot parse .*dup\.yaml line 3, column 1: Map keys must be unique$/);
  });

  it("a YAML file that is not a mapping", () => {
    expect(errorOf({ configFile: file("list.yaml", "- a\n- b\n") }).message).toMatch(/list\.yaml: must be a mapping of settings \(key: value\), got a list$/);
  });

  it("a malformed .env names the line but never its content", () => {
    const envFile = file("broken.env", "MODEL=x\nthis line is wrong xoxb-123456789\n");
    const e = errorOf({ dotEnvFile: envFile });
    expect(e.message).toBe(`config error: ${envFile} line 2: expected KEY=VALUE`);
    expect(e.message).not.toContain("xoxb");
  });
});
