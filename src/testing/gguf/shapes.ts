// Model shapes the generator knows. Widths of quantized shapes are multiples of 32 (ggml's block
// size for Q8_0/Q4_0 runs along each row, i.e. along the input dimension).

import { GgmlType, type GgmlTypeId } from "./quantize.js";

export interface ModelShape {
  readonly description: string;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly headCount: number;
  readonly headCountKv: number;
  readonly feedForwardLength: number;
  readonly contextLength: number;
  /** Normal (non-control) tokens: byte tokens + merges. */
  readonly normalTokens: number;
  /** Llama 3 control tokens after the normal ones. */
  readonly controlTokens: number;
  /** Type of the 2-D weight matrices (norms are always F32). */
  readonly weightType: GgmlTypeId;
}

// One small vocabulary for the small shapes: 256 bytes + the common-piece merges + 16 control
// tokens (the named Llama 3 ones and a few reserved).
const SMALL_VOCAB = { normalTokens: 368, controlTokens: 16 } as const;

export const SHAPES = {
  tiny: {
    description: "64 wide, 2 layers, F32: fast enough for every unit test",
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 192,
    contextLength: 8192,
    ...SMALL_VOCAB,
    weightType: GgmlType.F32,
  },
  "tiny-q8": {
    description: "tiny with Q8_0 weights",
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 192,
    contextLength: 8192,
    ...SMALL_VOCAB,
    weightType: GgmlType.Q8_0,
  },
  "tiny-q4": {
    description: "tiny with Q4_0 weights",
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 192,
    contextLength: 8192,
    ...SMALL_VOCAB,
    weightType: GgmlType.Q4_0,
  },
  bench: {
    description: "768 wide, 12 layers, F16: CPU benchmark model (~150 MB)",
    embeddingLength: 768,
    blockCount: 12,
    headCount: 12,
    headCountKv: 4,
    feedForwardLength: 2048,
    contextLength: 8192,
    ...SMALL_VOCAB,
    weightType: GgmlType.F16,
  },
  "llama3-8b": {
    description: "Llama-3-8B dimensions with Q4_0 weights (~4.5 GB): GPU benchmarks only",
    embeddingLength: 4096,
    blockCount: 32,
    headCount: 32,
    headCountKv: 8,
    feedForwardLength: 14336,
    contextLength: 8192,
    normalTokens: 128000,
    controlTokens: 256,
    weightType: GgmlType.Q4_0,
  },
} as const satisfies Record<string, ModelShape>;

export type ShapeName = keyof typeof SHAPES;

export const SHAPE_NAMES = Object.keys(SHAPES) as ShapeName[];

export function isShapeName(name: string): name is ShapeName {
  return Object.hasOwn(SHAPES, name);
}
