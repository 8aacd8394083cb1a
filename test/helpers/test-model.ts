// A real (random-weight) GGUF model for tests that need the real engine. Written once per
// shape/seed into the OS temp dir and reused by every test file and run afterwards.

import { stat } from "node:fs/promises";
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { testModelBytes, writeTestModel, type ShapeName } from "../../src/testing/gguf/test-model.js";

export type { ShapeName } from "../../src/testing/gguf/test-model.js";

export const TEST_MODEL_DIR = path.join(os.tmpdir(), "elyza-bot-test-models");

// Bump when the generator's output changes, so stale files from older runs are not reused.
const GENERATOR_VERSION = 1;

const pending = new Map<string, Promise<string>>();

/**
 * Path of the `shape` model for `seed`, writing it first if it isn't there. The writer goes through
 * a temp file and a rename, so parallel test files (or processes) never see a half-written model;
 * at worst two of them write the same bytes and the last rename wins.
 */
export function tinyModelPath(shape: ShapeName = "tiny", seed = 1): Promise<string> {
  return modelPath(shape, seed, false);
}

/**
 * Like tinyModelPath, a model that only ever generates whole ASCII tokens (and never ends before
 * max_tokens): the one to serve with llama-server, which aborts streams that are not valid UTF-8.
 */
export function asciiModelPath(shape: ShapeName = "tiny", seed = 1): Promise<string> {
  return modelPath(shape, seed, true);
}

function modelPath(shape: ShapeName, seed: number, asciiOutput: boolean): Promise<string> {
  const file = path.join(TEST_MODEL_DIR, `${shape}-seed${seed}${asciiOutput ? "-ascii" : ""}-v${GENERATOR_VERSION}.gguf`);
  let p = pending.get(file);
  if (!p) {
    p = ensure(file, shape, seed, asciiOutput);
    pending.set(file, p);
    p.catch(() => pending.delete(file));
  }
  return p;
}

async function ensure(file: string, shape: ShapeName, seed: number, asciiOutput: boolean): Promise<string> {
  if (shape === "llama3-8b") throw new Error("llama3-8b (~4.5 GB) is for GPU benchmarks, not tests");
  const existing = await stat(file).catch(() => null);
  // Size check: a truncated file from some other tool would otherwise be reused forever.
  if (existing?.size === testModelBytes(shape)) return file;
  mkdirSync(TEST_MODEL_DIR, { recursive: true });
  await writeTestModel(file, { shape, seed, asciiOutput });
  return file;
}
