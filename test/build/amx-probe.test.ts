// The AMX probe run for real: compiled with the host's compiler and run, and the way a build leaves
// AMX out checked through real CMake and the real compiler. A CPU without AMX faults on the first tile
// instruction exactly as the guests that list AMX but cannot run it do, so the fault path is real here.

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  advertisesAmx,
  amxOfStamp,
  amxStampLine,
  buildEnvFor,
  compilerEnvWithoutAmx,
  hostAdvertisesAmx,
  probeAmx,
  stampFileUsable,
  stampUsable,
} from "../../src/build/amx-probe.js";

const AMX_CPUINFO =
  "processor\t: 0\nflags\t\t: fpu sse avx512f amx_bf16 amx_tile amx_int8\n\nprocessor\t: 1\nflags\t\t: fpu sse avx512f amx_bf16 amx_tile amx_int8\n";
const PLAIN_CPUINFO = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n";
const OLD_STAMP = "3.21.1 v0.4.0 cpu 2026-11-30T10:00:00.000Z\n";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "amx-probe-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("what the CPU lists", () => {
  it("finds amx_tile in the flags line only", () => {
    expect(advertisesAmx(AMX_CPUINFO)).toBe(true);
    expect(advertisesAmx(PLAIN_CPUINFO)).toBe(false);
    expect(advertisesAmx("model name\t: amx_tile lookalike\nflags\t\t: fpu\n")).toBe(false);
    expect(advertisesAmx("")).toBe(false);
  });

  it("does not run the probe where the CPU lists no AMX", async () => {
    expect(await probeAmx({ cpuinfo: PLAIN_CPUINFO })).toBe("absent");
  });
});

describe.runIf(process.platform === "linux" && process.arch === "x64")("the probe on this host", () => {
  it("runs the tile instructions where the CPU is said to list AMX, and faults where it has none", async () => {
    const found = await probeAmx({ cpuinfo: AMX_CPUINFO });
    expect(["works", "faults"]).toContain(found);
    // A CPU without AMX raises SIGILL on the first tile instruction, as the guests that list it but cannot run it do.
    if (!hostAdvertisesAmx()) expect(found).toBe("faults");
  });

  it("says untested when the probe cannot be compiled", async () => {
    expect(await probeAmx({ cpuinfo: AMX_CPUINFO, compiler: path.join(dir, "no-such-cc") })).toBe("untested");
  });
});

describe("a build's stamp", () => {
  it("records what the probe found, and an older stamp is used only where the CPU lists no AMX", async () => {
    const stamp = `${OLD_STAMP}${amxStampLine("faults")}\n`;
    expect(amxOfStamp(stamp)).toBe("faults");
    expect(amxOfStamp(OLD_STAMP)).toBeUndefined();
    expect(amxOfStamp(`${OLD_STAMP}amx maybe\n`)).toBeUndefined();
    expect(stampUsable(stamp, true)).toBe(true);
    expect(stampUsable(OLD_STAMP, true)).toBe(false);
    expect(stampUsable(OLD_STAMP, false)).toBe(true);

    const file = path.join(dir, ".complete");
    expect(await stampFileUsable(file, false)).toBe(false);
    await writeFile(file, OLD_STAMP);
    expect(await stampFileUsable(file, true)).toBe(false);
    expect(await stampFileUsable(file, false)).toBe(true);
    await writeFile(file, stamp);
    expect(await stampFileUsable(file, true)).toBe(true);
  });
});

describe("a build without AMX", () => {
  it("adds the switches after the compiler the user chose, and only where the probe faulted", () => {
    expect(compilerEnvWithoutAmx({ PATH: "/bin" })).toEqual({
      PATH: "/bin",
      CC: "cc -mno-amx-tile -mno-amx-int8 -mno-amx-bf16",
      CXX: "c++ -mno-amx-tile -mno-amx-int8 -mno-amx-bf16",
    });
    expect(compilerEnvWithoutAmx({ CC: "clang-17", CXX: " clang++-17 " })).toMatchObject({
      CC: "clang-17 -mno-amx-tile -mno-amx-int8 -mno-amx-bf16",
      CXX: "clang++-17 -mno-amx-tile -mno-amx-int8 -mno-amx-bf16",
    });
    const env = { PATH: "/bin" };
    for (const support of ["absent", "works", "untested"] as const) expect(buildEnvFor(support, env)).toBe(env);
    expect(buildEnvFor("faults", env).CC).toContain("-mno-amx-int8");
  });

  // ggml's CPU backend adds -march=native to its target's own options; the switches must win over it
  // in both languages, through CMake as the builds configure it.
  it.runIf(process.platform === "linux" && process.arch === "x64")(
    "leaves AMX out of C and C++ compiles that ask for a CPU with AMX, through CMake",
    async () => {
      const project = path.join(dir, "cmake-project");
      await rm(project, { recursive: true, force: true });
      await mkdir(project, { recursive: true });
      const guard = "#if defined(__AMX_INT8__) || defined(__AMX_TILE__)\n#error AMX is on\n#endif\nint f(void) { return 0; }\n";
      await writeFile(path.join(project, "a.c"), guard);
      await writeFile(path.join(project, "b.cpp"), guard.replace("f(void)", "g()"));
      await writeFile(
        path.join(project, "CMakeLists.txt"),
        "cmake_minimum_required(VERSION 3.14)\nproject(amx_off C CXX)\nadd_library(k STATIC a.c b.cpp)\ntarget_compile_options(k PRIVATE -march=sapphirerapids)\n",
      );
      const build = async (name: string, env: NodeJS.ProcessEnv): Promise<boolean> => {
        const out = path.join(project, name);
        try {
          await promisify(execFile)("cmake", ["-S", project, "-B", out], { env });
          await promisify(execFile)("cmake", ["--build", out], { env });
          return true;
        } catch {
          return false;
        }
      };
      const plain = { ...process.env };
      delete plain.CC;
      delete plain.CXX;
      // The control: -march=sapphirerapids alone turns AMX on, so the guard stops the build.
      expect(await build("with-amx", plain)).toBe(false);
      expect(await build("without-amx", compilerEnvWithoutAmx(plain))).toBe(true);
    },
    60_000,
  );
});
