// Before a build made on this host is used where the CPU lists AMX, it evaluates a tiny Q8_0 model
// (the weight type whose AMX kernels crashed with SIGILL on an Intel Firecracker guest, see
// amx-probe.ts) in a throwaway process. The probe decides how a build is made; this decides whether
// a made build is used, whatever the cause of a crash: a build that kills that process is taken back
// out of node-llama-cpp and the prebuilt binary runs instead, rather than the bot dying at its first
// answer. The verdict is kept beside the cached build, so this runs once per build and host.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { packageRoot } from "../config/paths.js";

/** passes: the child answered on this build; crashes: a signal ended it; unknown: anything else. */
export type SelfTestVerdict = "passes" | "crashes" | "unknown";

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The child's standard output. */
  readonly output: string;
  /** The end of its standard error, for the log when the verdict is unknown. */
  readonly errors?: string;
}

/** The child prints `{"binary":"localBuild"}` when it answered on this host's own build. */
export function verdictOf(exit: ChildExit): SelfTestVerdict {
  if (exit.signal !== null) return "crashes";
  if (exit.code !== 0) return "unknown";
  return /"binary":"localBuild"/.test(exit.output) ? "passes" : "unknown";
}

// The compiled child, also when this module runs from src/ (under vitest).
const CHILD = path.join(packageRoot(), "dist", "build", "native-self-test-child.js");
/** Loading the library and a 5 MB model takes about a second; a hung child is not a verdict. */
const CHILD_TIMEOUT_MS = 120_000;

export interface SelfTestOptions {
  /** Where the Q8_0 model is written (once). */
  readonly modelDirectory: string;
  /** Default: the compiled child beside this module. */
  readonly childScript?: string;
}

/** Runs the child against whatever node-llama-cpp loads now (installed local build first). */
export async function runSelfTest(options: SelfTestOptions): Promise<{ verdict: SelfTestVerdict; exit: ChildExit }> {
  const script = options.childScript ?? CHILD;
  const exit = await new Promise<ChildExit>((resolve) => {
    let output = "";
    let errors = "";
    // UV_THREADPOOL_SIZE as the bot runs (bin/run.js), so the child loads the library the same way.
    const child = spawn(process.execPath, [script, options.modelDirectory], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "1" },
      timeout: CHILD_TIMEOUT_MS,
    });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (errors = (errors + chunk).slice(-2000)));
    child.on("error", (error) => resolve({ code: null, signal: null, output, errors: error.message }));
    // A child killed for its timeout exits by SIGTERM: that is no crash.
    child.on("close", (code, signal) => resolve({ code, signal: signal === "SIGTERM" ? null : signal, output, errors }));
  });
  return { verdict: verdictOf(exit), exit };
}

function verdictFile(buildRoot: string): string {
  return path.join(buildRoot, "self-test");
}

/** The verdict kept for a cached build, if its self-test ran. */
export async function recordedVerdict(buildRoot: string): Promise<SelfTestVerdict | undefined> {
  const file = verdictFile(buildRoot);
  if (!existsSync(file)) return undefined;
  const text = (await readFile(file, "utf8")).trim();
  return text === "passes" || text === "crashes" ? text : undefined;
}

/** Keeps a definite verdict; an unknown one is asked again at the next start. */
export async function recordVerdict(buildRoot: string, verdict: SelfTestVerdict): Promise<void> {
  if (verdict !== "unknown") await writeFile(verdictFile(buildRoot), `${verdict}\n`);
}

/** A new build has no verdict yet. */
export async function clearVerdict(buildRoot: string): Promise<void> {
  await rm(verdictFile(buildRoot), { force: true });
}
