// engine.backends, api and probe.judgeModel: backend:NAME in config files — what is accepted and the
// one-line errors for what is not.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openAiMember, selectBackends } from "../../src/app/backends.js";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";
import { loadSecrets, redact } from "../../src/config/secrets.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-backends-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ configFile: file, env: {}, dotEnvFile: false });
}

function errorOf(yaml: string): string {
  try {
    load(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    return message;
  }
  throw new Error("expected a ConfigError");
}

const TWO = `
engine:
  backends:
    - { name: local, kind: in-process }
    - name: gpu2
      kind: openai
      baseUrl: "http://127.0.0.1:8080/v1"
      model: elyza-8b
      slots: 4
      apiKeyEnv: GPU2_API_KEY
      headers: { X-Team: chat }
`;

describe("engine.backends", () => {
  it("takes an in-process engine and an OpenAI-compatible server, in order", () => {
    const config = load(TWO);
    expect(config.engine.backends).toEqual([
      { name: "local", kind: "in-process" },
      {
        name: "gpu2",
        kind: "openai",
        baseUrl: "http://127.0.0.1:8080/v1",
        model: "elyza-8b",
        slots: 4,
        apiKeyEnv: "GPU2_API_KEY",
        headers: { "X-Team": "chat" },
      },
    ]);
    expect(selectBackends(config, "gpu2").map((b) => b.name)).toEqual(["gpu2"]);
    expect(() => selectBackends(config, "gpu3")).toThrow('no backend named "gpu3" in engine.backends (backends: local, gpu2)');
  });

  it("names the key of a wrong entry", () => {
    expect(errorOf(TWO.replace("slots: 4", "slots: 0"))).toMatch(/engine\.backends\[1\]\.slots: must be at least 1/);
    expect(errorOf(TWO.replace("kind: openai", "kind: vllm"))).toMatch(/engine\.backends\[1\]/);
    expect(errorOf(TWO.replace("kind: openai", "kind: vllm"))).toMatch(/"in-process" or "openai"/);
    expect(errorOf(TWO.replace("      model: elyza-8b\n", ""))).toMatch(/engine\.backends\[1\]\.model: missing/);
    expect(errorOf(TWO.replace("slots: 4", "slots: 4\n      slot: 2"))).toMatch(/engine\.backends\[1\]\.slot: unknown key/);
    expect(errorOf(TWO.replace("name: gpu2", "name: local"))).toMatch(/engine\.backends\[1\]\.name: "local" is used by two backends/);
  });

  it("refuses an API key written into the config instead of a variable name, and credentials in the URL", () => {
    expect(errorOf(TWO.replace("apiKeyEnv: GPU2_API_KEY", "apiKeyEnv: sk-abc/def"))).toMatch(/apiKeyEnv: must be the NAME of an environment variable/);
    expect(errorOf(TWO.replace("http://127.0.0.1", "http://user:pw@127.0.0.1"))).toMatch(/baseUrl: must be an http:\/\/ or https:\/\/ URL without credentials/);
  });

  it("reads the key from the named variable, and says which variable is missing", () => {
    const backend = load(TWO).engine.backends[1]!;
    if (backend.kind !== "openai") throw new Error("expected the openai backend");
    expect(() => openAiMember(backend, {})).toThrow("engine.backends gpu2: apiKeyEnv names GPU2_API_KEY, which is not set in the environment");
    expect(openAiMember(backend, { GPU2_API_KEY: "secret-key-123" }).slots).toBe(4);
  });
});

describe("probe.judgeModel: backend:NAME", () => {
  it("names an openai backend, kept as written (not made a path)", () => {
    expect(load(`${TWO}probe:\n  judgeModel: backend:gpu2\n`).probe.judgeModel).toBe("backend:gpu2");
  });

  it("must name a configured backend other than the in-process one", () => {
    expect(errorOf(`${TWO}probe:\n  judgeModel: backend:big\n`)).toMatch(
      /probe\.judgeModel: names backend "big", which engine\.backends does not have \(backends: local, gpu2\)/,
    );
    expect(errorOf(`${TWO}probe:\n  judgeModel: backend:local\n`)).toMatch(/names the in-process backend "local": use null/);
  });
});

describe("api", () => {
  it("is off by default and refuses unknown priorities", () => {
    expect(load("").api.enabled).toBe(false);
    expect(errorOf("api:\n  priority: urgent\n")).toMatch(/api\.priority: must be one of interactive, probe/);
  });

  it("takes its tokens from ELYZA_API_TOKEN (several separated by commas), redacted from logs", () => {
    const secrets = loadSecrets({ ELYZA_API_TOKEN: "token-one-abc, token-two-def" }, { dotEnvFile: false });
    expect(secrets.apiTokens).toEqual(["token-one-abc", "token-two-def"]);
    expect(redact("got token-two-def", secrets)).toBe("got [redacted]");
    expect(loadSecrets({}, { dotEnvFile: false }).apiTokens).toBeUndefined();
  });
});
