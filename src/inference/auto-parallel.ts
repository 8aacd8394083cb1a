// How many sequences `engine.parallel: auto` runs: a pure decision from what memory there is, what
// one sequence costs and what the device can use, apart from node-llama-cpp's measuring (engine.ts).
//
// On a GPU, sequences are cheap to batch (decode is memory-bound: 8 sequences cost little more time
// per step than one), so the only limit is memory: an 8B Q4_K_M (4.9 GB) on a 24 GB card with
// 4,096 tokens a sequence (512 MiB of KV cache each) fits about 30, so a /probe of 30 runs is one
// batch. On a CPU decode is compute-bound: measured here (2 cores, bench model) 8 sequences gave
// ~2× the throughput of one while each answer took 4× longer, so more sequences than 2 per core
// only make every answer slower; and RAM is kept for the rest of the host.

export interface AutoParallelInput {
  /** Bytes free for KV caches and compute buffers: GPU memory left after the model, or RAM. */
  readonly freeBytes: number;
  /** Bytes one more sequence costs at the wanted context size. */
  readonly bytesPerSequence: number;
  /** Bytes the context costs regardless of sequences (compute buffers). */
  readonly fixedBytes: number;
  readonly onGpu: boolean;
  /** Physical cores (CPU cap). */
  readonly cores: number;
}

export interface AutoParallelChoice {
  readonly parallel: number;
  /** One line for the start-up log: what limited the number. */
  readonly why: string;
}

/** Share of the free memory the caches may take: the rest absorbs estimates that run short. */
const HEADROOM = 0.85;
export const AUTO_PARALLEL_MAX = 64;

export function chooseParallel(input: AutoParallelInput): AutoParallelChoice {
  const usable = input.freeBytes * HEADROOM - input.fixedBytes;
  const byMemory = input.bytesPerSequence > 0 ? Math.floor(usable / input.bytesPerSequence) : AUTO_PARALLEL_MAX;
  const cap = input.onGpu ? AUTO_PARALLEL_MAX : Math.max(2, 2 * input.cores);
  const parallel = Math.max(1, Math.min(byMemory, cap));
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const memory = `${gib(input.freeBytes)} free ${input.onGpu ? "GPU memory" : "RAM"}, ${gib(input.bytesPerSequence)} a sequence`;
  const why =
    byMemory < 1
      ? `${memory}: not even one sequence fits; trying 1`
      : byMemory <= cap
        ? `${memory}: memory allows ${byMemory}`
        : input.onGpu
          ? `${memory}: capped at ${AUTO_PARALLEL_MAX}`
          : `${memory}: capped at 2 per CPU core (${input.cores} cores; decode is compute-bound on a CPU)`;
  return { parallel, why };
}
