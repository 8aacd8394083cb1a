// node-llama-cpp's addon built for this host from the llama.cpp source it ships. The prebuilt CPU
// binary is made to run on every x64 CPU: GGML_NATIVE off, ggml's own thread pool instead of OpenMP.
// Built on the host (node-llama-cpp's `source download`, which uses the bundled git release and
// turns GGML_NATIVE on and keeps OpenMP, the same flags our llama-server anchor is built with), the
// same queue decoded 8 parallel sequences on this 2-core EPYC at 1.01× llama-server's speed instead
// of 0.62× (npm run bench -- --against-llama-server, 2 threads; README "Benchmark").
//
// Built once per node-llama-cpp version, llama.cpp release and flavour (about 10 minutes on 2
// cores) into the user's cache, then copied into node_modules/node-llama-cpp/llama/localBuilds
// whenever it is missing there (npm ci empties it): node-llama-cpp looks there before its prebuilt
// binaries, and first tests that a build made on another machine runs on this one, falling back to
// the prebuilt binary if not. Without a cached build nothing changes: the prebuilt binary is used.
// Where the CPU lists AMX, a build asks amx-probe.ts first whether AMX runs here, and a cached build
// made before builds asked is not used (it may crash on quantized models there); and a build is used
// there only once it has evaluated a Q8_0 model in a throwaway process (native-self-test.ts).

