// What every build from llama.cpp's source starts from: the git bundle of the exact llama.cpp
// release node-llama-cpp's binaries were made from (inside node_modules, so nothing is downloaded),
// the user's cache directory the results live in, and whether this host gets a CUDA build.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { ElyzaBotError } from "../errors.js";

export type BuildFlavour = "cpu" | "cuda";

export interface LlamaCppSource {
  /** node-llama-cpp's own folder (node_modules/node-llama-cpp). */
  readonly packageRoot: string;
  readonly packageVersion: string;
  /** The llama.cpp source as a git bundle. */
  readonly bundle: string;
  /** The llama.cpp release tag, e.g. "v0.4.0". */
  readonly release: string;
}

export class SourceBuildError extends ElyzaBotError {
  override readonly name: string = "SourceBuildError";
  constructor(
    message: string,
    /** The build log to read for details, when the build itself ran. */
    readonly logPath?: string,
  ) {
    super(message);
  }
}

/** Where node-llama-cpp is, its version and the llama.cpp release its binaries were made from. */
export async function installedNodeLlamaCpp(): Promise<Omit<LlamaCppSource, "bundle">> {
  // node-llama-cpp's exports map hides package.json; its main entry lives in <root>/dist/.
  const require = createRequire(import.meta.url);
  const packageRoot = path.resolve(path.dirname(require.resolve("node-llama-cpp")), "..");
  const info = JSON.parse(await readFile(path.join(packageRoot, "llama", "llama.cpp.info.json"), "utf8")) as { tag?: unknown };
  const pkg = JSON.parse(await readFile(path.join(packageRoot, "package.json"), "utf8")) as { version?: unknown };
  if (typeof info.tag !== "string") throw new SourceBuildError(`node-llama-cpp in ${packageRoot} does not say which llama.cpp release it carries`);
  return { packageRoot, packageVersion: typeof pkg.version === "string" ? pkg.version : "unknown", release: info.tag };
}

/** The same, with the source bundle a build needs. */
export async function bundledLlamaCpp(): Promise<LlamaCppSource> {
  const installed = await installedNodeLlamaCpp();
  const bundle = path.join(installed.packageRoot, "llama", "gitRelease.bundle");
  if (!existsSync(bundle)) {
    throw new SourceBuildError(`node-llama-cpp in ${installed.packageRoot} carries no llama.cpp source bundle (llama/gitRelease.bundle)`);
  }
  return { ...installed, bundle };
}

/** $XDG_CACHE_HOME or ~/.cache, then elyza-bot/<what>. */
export function cacheDirectoryFor(what: string): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "elyza-bot", what);
}

/** CUDA only where there is both a compiler and a GPU: CI images often carry nvcc without a GPU. */
export function detectFlavour(): BuildFlavour {
  const dirs = (process.env.PATH ?? "").split(path.delimiter);
  const nvcc = dirs.some((dir) => dir && existsSync(path.join(dir, "nvcc")));
  return nvcc && existsSync("/dev/nvidiactl") ? "cuda" : "cpu";
}
