// The throwaway process of native-self-test.ts: loads llama.cpp on the CPU as the bot does, evaluates a
// prompt on a tiny Q8_0 model, and prints which binary it ran. How it ends is the verdict.

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { writeTestModel } from "../testing/gguf/test-model.js";

const directory = process.argv[2];
if (!directory) {
  process.stderr.write("usage: native-self-test-child.js MODEL_DIRECTORY\n");
  process.exit(2);
}
const modelPath = path.join(directory, "self-test-tiny-q8.gguf");
if (!existsSync(modelPath)) {
  await mkdir(directory, { recursive: true });
  await writeTestModel(modelPath, { shape: "tiny-q8", seed: 1 });
}
const llama = await getLlama({ build: "never", skipDownload: true, gpu: false, maxThreads: 1, progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 256, threads: 1 });
// A prompt of a few dozen tokens: the batched matrix products that ran in AMX's kernels.
await context.getSequence().evaluateWithoutGeneratingNewTokens(model.tokenize("東京は日本の首都です。The capital of Japan is Tokyo, and its river is"));
process.stdout.write(`${JSON.stringify({ binary: llama.buildType })}\n`);
await context.dispose();
await model.dispose();
await llama.dispose();
