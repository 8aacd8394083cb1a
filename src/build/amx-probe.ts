// Whether this host runs Intel AMX tile instructions, or only says it does. Seen on an Intel Xeon
// guest (Firecracker, 2 vCPU): /proc/cpuinfo lists amx_tile and amx_int8, the kernel grants the
// tile permission (arch_prctl ARCH_REQ_XCOMP_PERM), and the first tile instruction dies with
// SIGILL. A -march=native build of llama.cpp turns AMX on from the CPU's flags alone, so there
// every Q8_0, Q4_0 or Q4_K model crashed the process in ggml's tinygemm_kernel_amx, while the F16
// bench model (no AMX kernels) ran. So before a build from source the host is asked the same
// question ggml's AMX path asks it (permission, tile config, loads, an int8 dot product), in a
// throwaway process; where that faults, the build is made without AMX (compilerEnvWithoutAmx).

import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/**
 * - absent: the CPU does not list AMX; a native build has none.
 * - works: the probe's tile instructions ran.
 * - faults: they killed the probe, or the kernel refused the tile permission.
 * - untested: the compiler could not build the probe (then it cannot emit AMX either).
 */
export type AmxSupport = "absent" | "works" | "faults" | "untested";

const AMX_SUPPORT: readonly AmxSupport[] = ["absent", "works", "faults", "untested"];

/** GCC's and Clang's switches; explicit -mno-* wins over what -march=native turns on, in any order. */
export const NO_AMX_FLAGS = ["-mno-amx-tile", "-mno-amx-int8", "-mno-amx-bf16"] as const;

/** Whether a /proc/cpuinfo text lists AMX tiles (on any processor). */
export function advertisesAmx(cpuinfo: string): boolean {
  return /^flags\s*:.*\bamx_tile\b/m.test(cpuinfo);
}

function hostCpuinfo(): string {
  return process.platform === "linux" && existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
}

let hostAmx: boolean | undefined;

/** Whether this host lists AMX tiles; false off Linux, where there is no cpuinfo to read. Read once. */
export function hostAdvertisesAmx(): boolean {
  return (hostAmx ??= advertisesAmx(hostCpuinfo()));
}

// The steps of ggml's AMX path (ggml-cpu/amx): permission for the tile data, a tile config, tile
// loads and one TDPBSSD. Exit 3: the kernel said no, as ggml_amx_init would hear.
const PROBE_SOURCE = String.raw`
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
struct tile_config { uint8_t palette_id; uint8_t start_row; uint8_t reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; };
static int8_t a[16 * 64], b[16 * 64];
static int32_t c[16 * 16];
int main(void) {
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */)) return 3;
  struct tile_config config;
  memset(&config, 0, sizeof config);
  config.palette_id = 1;
  for (int t = 0; t < 3; t++) { config.rows[t] = 16; config.colsb[t] = 64; }
  memset(a, 1, sizeof a);
  memset(b, 2, sizeof b);
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_loadd(1, a, 64);
  _tile_loadd(2, b, 64);
  _tile_dpbssd(0, 1, 2);
  _tile_stored(0, c, 64);
  _tile_release();
  return c[0] == 16 * 4 * 2 ? 0 : 4;
}
`;

export interface AmxProbeOptions {
  /** The cpuinfo text to read the CPU's flags from; default /proc/cpuinfo. */
  readonly cpuinfo?: string;
  /** The C compiler; default $CC or cc. */
  readonly compiler?: string;
}

/** Compiles and runs the probe where the CPU lists AMX; never throws. */
export async function probeAmx(options: AmxProbeOptions = {}): Promise<AmxSupport> {
  if (process.arch !== "x64" || !advertisesAmx(options.cpuinfo ?? hostCpuinfo())) return "absent";
  const work = await mkdtemp(path.join(os.tmpdir(), "elyza-bot-amx-"));
  try {
    const source = path.join(work, "amx.c");
    const binary = path.join(work, "amx");
    await writeFile(source, PROBE_SOURCE);
    const [compiler = "cc", ...compilerArgs] = (options.compiler ?? process.env.CC ?? "cc").split(/\s+/).filter(Boolean);
    try {
      await promisify(execFile)(compiler, [...compilerArgs, "-O1", "-mamx-tile", "-mamx-int8", "-o", binary, source]);
    } catch {
      return "untested";
    }
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(binary, [], { stdio: "ignore" });
      child.on("error", () => resolve({ code: null, signal: null }));
      child.on("exit", (code, signal) => resolve({ code, signal }));
    });
    return exit.code === 0 ? "works" : exit.signal !== null || exit.code === 3 ? "faults" : "untested";
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The environment a CMake build is configured in so that every C and C++ compile leaves AMX out:
 * CMake takes the arguments after the compiler in CC and CXX into each compile line, and node-llama-cpp's
 * cmake-js sets CMAKE_CXX_FLAGS itself, so CXXFLAGS would be lost there.
 */
export function compilerEnvWithoutAmx(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const flags = NO_AMX_FLAGS.join(" ");
  return { ...env, CC: `${env.CC?.trim() || "cc"} ${flags}`, CXX: `${env.CXX?.trim() || "c++"} ${flags}` };
}

/** The build environment for what the probe found. */
export function buildEnvFor(support: AmxSupport, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return support === "faults" ? compilerEnvWithoutAmx(env) : env;
}

/** The line a build's completion stamp carries, so a later start knows the build asked. */
export function amxStampLine(support: AmxSupport): string {
  return `amx ${support}`;
}

/** What a stamp says the probe found, or undefined for a stamp written before builds asked. */
export function amxOfStamp(stamp: string): AmxSupport | undefined {
  const found = /^amx (\S+)$/m.exec(stamp)?.[1];
  return AMX_SUPPORT.find((support) => support === found);
}

/**
 * Whether a cached build may be used on this host: where the CPU lists AMX, only a build made after
 * asking the probe (an older one may hold AMX code that faults here and would crash the process).
 */
export function stampUsable(stamp: string, cpuAdvertisesAmx: boolean): boolean {
  return !cpuAdvertisesAmx || amxOfStamp(stamp) !== undefined;
}

/** Whether a build's completion stamp is there and its build may be used on this host. */
export async function stampFileUsable(stampPath: string, cpuAdvertisesAmx = hostAdvertisesAmx()): Promise<boolean> {
  if (!existsSync(stampPath)) return false;
  return stampUsable(await readFile(stampPath, "utf8"), cpuAdvertisesAmx);
}
