// What a test model consists of: the GGUF metadata llama.cpp needs for a "llama" model and the
// tensor table with how each tensor's values are made. Pure data, nothing written here, so a test
// can check the 4.5 GB llama3-8b plan without producing it.

import { gguf, layoutGguf, type GgufLayout, type GgufMetadata, type TensorInfo } from "./gguf-writer.js";
import { GgmlType, type GgmlTypeId } from "./quantize.js";
import { deriveSeed } from "./random.js";
import { SHAPES, type ModelShape, type ShapeName } from "./shapes.js";
import { LLAMA3_CHAT_TEMPLATE, buildVocabulary, byteLevelAlphabet, type Vocabulary } from "./vocab.js";

/** How a tensor's values are made. */
export type TensorInit =
  | { readonly kind: "ones" }
  | {
      readonly kind: "uniform";
      /** Seed of this tensor's own stream (derived from the model seed and the tensor name). */
      readonly seed: number;
      /** Values are uniform in [-amplitude, amplitude). */
      readonly amplitude: number;
      /** Rows (output units; tokens for token_embd/output) from here on are all zero. */
      readonly zeroRowsFrom?: number;
      /** Only these rows keep their values, multiplied by `gain`; every other row is zero (see PlanOptions.asciiOutput). */
      readonly onlyRows?: { readonly rows: readonly number[]; readonly gain: number };
      /**
       * Store the values this tensor would hold after encoding as this type (e.g. an F32 twin of a
       * Q4_0 model, to check the quantized layout through the engine).
       */
      readonly roundTripThrough?: GgmlTypeId;
    };

export interface TensorPlan extends TensorInfo {
  readonly init: TensorInit;
}

export interface ModelPlan {
  readonly shape: ShapeName;
  readonly seed: number;
  readonly vocabulary: Vocabulary;
  readonly metadata: GgufMetadata;
  readonly tensors: readonly TensorPlan[];
}

/** llama_ftype of a model whose matrices are all of one type. */
const FILE_TYPE: Record<GgmlTypeId, number> = {
  [GgmlType.F32]: 0, // ALL_F32
  [GgmlType.F16]: 1, // MOSTLY_F16
  [GgmlType.Q4_0]: 2, // MOSTLY_Q4_0
  [GgmlType.Q8_0]: 7, // MOSTLY_Q8_0
};

export const ROPE_FREQ_BASE = 500000;
export const RMS_NORM_EPS = 1e-5;

function metadataFor(shapeName: ShapeName, shape: ModelShape, seed: number, vocab: Vocabulary): GgufMetadata {
  const headDim = shape.embeddingLength / shape.headCount;
  return [
    ["general.architecture", gguf.str("llama")],
    ["general.type", gguf.str("model")],
    // No "llama 3.1" in the name: node-llama-cpp would then try the 3.1 chat wrapper.
    ["general.name", gguf.str(`elyza-bot random test model (${shapeName}, seed ${seed})`)],
    ["general.file_type", gguf.u32(FILE_TYPE[shape.weightType])],
    ["general.quantization_version", gguf.u32(2)],
    ["general.alignment", gguf.u32(32)],
    ["llama.vocab_size", gguf.u32(vocab.tokens.length)],
    ["llama.context_length", gguf.u32(shape.contextLength)],
    ["llama.embedding_length", gguf.u32(shape.embeddingLength)],
    ["llama.block_count", gguf.u32(shape.blockCount)],
    ["llama.feed_forward_length", gguf.u32(shape.feedForwardLength)],
    ["llama.attention.head_count", gguf.u32(shape.headCount)],
    ["llama.attention.head_count_kv", gguf.u32(shape.headCountKv)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(RMS_NORM_EPS)],
    ["llama.rope.freq_base", gguf.f32(ROPE_FREQ_BASE)],
    ["llama.rope.dimension_count", gguf.u32(headDim)],
    ["tokenizer.ggml.model", gguf.str("gpt2")],
    ["tokenizer.ggml.pre", gguf.str("llama-bpe")],
    ["tokenizer.ggml.tokens", gguf.strings(vocab.tokens)],
    ["tokenizer.ggml.token_type", gguf.i32s(vocab.tokenTypes)],
    ["tokenizer.ggml.merges", gguf.strings(vocab.merges)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(vocab.bosId)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(vocab.eosId)],
    ["tokenizer.ggml.eot_token_id", gguf.u32(vocab.eotId)],
    ["tokenizer.chat_template", gguf.str(LLAMA3_CHAT_TEMPLATE)],
  ];
}

/**
 * Scale of the random weights: uniform with standard deviation GAIN/sqrt(fan in). With gain 1
 * the layers barely change the residual stream, so the next token depends on the last one only and
 * greedy decoding falls into one-token loops (measured: runs of 35–51 repeats in 64 tokens); with
 * gain 2 the context matters and 64 greedy tokens hold ~50 distinct ones, on 2 and 12 layers alike.
 * Embeddings get standard deviation 1 (RMS norm makes their absolute scale irrelevant).
 */
