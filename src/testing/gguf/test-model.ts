// Entry point: write a random-weight Llama-architecture GGUF of a known shape.
// Same seed and shape → byte-identical file.

import { writeGguf } from "./gguf-writer.js";
import { layoutModel, planModel, type ModelPlan } from "./model-plan.js";
import { SHAPES, type ShapeName } from "./shapes.js";
import { tensorChunks } from "./tensor-data.js";

export { SHAPES, SHAPE_NAMES, isShapeName, type ShapeName, type ModelShape } from "./shapes.js";
export { planModel, layoutModel, type ModelPlan, type PlanOptions, type TensorPlan, type TensorInit } from "./model-plan.js";

export interface WriteTestModelOptions {
  /** PRNG seed, integer in [0, 2^32). Default 1. */
  seed?: number;
  /** Default "tiny". */
  shape?: ShapeName;
  /** Only whole ASCII tokens can be generated (see PlanOptions.asciiOutput): for llama-server. */
  asciiOutput?: boolean;
  /** Called after every chunk written, with bytes written so far and the final file size. */
  onProgress?: (written: number, total: number) => void;
}

/** Bytes the file of a shape will have (same for every seed), without writing anything. */
export function testModelBytes(shape: ShapeName): number {
  return layoutModel(planModel(shape, 1)).totalBytes;
}

/**
 * Write the model to `outPath` (via `outPath.tmp-…` and a rename, so a partial file never exists
 * under the final name). Memory use is bounded by one chunk whatever the shape.
 */
export async function writeTestModel(outPath: string, options: WriteTestModelOptions = {}): Promise<{ bytes: number; shape: ShapeName }> {
  const shape = options.shape ?? "tiny";
  if (!Object.hasOwn(SHAPES, shape)) {
    throw new RangeError(`unknown test model shape "${shape}" (known: ${Object.keys(SHAPES).join(", ")})`);
  }
  const { bytes } = await writeModelPlan(outPath, planModel(shape, options.seed ?? 1, { asciiOutput: options.asciiOutput ?? false }), options.onProgress);
  return { bytes, shape };
}

/** Write any plan (e.g. one a test altered), streaming tensor data like writeTestModel. */
export function writeModelPlan(outPath: string, plan: ModelPlan, onProgress?: (written: number, total: number) => void): Promise<{ bytes: number }> {
  const tensors = plan.tensors.map((t) => ({ ...t, data: () => tensorChunks(t) }));
  return writeGguf(outPath, plan.metadata, tensors, onProgress ? { onProgress } : {});
}
