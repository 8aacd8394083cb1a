// The self-test a build made on this host passes before it is used where the CPU lists AMX: the
// verdict read from how a real child process ends (a real SIGILL included), kept beside the cached
// build, and a build that crashed taken back out of node-llama-cpp's local builds and not installed
// again. The real child on the real engine is run in native-engine.test.ts, where a build exists.

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amxStampLine } from "../../src/build/amx-probe.js";
import { installedNodeLlamaCpp } from "../../src/build/llama-cpp-source.js";
import { checkedOnThisHost, findNativeEngine, type NativeEngineBuild } from "../../src/build/native-engine.js";
import { recordedVerdict, recordVerdict, runSelfTest, verdictOf } from "../../src/build/native-self-test.js";

let dir: string;
let crashing: string;
let onPrebuilt: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "native-self-test-"));
  crashing = path.join(dir, "crashing.mjs");
  await writeFile(crashing, 'process.kill(process.pid, "SIGILL");\n');
  onPrebuilt = path.join(dir, "prebuilt.mjs");
  await writeFile(onPrebuilt, 'process.stdout.write(JSON.stringify({ binary: "prebuilt" }) + "\\n");\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the verdict", () => {
  it("is read from how the child ended and which binary it ran", () => {
    expect(verdictOf({ code: 0, signal: null, output: '{"binary":"localBuild"}\n' })).toBe("passes");
    expect(verdictOf({ code: null, signal: "SIGILL", output: "" })).toBe("crashes");
    expect(verdictOf({ code: null, signal: "SIGSEGV", output: "" })).toBe("crashes");
    expect(verdictOf({ code: 0, signal: null, output: '{"binary":"prebuilt"}\n' })).toBe("unknown");
    expect(verdictOf({ code: 1, signal: null, output: "" })).toBe("unknown");
  });

  it("comes from a real child process: a SIGILL is a crash, an answer on the prebuilt binary says nothing of the build", async () => {
    expect((await runSelfTest({ modelDirectory: dir, childScript: crashing })).verdict).toBe("crashes");
    expect((await runSelfTest({ modelDirectory: dir, childScript: onPrebuilt })).verdict).toBe("unknown");
    expect((await runSelfTest({ modelDirectory: dir, childScript: path.join(dir, "missing.mjs") })).verdict).toBe("unknown");
  });

  it("is kept when definite, and only then", async () => {
    const root = path.join(dir, "kept");
    await mkdir(root, { recursive: true });
    expect(await recordedVerdict(root)).toBeUndefined();
    await recordVerdict(root, "unknown");
    expect(await recordedVerdict(root)).toBeUndefined();
    await recordVerdict(root, "passes");
    expect(await recordedVerdict(root)).toBe("passes");
  });
});

describe("a build that crashes on this host", () => {
  async function fakeBuild(
    name: string,
  ): Promise<{ source: { packageRoot: string; packageVersion: string; release: string }; build: NativeEngineBuild; installed: string }> {
    const packageRoot = path.join(dir, name, "node-llama-cpp");
    const installed = path.join(packageRoot, "llama", "localBuilds", "linux-x64");
    await mkdir(installed, { recursive: true });
    await writeFile(path.join(installed, "buildDone.status"), "done\n");
    const root = path.join(dir, name, "cache-entry");
    await mkdir(root, { recursive: true });
    const build: NativeEngineBuild = { packageVersion: "3.21.1", release: "v0.4.0", flavour: "cpu", folders: ["linux-x64"], root, amx: "faults" };
    return { source: { packageRoot, packageVersion: "3.21.1", release: "v0.4.0" }, build, installed };
  }

  it("is taken out of node-llama-cpp's local builds, once, and said so", async () => {
    const { source, build, installed } = await fakeBuild("crashes");
    const lines: string[] = [];
    expect(await checkedOnThisHost(source, build, (line) => lines.push(line), { cpuAdvertisesAmx: true, childScript: crashing })).toBe(false);
    expect(existsSync(installed)).toBe(false);
    expect(await recordedVerdict(build.root)).toBe("crashes");
    expect(lines).toEqual([expect.stringContaining("crashed evaluating a Q8_0 model on this host; using the prebuilt binary")]);
    // The kept verdict answers the next start without a child (one that would not crash is not run).
    expect(await checkedOnThisHost(source, build, () => {}, { cpuAdvertisesAmx: true, childScript: onPrebuilt })).toBe(false);
  });

  it("is kept, and said so, when the self-test cannot decide; it is asked again at the next start", async () => {
    const { source, build, installed } = await fakeBuild("unknown");
    const lines: string[] = [];
    expect(await checkedOnThisHost(source, build, (line) => lines.push(line), { cpuAdvertisesAmx: true, childScript: onPrebuilt })).toBe(true);
    expect(existsSync(installed)).toBe(true);
    expect(await recordedVerdict(build.root)).toBeUndefined();
    expect(lines).toEqual([
      expect.stringMatching(/could not self-test the build in .* \(it did not load this build\); using it, and asking again at the next start$/),
    ]);
  });

  it("is not tested, nor taken out, where the CPU lists no AMX", async () => {
    const { source, build, installed } = await fakeBuild("no-amx");
    expect(await checkedOnThisHost(source, build, () => {}, { cpuAdvertisesAmx: false, childScript: crashing })).toBe(true);
    expect(existsSync(installed)).toBe(true);
    expect(await recordedVerdict(build.root)).toBeUndefined();
  });

  it("is not found in the cache again", async () => {
    const node = await installedNodeLlamaCpp();
    const cacheDirectory = path.join(dir, "cache");
    const entry = path.join(cacheDirectory, `${node.packageVersion}-${node.release}-cpu`);
    await mkdir(path.join(entry, "builds", "linux-x64"), { recursive: true });
    await writeFile(
      path.join(entry, "builds", ".complete"),
      `${node.packageVersion} ${node.release} cpu 2026-12-02T00:00:00.000Z\n${amxStampLine("faults")}\n`,
    );
    expect(await findNativeEngine({ cacheDirectory, flavour: "cpu" })).toMatchObject({ root: entry, amx: "faults" });
    await recordVerdict(entry, "crashes");
    expect(await findNativeEngine({ cacheDirectory, flavour: "cpu" })).toBeUndefined();
  });
});
