import { describe, expect, it } from "vitest";
import { chooseThreads, defaultThreads, parseCgroupCpuMax, parsePhysicalCores, resolveThreads } from "../../src/config/threads.js";

describe("default thread count", () => {
  it("one per physical core the process may use, never node-llama-cpp's max(4, cores)", () => {
    expect(chooseThreads({ logical: 2 })).toBe(2);
    expect(chooseThreads({ logical: 1 })).toBe(1);
    expect(chooseThreads({ logical: 16, physical: 8 })).toBe(8); // hyper-threads add nothing
    expect(chooseThreads({ logical: 2, physical: 64 })).toBe(2); // affinity-limited
    expect(chooseThreads({ logical: 64, physical: 64, quota: 3 })).toBe(3); // container quota
    expect(chooseThreads({ logical: 256, physical: 128 })).toBe(32); // capped
    expect(chooseThreads({ logical: 0 })).toBe(1);
  });

  it("on this machine: between 1 and the available CPUs", async () => {
    const os = await import("node:os");
    const threads = defaultThreads();
    expect(threads).toBeGreaterThanOrEqual(1);
    expect(threads).toBeLessThanOrEqual(os.availableParallelism());
  });

  it("resolveThreads keeps an explicit value", () => {
    expect(resolveThreads(3)).toBe(3);
    expect(resolveThreads(0)).toBe(defaultThreads());
  });

  it("parses /proc/cpuinfo and cgroup cpu.max", () => {
    const block = (p: number, c: number) => `processor\t: x\nphysical id\t: ${p}\ncore id\t\t: ${c}\n`;
    // 2 sockets × 2 cores × 2 hyper-threads
    const info = [block(0, 0), block(0, 0), block(0, 1), block(0, 1), block(1, 0), block(1, 0), block(1, 1), block(1, 1)].join("\n");
    expect(parsePhysicalCores(info)).toBe(4);
    expect(parsePhysicalCores("processor : 0\nBogoMIPS : 50\n")).toBeUndefined();
    expect(parseCgroupCpuMax("max 100000\n")).toBeUndefined();
    expect(parseCgroupCpuMax("150000 100000\n")).toBe(2);
    expect(parseCgroupCpuMax("50000 100000")).toBe(1);
  });
});
