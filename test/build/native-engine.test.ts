// node-llama-cpp's addon built for this host (npm run build:native): the real build from the
// llama.cpp source node-llama-cpp ships (about 10 minutes on a fresh 2-core machine, then cached
// under ~/.cache/elyza-bot/node-llama-cpp), put where node-llama-cpp looks first, and the real
// engine running on it. What it is worth is measured by the bench, not here.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { hostAdvertisesAmx } from "../../src/build/amx-probe.js";
import { bundledLlamaCpp } from "../../src/build/llama-cpp-source.js";
import { ensureNativeEngine, findNativeEngine, installNativeEngines, type NativeEngineBuild } from "../../src/build/native-engine.js";
import { runSelfTest } from "../../src/build/native-self-test.js";
import { LlamaEngine } from "../../src/inference/engine.js";
import { LLAMA_SERVER_HOOK_TIMEOUT } from "../helpers/llama-server.js";
import { tinyModelPath } from "../helpers/test-model.js";

const SAMPLING = { temperature: 0.6, topP: 0.9, maxTokens: 8, seed: 3 };
const conversation = { systemPrompt: "あなたは誠実で優秀な日本人のアシスタントです。", turns: [{ role: "user" as const, text: "日本の首都は？" }] };

async function answerOnce(): Promise<{ binary: string; text: string }> {
  await using engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 1, contextSize: 256, batchSize: 256 });
  const result = await engine.generate({ conversation, sampling: SAMPLING });
  return { binary: engine.binary, text: result.text };
}

describe("node-llama-cpp built for this host", () => {
  let build: NativeEngineBuild;
  beforeAll(async () => {
    build = await ensureNativeEngine({ flavour: "cpu", log: (line) => process.stderr.write(`${line}\n`) });
  }, LLAMA_SERVER_HOOK_TIMEOUT);

  it("is built once into the cache, for this node-llama-cpp and its llama.cpp release, and the engine answers on it", async () => {
    const source = await bundledLlamaCpp();
    expect(build).toMatchObject({
      packageVersion: source.packageVersion,
      release: source.release,
      flavour: "cpu",
      folders: [`${process.platform}-${process.arch}`],
      // The build asked the AMX probe first where the CPU lists AMX (amx-probe.test.ts).
      amx: hostAdvertisesAmx() ? expect.stringMatching(/^(works|faults|untested)$/) : "absent",
    });
    expect(await findNativeEngine({ flavour: "cpu" })).toEqual(build);
    // Only what loading needs was kept, and the cloned source was removed after the build.
    expect(existsSync(path.join(build.root, "builds", build.folders[0]!, "Release", "llama-addon.node"))).toBe(true);
    expect(existsSync(path.join(source.packageRoot, "llama", "llama.cpp"))).toBe(false);
    const answer = await answerOnce();
    expect(answer.binary).toBe("native");
    expect(answer.text.length).toBeGreaterThan(0);
  });

  it("is put back from the cache when node-llama-cpp's localBuilds was emptied (npm ci), by the engine's own start", async () => {
    const source = await bundledLlamaCpp();
    const installed = path.join(source.packageRoot, "llama", "localBuilds", build.folders[0]!);
    const aside = `${installed}.aside-${process.pid}`;
    // A rename is atomic: another test file loading an engine meanwhile sees the build or no build.
    await rename(installed, aside);
    try {
      expect(existsSync(installed)).toBe(false);
      expect((await answerOnce()).binary).toBe("native");
      expect(existsSync(path.join(installed, "buildDone.status"))).toBe(true);
    } finally {
      await rm(aside, { recursive: true, force: true });
    }
  });

  it("passes the self-test: the throwaway process evaluates a Q8_0 model on this build", async () => {
    await ensureNativeEngine({ flavour: "cpu" }); // in place again after the test before
    const modelDirectory = mkdtempSync(path.join(os.tmpdir(), "elyza-self-test-"));
    try {
      const { verdict, exit } = await runSelfTest({ modelDirectory });
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(verdict).toBe("passes");
    } finally {
      await rm(modelDirectory, { recursive: true, force: true });
    }
  });

  it("changes nothing when no build is cached for this node-llama-cpp", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "elyza-native-"));
    expect(await findNativeEngine({ flavour: "cpu", cacheDirectory: empty })).toBeUndefined();
    expect(await installNativeEngines({ cacheDirectory: empty })).toEqual([]);
  });

  it("npm run build:native refuses an unknown flavour, naming it, with exit code 1", async () => {
    const cli = path.resolve("dist/build/native-engine-cli.js");
    const failed = await promisify(execFile)(process.execPath, [cli, "--flavour", "rocm"]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe('elyza-bot: --flavour must be cpu or cuda, not "rocm"\n');
  });
});
