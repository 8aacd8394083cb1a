// Turns the benchmark's raw samples into figures and a printable table.

export interface Sample {
  readonly tokens: number;
  readonly ms: number;
  readonly firstTokenMs: number;
  /** Concurrent runs only: tokens generated once every request was past its prompt, and that time. */
  readonly decodeTokens?: number;
  readonly decodeMs?: number;
}

export interface BenchInput {
  readonly model: string;
  readonly gpu: string;
  readonly threads: number;
  readonly parallel: number;
  readonly tokensPerAnswer: number;
  readonly machine: string;
  readonly samples: BenchReport["samples"];
  readonly peakRssMb: number;
}

export interface BenchReport extends Omit<BenchInput, "samples"> {
  readonly samples: { raw: Sample[]; queued: Sample[]; concurrent: Record<number, Sample[]> };
  readonly rawTokensPerSecond: number;
  readonly queuedTokensPerSecond: number;
  /** 1 - queued/raw: the cost of going through the queue and engine instead of plain node-llama-cpp. */
  readonly queueOverhead: number;
  readonly concurrent: Record<
    number,
    { tokensPerSecond: number; speedupOverOne: number; decodeTokensPerSecond: number; decodeSpeedupOverOne: number; medianFirstTokenMs: number }
  >;
  readonly firstTokenMs: { raw: number; queued: number };
  readonly lines: string[];
}

export function summarize(input: BenchInput): BenchReport {
  const rate = (s: readonly Sample[]) => (1000 * sum(s.map((x) => x.tokens))) / Math.max(1, sum(s.map((x) => x.ms)));
  const raw = rate(input.samples.raw);
  const queued = rate(input.samples.queued);
  const decodeRate = (s: readonly Sample[]) => (1000 * sum(s.map((x) => x.decodeTokens ?? 0))) / Math.max(1, sum(s.map((x) => x.decodeMs ?? 0)));
  const one = rate(input.samples.concurrent[1] ?? []);
  const oneDecode = decodeRate(input.samples.concurrent[1] ?? []);
  const concurrent: BenchReport["concurrent"] = {};
  for (const [n, s] of Object.entries(input.samples.concurrent)) {
    concurrent[Number(n)] = {
      tokensPerSecond: rate(s),
      speedupOverOne: one > 0 ? rate(s) / one : 0,
      decodeTokensPerSecond: decodeRate(s),
      decodeSpeedupOverOne: oneDecode > 0 ? decodeRate(s) / oneDecode : 0,
      medianFirstTokenMs: median(s.map((x) => x.firstTokenMs)),
    };
  }
  const firstTokenMs = { raw: median(input.samples.raw.map((s) => s.firstTokenMs)), queued: median(input.samples.queued.map((s) => s.firstTokenMs)) };
  const overhead = raw > 0 ? 1 - queued / raw : 0;
  const lines = [
    `machine: ${input.machine}`,
    ``,
    `sequential, same prompts   tok/s    first token`,
    `  raw node-llama-cpp     ${fmt(raw, 8)}   ${fmt(firstTokenMs.raw, 7)} ms`,
    `  through the queue      ${fmt(queued, 8)}   ${fmt(firstTokenMs.queued, 7)} ms`,
    `  queue overhead         ${(overhead * 100).toFixed(1).padStart(7)} %`,
    ``,
    `concurrent requests   aggregate tok/s  × one   decode tok/s  × one   median first token`,
    ...Object.entries(concurrent).map(
      ([n, c]) =>
        `  ${n.padStart(2)} at once          ${fmt(c.tokensPerSecond, 9)}  ${c.speedupOverOne.toFixed(2).padStart(5)}×  ${fmt(c.decodeTokensPerSecond, 11)}  ${c.decodeSpeedupOverOne.toFixed(2).padStart(5)}×  ${fmt(c.medianFirstTokenMs, 9)} ms`,
    ),
    `  (aggregate: whole requests, prompts included; decode: once every request is generating)`,
    ``,
    `peak RSS ${input.peakRssMb.toFixed(0)} MB`,
  ];
  return { ...input, rawTokensPerSecond: raw, queuedTokensPerSecond: queued, queueOverhead: overhead, concurrent, firstTokenMs, lines };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The median of the non-negative values (negative = not measured), or -1 when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => v >= 0).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? -1;
}

function fmt(value: number, width: number): string {
  return value.toFixed(1).padStart(width);
}