import { existsSync } from "node:fs";
import { cp, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { amxOfStamp, amxStampLine, buildEnvFor, hostAdvertisesAmx, probeAmx, stampFileUsable, type AmxSupport } from "./amx-probe.js";
import { buildLock } from "./build-lock.js";
import {
  bundledLlamaCpp,
  cacheDirectoryFor,
  detectFlavour,
  installedNodeLlamaCpp,
  SourceBuildError,
  type BuildFlavour,
  type LlamaCppSource,
} from "./llama-cpp-source.js";
import { loggedRun } from "./logged-run.js";
import { clearVerdict, recordedVerdict, recordVerdict, runSelfTest } from "./native-self-test.js";

export type Installed = Omit<LlamaCppSource, "bundle">;

export interface NativeEngineOptions {
  /** Default: CUDA when `nvcc` is on PATH and an NVIDIA device is present, else CPU. */
  readonly flavour?: BuildFlavour;
  /** Default: $XDG_CACHE_HOME or ~/.cache, then elyza-bot/node-llama-cpp. */
  readonly cacheDirectory?: string;
  readonly log?: (line: string) => void;
}

export interface NativeEngineBuild {
  readonly packageVersion: string;
  readonly release: string;
  readonly flavour: BuildFlavour;
  /** node-llama-cpp's build folders (e.g. "linux-x64"), as cached. */
  readonly folders: readonly string[];
  /** The cache entry. */
  readonly root: string;
  /** What the AMX probe found before the build (amx-probe.ts); "faults" means built without AMX. */
  readonly amx: AmxSupport | undefined;
}

/** Where a build folder lives inside node-llama-cpp: the files it needs to load one. */
const BUILD_FILES = ["Release", "buildDone.status"] as const;

export function defaultNativeCacheDirectory(): string {
  return cacheDirectoryFor("node-llama-cpp");
}

/** The cached build for this node-llama-cpp, if there is one (never builds). */
export async function findNativeEngine(options: Omit<NativeEngineOptions, "log"> = {}): Promise<NativeEngineBuild | undefined> {
  return lookUp(await installedNodeLlamaCpp(), options.flavour ?? detectFlavour(), options);
}

/** The cached build, made first when missing, and installed into node-llama-cpp. */
export async function ensureNativeEngine(options: NativeEngineOptions = {}): Promise<NativeEngineBuild> {
  const source = await bundledLlamaCpp();
  const flavour = options.flavour ?? detectFlavour();
  const paths = cachePaths(source, flavour, options.cacheDirectory);
  if (!(await stampFileUsable(paths.stamp))) {
    await mkdir(paths.root, { recursive: true });
    const unlock = await buildLock(paths.lock, "node-llama-cpp", options.log);
    try {
      if (!(await stampFileUsable(paths.stamp))) await build(source, flavour, paths, options.log ?? (() => {}));
    } finally {
      await unlock();
    }
  }
  const result = await cached(source, flavour, paths);
  await install(source, result);
  if (!(await checkedOnThisHost(source, result, options.log ?? (() => {})))) {
    throw new SourceBuildError(
      `the build in ${paths.root} crashed evaluating a Q8_0 model on this host, so it is not used and the prebuilt binary runs; delete that folder to build again`,
      paths.log,
    );
  }
  return result;
}

/**
 * Copies every cached build of this node-llama-cpp (CPU, CUDA) into node-llama-cpp where it is
 * missing; what is installed there now. Cheap when it is already in place, as at every start.
 */
export async function installNativeEngines(options: Pick<NativeEngineOptions, "cacheDirectory" | "log"> = {}): Promise<NativeEngineBuild[]> {
  const source = await installedNodeLlamaCpp();
  const installed: NativeEngineBuild[] = [];
  for (const flavour of ["cpu", "cuda"] as const) {
    const found = await lookUp(source, flavour, options);
    if (!found) continue;
    await install(source, found);
    if (await checkedOnThisHost(source, found, options.log ?? (() => {}))) installed.push(found);
  }
  return installed;
}

/** What checkedOnThisHost asks of the host; tests set both. */
export interface HostCheck {
  /** Default: what /proc/cpuinfo lists. */
  readonly cpuAdvertisesAmx?: boolean;
  /** Default: the compiled child of native-self-test.ts. */
  readonly childScript?: string;
}

/**
 * Where the CPU lists AMX, the installed CPU build evaluates a Q8_0 model in a throwaway process
 * first (once per build: the verdict is kept); one that crashes is taken back out of node-llama-cpp.
 */
export async function checkedOnThisHost(source: Installed, build: NativeEngineBuild, log: (line: string) => void, host: HostCheck = {}): Promise<boolean> {
  if (build.flavour !== "cpu" || !(host.cpuAdvertisesAmx ?? hostAdvertisesAmx())) return true;
  let verdict = await recordedVerdict(build.root);
  if (verdict === undefined) {
    const tested = await runSelfTest({ modelDirectory: build.root, ...(host.childScript ? { childScript: host.childScript } : {}) });
    verdict = tested.verdict;
    await recordVerdict(build.root, verdict);
    if (verdict === "unknown") {
      const reason = tested.exit.errors?.trim().split("\n").at(-1) || (tested.exit.code === 0 ? "it did not load this build" : `exit code ${tested.exit.code}`);
      log(`node-llama-cpp: could not self-test the build in ${build.root} (${reason}); using it, and asking again at the next start`);
    }
  }
  if (verdict !== "crashes") return true;
  for (const folder of build.folders) await rm(path.join(localBuilds(source), folder), { recursive: true, force: true });
  log(`node-llama-cpp: the build in ${build.root} crashed evaluating a Q8_0 model on this host; using the prebuilt binary`);
  return false;
}

async function lookUp(source: Installed, flavour: BuildFlavour, options: Pick<NativeEngineOptions, "cacheDirectory">): Promise<NativeEngineBuild | undefined> {
  const paths = cachePaths(source, flavour, options.cacheDirectory);
  if (!(await stampFileUsable(paths.stamp)) || (await recordedVerdict(paths.root)) === "crashes") return undefined;
  return await cached(source, flavour, paths);
}

function cachePaths(source: Installed, flavour: BuildFlavour, cacheDirectory = defaultNativeCacheDirectory()) {
  const root = path.join(cacheDirectory, `${source.packageVersion}-${source.release}-${flavour}`);
  return {
    root,
    builds: path.join(root, "builds"),
    lock: path.join(root, ".lock"),
    stamp: path.join(root, "builds", ".complete"),
    log: path.join(root, "build.log"),
  };
}

async function cached(source: Installed, flavour: BuildFlavour, paths: ReturnType<typeof cachePaths>): Promise<NativeEngineBuild> {
  const folders = (await readdir(paths.builds, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const amx = amxOfStamp(await readFile(paths.stamp, "utf8"));
  return { packageVersion: source.packageVersion, release: source.release, flavour, folders, root: paths.root, amx };
}

function localBuilds(source: Installed): string {
  return path.join(source.packageRoot, "llama", "localBuilds");
}

/** Each cached folder into node-llama-cpp, whole or not at all: copied beside, then renamed into place. */
async function install(source: Installed, build: NativeEngineBuild): Promise<void> {
  const target = localBuilds(source);
  for (const folder of build.folders) {
    const destination = path.join(target, folder);
    if (existsSync(path.join(destination, "buildDone.status"))) continue;
    const staging = `${destination}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    await cp(path.join(build.root, "builds", folder), staging, { recursive: true });
    await rm(destination, { recursive: true, force: true });
    try {
      await rename(staging, destination);
    } catch (error) {
      // Another process installed it at the same moment: theirs is as good as ours.
      await rm(staging, { recursive: true, force: true });
      if (!existsSync(path.join(destination, "buildDone.status"))) throw error;
    }
  }
}

async function build(source: LlamaCppSource, flavour: BuildFlavour, paths: ReturnType<typeof cachePaths>, log: (line: string) => void): Promise<void> {
  const logFile = await open(paths.log, "w");
  const run = loggedRun(logFile, paths.log);
  const clone = path.join(source.packageRoot, "llama", "llama.cpp");
  try {
    log(
      `node-llama-cpp: building its addon for this host (${flavour}) from llama.cpp ${source.release}, the source it ships; this takes about 10 minutes on 2 cores, once`,
    );
    const amx = await probeAmx();
    if (amx === "faults") log("node-llama-cpp: this CPU lists AMX but its tile instructions fault here; building without AMX");
    const started = Date.now();
    const cli = path.join(source.packageRoot, "dist", "cli", "cli.js");
    // `source download` clones the bundled release (no network) and builds it for this machine.
    await run(
      process.execPath,
      [cli, "source", "download", "--gpu", flavour === "cuda" ? "cuda" : "false", "--noUsageExample"],
      source.packageRoot,
      buildEnvFor(amx, { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "false" }),
    );
    const made = await freshBuilds(localBuilds(source), started);
    if (made.length === 0) throw new Error(`node-llama-cpp's build left no finished build in ${localBuilds(source)}; see ${paths.log}`);
    await rm(paths.builds, { recursive: true, force: true });
    await clearVerdict(paths.root);
    const staging = `${paths.builds}.tmp`;
    await rm(staging, { recursive: true, force: true });
    for (const folder of made) {
      for (const file of BUILD_FILES) await cp(path.join(localBuilds(source), folder, file), path.join(staging, folder, file), { recursive: true });
      // The intermediates (object files, the build tree) are not needed to load it.
      await rm(path.join(localBuilds(source), folder), { recursive: true, force: true });
    }
    await rename(staging, paths.builds);
    await writeFile(paths.stamp, `${source.packageVersion} ${source.release} ${flavour} ${new Date().toISOString()}\n${amxStampLine(amx)}\n`);
    log(`node-llama-cpp: built ${made.join(", ")} into ${paths.builds}`);
  } finally {
    await logFile.close();
    // The cloned source (~200 MB) was only needed to compile.
    await rm(clone, { recursive: true, force: true });
  }
}

/** Build folders node-llama-cpp finished since `since`. */
async function freshBuilds(directory: string, since: number): Promise<string[]> {
  if (!existsSync(directory)) return [];
  const fresh: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const done = path.join(directory, entry.name, "buildDone.status");
    if (existsSync(done) && (await stat(done)).mtimeMs >= since - 1000) fresh.push(entry.name);
  }
  return fresh;
}
