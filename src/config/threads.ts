// The llama.cpp thread count used when engine.threads is 0. node-llama-cpp's own default is
// max(4, cores): on a 2-core machine that oversubscribes the cores and ggml's barrier spin-waits,
// measured ~100x slower. One thread per physical core the process may actually use is the
// llama.cpp recommendation (hyper-threads add nothing to memory-bound matrix work).

import { readFileSync } from "node:fs";
import os from "node:os";

/** Beyond this, decoding is memory-bound and more threads only add synchronisation cost. */
export const MAX_DEFAULT_THREADS = 32;

export interface CpuFacts {
  /** CPUs this process may run on (affinity-aware): os.availableParallelism(). */
  readonly logical: number;
  /** Physical cores of the machine, when known (Linux /proc/cpuinfo). */
  readonly physical?: number | undefined;
  /** CPU quota of the container in whole CPUs (cgroup v2 cpu.max), when limited. */
  readonly quota?: number | undefined;
}

/** Pure: the smallest of what the process may use, the physical cores and the quota; 1..32. */
export function chooseThreads(facts: CpuFacts): number {
  let threads = facts.logical;
  if (facts.physical !== undefined && facts.physical > 0) threads = Math.min(threads, facts.physical);
  if (facts.quota !== undefined && facts.quota > 0) threads = Math.min(threads, facts.quota);
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, Math.floor(threads)));
}

let cached: number | undefined;

/** The default for engine.threads = 0 on this machine (computed once). */
export function defaultThreads(): number {
  cached ??= chooseThreads(detectCpuFacts());
  return cached;
}

/** `configured` when > 0, else defaultThreads(). */
export function resolveThreads(configured: number): number {
  return configured > 0 ? configured : defaultThreads();
}

export function detectCpuFacts(): CpuFacts {
  return {
    logical: os.availableParallelism(),
    physical: readPhysicalCores(),
    quota: readCgroupQuota(),
  };
}

/** Distinct (physical id, core id) pairs; undefined where /proc/cpuinfo does not list them (ARM). */
export function parsePhysicalCores(cpuinfo: string): number | undefined {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

/** cgroup v2 "cpu.max": "max 100000" (no limit) or "150000 100000" (1.5 CPUs → 2). */
export function parseCgroupCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === "max" || period === undefined) return undefined;
  const q = Number(quota);
  const p = Number(period);
  if (!(q > 0) || !(p > 0)) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

function readPhysicalCores(): number | undefined {
  try {
    return parsePhysicalCores(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return undefined;
  }
}

function readCgroupQuota(): number | undefined {
  try {
    return parseCgroupCpuMax(readFileSync("/sys/fs/cgroup/cpu.max", "utf8"));
  } catch {
    return undefined;
  }
}