const GAIN = 2;
const matrixAmplitude = (fanIn: number): number => GAIN * Math.sqrt(3 / fanIn);

export interface PlanOptions {
  /**
   * Only tokens made of ASCII bytes can be generated: their output rows are scaled up (logits
   * ~20× wider) and every other row is zero, so a non-ASCII or control token (end of generation
   * included) always loses by a margin no temperature or top-p makes up. Why: llama.cpp's
   * llama-server aborts a stream with HTTP 500 when the generated text is not valid UTF-8, which a
   * random byte-level model produces all the time (half a Japanese character); an output layer
   * restricted to whole ASCII tokens is valid UTF-8 after every token, on every server and engine,
   * without asking the server for grammars or logit biases the code under test does not send.
   * The prompt side is unchanged: any UTF-8 (the Japanese system prompt) still tokenizes.
   * Answers then always run to max_tokens (stop reason "length").
   */
  readonly asciiOutput?: boolean;
}

/** Output-row gain of PlanOptions.asciiOutput: logit spread ~2 → ~40 against 0 for the zeroed rows. */
const ASCII_OUTPUT_GAIN = 20;

/** The full plan (metadata + tensor table) of a shape, for a seed. */
export function planModel(shapeName: ShapeName, seed = 1, options: PlanOptions = {}): ModelPlan {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const shape: ModelShape = SHAPES[shapeName];
  const vocab = buildVocabulary({ normalCount: shape.normalTokens, specialCount: shape.controlTokens });
  const nEmbd = shape.embeddingLength;
  const nVocab = vocab.tokens.length;
  const headDim = nEmbd / shape.headCount;
  const nEmbdKv = headDim * shape.headCountKv;
  const nFf = shape.feedForwardLength;
  const w = shape.weightType;

  const tensors: TensorPlan[] = [];
  const uniform = (name: string, dims: [number, number], amplitude: number, zeroRowsFrom?: number): void => {
    const init: TensorInit = { kind: "uniform", seed: deriveSeed(seed, name), amplitude, ...(zeroRowsFrom === undefined ? {} : { zeroRowsFrom }) };
    tensors.push({ name, dims, type: w, init });
  };
  const ones = (name: string, n: number): void => {
    tensors.push({ name, dims: [n], type: GgmlType.F32, init: { kind: "ones" } });
  };

  uniform("token_embd.weight", [nEmbd, nVocab], Math.sqrt(3));
  ones("output_norm.weight", nEmbd);
  // Control tokens get zero output rows, i.e. logit 0 while normal tokens spread around it: a
  // random model then rarely ends or emits headers on its own, and greedy decoding never does.
  uniform("output.weight", [nEmbd, nVocab], matrixAmplitude(nEmbd), vocab.firstControlId);
  if (options.asciiOutput) {
    const output = tensors[tensors.length - 1]!;
    const rows = asciiTokenIds(vocab);
    tensors[tensors.length - 1] = {
      ...output,
      init: { ...(output.init as Extract<TensorInit, { kind: "uniform" }>), onlyRows: { rows, gain: ASCII_OUTPUT_GAIN } },
    };
  }
  for (let i = 0; i < shape.blockCount; i++) {
    const p = `blk.${i}.`;
    ones(`${p}attn_norm.weight`, nEmbd);
    uniform(`${p}attn_q.weight`, [nEmbd, nEmbd], matrixAmplitude(nEmbd));
    uniform(`${p}attn_k.weight`, [nEmbd, nEmbdKv], matrixAmplitude(nEmbd));
    uniform(`${p}attn_v.weight`, [nEmbd, nEmbdKv], matrixAmplitude(nEmbd));
    uniform(`${p}attn_output.weight`, [nEmbd, nEmbd], matrixAmplitude(nEmbd));
    ones(`${p}ffn_norm.weight`, nEmbd);
    uniform(`${p}ffn_gate.weight`, [nEmbd, nFf], matrixAmplitude(nEmbd));
    uniform(`${p}ffn_up.weight`, [nEmbd, nFf], matrixAmplitude(nEmbd));
    uniform(`${p}ffn_down.weight`, [nFf, nEmbd], matrixAmplitude(nFf));
  }

  return { shape: shapeName, seed, vocabulary: vocab, metadata: metadataFor(shapeName, shape, seed, vocab), tensors };
}

/** Ids of the normal tokens made only of printable ASCII bytes, space and newline. */
function asciiTokenIds(vocab: Vocabulary): number[] {
  const byteOf = new Map(byteLevelAlphabet().map(({ byte, char }) => [char, byte]));
  const printable = (c: string) => {
    const b = byteOf.get(c);
    return b !== undefined && ((b >= 0x20 && b < 0x7f) || b === 0x0a);
  };
  const ids: number[] = [];
  for (let id = 0; id < vocab.firstControlId; id++) if ([...vocab.tokens[id]!].every(printable)) ids.push(id);
  return ids;
}

/** Header bytes, tensor offsets and total file size of a plan, without producing any tensor data. */
export function layoutModel(plan: ModelPlan): GgufLayout {
  return layoutGguf(plan.metadata, plan.tensors);
}
