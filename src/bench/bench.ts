// `npm run bench`: throughput of the real engine, raw and through the shared queue, in ONE run so
// that the ratios hold on a noisy machine. Prints a table (or --json). Same prompts and token
// limits for every measurement. Generated test models rarely end an answer early (their control
// tokens have zero output weights); every figure counts the tokens actually generated.
//
//   npm run bench -- [--model PATH|hf:URI] [--shape bench] [--tokens N] [--threads N]
//                    [--parallel N] [--rounds N] [--gpu auto|cuda|false] [--json]
//                    [--against-llama-server]   (also: the same workload on llama.cpp's llama-server,
//                                                at 1 and 2 threads unless --threads is given, and the
//                                                mention-during-probe and follow-up scenarios)

import os from "node:os";
import path from "node:path";
import { existsSync, mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { defaultThreads } from "../config/threads.js";
import { LlamaEngine } from "../inference/engine.js";
import { resolveModelPath } from "../inference/model-file.js";
import { InferenceQueue } from "../inference/queue.js";
import { rawGenerate } from "../inference/raw-baseline.js";
import type { GpuSetting } from "../inference/llama-runtime.js";
import { writeTestModel, SHAPES, type ShapeName } from "../testing/gguf/test-model.js";
import { anchorLines, runAnchor } from "./anchor.js";
import { median, summarize, type BenchReport } from "./report.js";

import { PROMPTS, SYSTEM } from "./workload.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      shape: { type: "string", default: "bench" },
      tokens: { type: "string", default: "48" },
      threads: { type: "string" },
      parallel: { type: "string", default: "8" },
      rounds: { type: "string" },
      gpu: { type: "string", default: "auto" },
      json: { type: "boolean", default: false },
      "against-llama-server": { type: "boolean", default: false },
    },
    strict: true,
  });
  const tokens = positive("--tokens", values.tokens);
  const parallel = positive("--parallel", values.parallel);
  const anchor = values["against-llama-server"];
  // Against llama-server the sides alternate round by round: more rounds, less noise in the ratios.
  const rounds = positive("--rounds", values.rounds ?? (anchor ? "6" : "2"));
  const threads = values.threads === undefined ? defaultThreads() : positive("--threads", values.threads);
  const gpu = parseGpu(values.gpu);
  const log = (line: string) => void (values.json ? process.stderr : process.stdout).write(`${line}\n`);

  // llama-server ends a stream when the text is not valid UTF-8, which a random byte-level model
  // produces: against it, both sides run the ASCII-output variant of the shape (same for both).
  const modelPath = await benchModel(values.model, values.shape, log, anchor);
  if (anchor) {
    const anchorTokens = values.tokens === "48" ? 128 : tokens;
    const { rows, scenario, binary } = await runAnchor({
      modelPath,
      threads: values.threads === undefined ? [1, 2] : [threads],
      parallel,
      tokens: anchorTokens,
      rounds,
      gpu,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const lines = [
      `model ${path.basename(modelPath)} · ${os.cpus()[0]?.model ?? "cpu"} ×${os.availableParallelism()} · node ${process.version} · UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "(default 4)"} · elyza-bot's llama.cpp: ${binary === "native" ? "built for this host" : "prebuilt"}`,
      ...anchorLines(rows, scenario, parallel, anchorTokens),
    ];
    if (values.json) process.stdout.write(`${JSON.stringify({ rows, scenario, binary }, null, 2)}\n`);
    else for (const line of lines) log(line);
    return;
  }
  const engine = await LlamaEngine.load({
    modelPath,
    gpu,
    threads,
    parallel,
    contextSize: 512 + tokens,
    batchSize: 512,
    log: (level, message) => process.stderr.write(`llama.cpp ${level}: ${message}\n`),
  });
  const sampling = { temperature: 0.6, topP: 0.9, maxTokens: tokens };
  const queue = new InferenceQueue(engine, {
    sampling,
    maxWaiting: 1000,
    maxPerUser: 1000,
    timeouts: { queueWaitMs: 3_600_000, firstTokenMs: 3_600_000, totalMs: 3_600_000 },
  });
  const viaQueue = (prompt: string, seed: number, user: string) =>
    queue.submit({
      userId: user,
      priority: "interactive",
      conversation: { systemPrompt: SYSTEM, turns: [{ role: "user", text: prompt }] },
      sampling: { seed },
    }).result;

  log(
    `model ${path.basename(modelPath)} · gpu ${engine.gpu || "none (CPU)"} · llama.cpp ${engine.binary === "native" ? "built for this host" : "prebuilt"} · threads ${threads} · parallel ${parallel} · ${tokens} tokens/answer · UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "(default 4)"}`,
  );
  await viaQueue(PROMPTS[0]!, 0, "warmup"); // first decode allocates buffers: keep it out of the figures

  const samples: BenchReport["samples"] = { raw: [], queued: [], concurrent: {} };
  for (let round = 0; round < rounds; round++) {
    // Raw and queued sequential runs alternate prompt by prompt so drift hits both alike.
    for (const [i, prompt] of PROMPTS.entries()) {
      const seed = round * 100 + i;
      samples.raw.push(await rawGenerate(engine, SYSTEM, prompt, { ...sampling, seed }));
      const started = performance.now();
      const r = await viaQueue(prompt, seed, "bench");
      samples.queued.push({ tokens: r.completionTokens, ms: performance.now() - started, firstTokenMs: r.timings.firstTokenMs ?? -1 });
    }
    for (const n of [1, 4, 8].filter((c) => c <= parallel)) {
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: n }, (_, i) => viaQueue(PROMPTS[i % PROMPTS.length]!, round * 100 + i, `user${i}`)));
      const wallMs = performance.now() - started;
      // Decode phase: from when the last prompt was evaluated (everyone is generating) to the end.
      const allStartedMs = Math.max(...results.map((r) => r.timings.firstTokenMs ?? wallMs));
      (samples.concurrent[n] ??= []).push({
        tokens: results.reduce((sum, r) => sum + r.completionTokens, 0),
        ms: wallMs,
        firstTokenMs: median(results.map((r) => r.timings.firstTokenMs ?? -1)),
        decodeTokens: results.reduce((sum, r) => sum + r.completionTokens - 1, 0),
        decodeMs: wallMs - allStartedMs,
      });
    }
  }
  const report = summarize({
    model: path.basename(modelPath),
    gpu: engine.gpu || "cpu",
    threads,
    parallel,
    tokensPerAnswer: tokens,
    machine: `${os.cpus()[0]?.model ?? "cpu"} ×${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
    samples,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  });
  await engine[Symbol.asyncDispose]();
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else for (const line of report.lines) log(line);
}

async function benchModel(model: string | undefined, shape: string, log: (line: string) => void, asciiOutput: boolean): Promise<string> {
  if (model) return resolveModelPath(model, { directory: "./models" });
  if (!(shape in SHAPES)) throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(", ")}`);
  const file = path.join(os.tmpdir(), "elyza-bot-bench", `${shape}-seed1${asciiOutput ? "-ascii" : ""}.gguf`);
  if (!existsSync(file)) {
    log(`writing the ${shape} test model to ${file} …`);
    mkdirSync(path.dirname(file), { recursive: true });
    await writeTestModel(file, { seed: 1, shape: shape as ShapeName, asciiOutput });
  }
  return file;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive whole number (got "${value}")`);
  return n;
}

function parseGpu(value: string): GpuSetting {
  if (value === "false" || value === "cpu") return false;
  if (value === "auto" || value === "cuda" || value === "vulkan" || value === "metal") return value;
  throw new Error(`--gpu must be auto, cuda, vulkan, metal or false (got "${value}")`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
