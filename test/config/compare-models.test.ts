import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";

describe("probe.compareModels", () => {
  it("defaults to none; local paths resolve against the config file, hf: URIs stay; bad names are refused", () => {
    expect(loadConfig({ env: {}, dotEnvFile: false }).probe.compareModels).toEqual({});
    const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-compare-"));
    const file = path.join(dir, "c.yaml");
    writeFileSync(file, 'probe:\n  compareModels:\n    q8: ./models/q8.gguf\n    hub: "hf:elyza/Llama-3-ELYZA-JP-8B-GGUF/Llama-3-ELYZA-JP-8B-q8_0.gguf"\n');
    expect(loadConfig({ configFile: file, env: {}, dotEnvFile: false }).probe.compareModels).toEqual({
      q8: path.join(dir, "models", "q8.gguf"),
      hub: "hf:elyza/Llama-3-ELYZA-JP-8B-GGUF/Llama-3-ELYZA-JP-8B-q8_0.gguf",
    });
    writeFileSync(file, "probe:\n  compareModels:\n    ../x: a.gguf\n");
    expect(() => loadConfig({ configFile: file, env: {}, dotEnvFile: false })).toThrow(/compareModels/);
  });
});
