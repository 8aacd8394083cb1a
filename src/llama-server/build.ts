// Builds llama.cpp's own `llama-server` from the source node-llama-cpp ships (a git bundle of the
// exact llama.cpp release its binaries were made from), once per release and flavour, into the
// user's cache directory. It is the anchor the bench measures against and a real OpenAI-compatible
// backend for tests; nothing is downloaded (the bundle is inside node_modules). Measured here: about
// 10 minutes on 2 cores, so a finished build is never redone, and concurrent callers (a test file
// and the bench, two CI steps) wait on one lock instead of building twice.

import { mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { amxStampLine, buildEnvFor, probeAmx, stampFileUsable } from "../build/amx-probe.js";
import { buildLock } from "../build/build-lock.js";
import { bundledLlamaCpp, cacheDirectoryFor, detectFlavour, type BuildFlavour } from "../build/llama-cpp-source.js";
import { loggedRun } from "../build/logged-run.js";

export type LlamaServerFlavour = BuildFlavour;

export interface LlamaServerBuild {
  /** The llama.cpp release tag, e.g. "v0.4.0". */
  readonly release: string;
  readonly flavour: LlamaServerFlavour;
  /** Absolute path of the `llama-server` executable (shared libraries beside it). */
  readonly serverPath: string;
  /** `llama-batched-bench`, built alongside. */
  readonly batchedBenchPath: string;
}

export interface BuildOptions {
  /** Default: CUDA when `nvcc` is on PATH and an NVIDIA device is present, else CPU. */
  readonly flavour?: LlamaServerFlavour;
  /** Default: $XDG_CACHE_HOME or ~/.cache, then elyza-bot/llama-server. */
  readonly cacheDirectory?: string;
  /** Progress lines (the build's own output goes to a log file in the cache). */
  readonly log?: (line: string) => void;
  /** Parallel compile jobs; default: the number of CPUs. */
  readonly jobs?: number;
}

const TARGETS = ["llama-server", "llama-batched-bench"] as const;

export function defaultCacheDirectory(): string {
  return cacheDirectoryFor("llama-server");
}

/** The cached build if it is there, else undefined (never builds). */
export async function findLlamaServer(options: Omit<BuildOptions, "log" | "jobs"> = {}): Promise<LlamaServerBuild | undefined> {
  const { release } = await bundledLlamaCpp();
  const build = buildPaths(release, options.flavour ?? detectFlavour(), options.cacheDirectory ?? defaultCacheDirectory());
  return (await stampFileUsable(build.stamp)) ? build.result : undefined;
}

/** The cached build, building it first when missing. */
export async function ensureLlamaServer(options: BuildOptions = {}): Promise<LlamaServerBuild> {
  const { bundle, release } = await bundledLlamaCpp();
  const flavour = options.flavour ?? detectFlavour();
  const paths = buildPaths(release, flavour, options.cacheDirectory ?? defaultCacheDirectory());
  if (await stampFileUsable(paths.stamp)) return paths.result;
  await mkdir(paths.root, { recursive: true });
  const unlock = await buildLock(paths.lock, "llama-server", options.log);
  try {
    if (await stampFileUsable(paths.stamp)) return paths.result; // built by whoever held the lock
    await build(bundle, release, flavour, paths, options);
    return paths.result;
  } finally {
    await unlock();
  }
}

function buildPaths(release: string, flavour: LlamaServerFlavour, cacheDirectory: string) {
  const root = path.join(cacheDirectory, `${release}-${flavour}`);
  const bin = path.join(root, "bin");
  return {
    root,
    bin,
    lock: path.join(root, ".lock"),
    stamp: path.join(root, "bin", ".complete"),
    result: {
      release,
      flavour,
      serverPath: path.join(bin, "llama-server"),
      batchedBenchPath: path.join(bin, "llama-batched-bench"),
    } satisfies LlamaServerBuild,
  };
}

async function build(bundle: string, release: string, flavour: LlamaServerFlavour, paths: ReturnType<typeof buildPaths>, options: BuildOptions): Promise<void> {
  const log = options.log ?? (() => {});
  const work = path.join(paths.root, "work");
  const logPath = path.join(paths.root, "build.log");
  await rm(work, { recursive: true, force: true });
  await rm(paths.bin, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const logFile = await open(logPath, "w");
  const run = loggedRun(logFile, logPath);
  try {
    const source = path.join(work, "llama.cpp");
    log(`llama-server: building llama.cpp ${release} (${flavour}) from node-llama-cpp's source bundle; this takes about 10 minutes on 2 cores, once`);
    await run("git", ["clone", "-q", bundle, source], work);
    const cmakeArgs = [
      "-B",
      "build",
      "-DCMAKE_BUILD_TYPE=Release",
      "-DGGML_NATIVE=ON",
      "-DLLAMA_CURL=OFF",
      "-DLLAMA_BUILD_TESTS=OFF",
      "-DLLAMA_BUILD_EXAMPLES=ON",
      // RUNPATH $ORIGIN: the binaries find their shared libraries beside them after the move to bin/.
      "-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON",
      ...(flavour === "cuda" ? ["-DGGML_CUDA=ON"] : []),
    ];
    // The same question a node-llama-cpp build asks (build/amx-probe.ts): no AMX where it faults.
    const amx = await probeAmx();
    if (amx === "faults") log("llama-server: this CPU lists AMX but its tile instructions fault here; building without AMX");
    await run("cmake", cmakeArgs, source, buildEnvFor(amx, process.env));
    const jobs = String(options.jobs ?? Math.max(1, os.availableParallelism()));
    await run("cmake", ["--build", "build", "-j", jobs, "--target", ...TARGETS], source);
    // The binaries load ggml's shared libraries from their own folder.
    const built = path.join(source, "build", "bin");
    const staging = `${paths.bin}.tmp`;
    await rm(staging, { recursive: true, force: true });
    await rename(built, staging);
    await rename(staging, paths.bin);
    await writeFile(paths.stamp, `${release} ${flavour} ${new Date().toISOString()}\n${amxStampLine(amx)}\n`);
    log(`llama-server: built ${paths.result.serverPath}`);
  } finally {
    await logFile.close();
    await rm(work, { recursive: true, force: true });
  }
}
