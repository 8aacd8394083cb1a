// The GGUF writer's pieces on their own: PRNG, fp16 and ggml block encodings, vocabulary, GGUF
// serialization (checked with node-llama-cpp's own parser), and the llama3-8b plan (not written).

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gguf, layoutGguf, writeGguf } from "../../src/testing/gguf/gguf-writer.js";
import { layoutModel, planModel } from "../../src/testing/gguf/model-plan.js";
import { GgmlType, decode, encode, f16BitsToF32, f32ToF16Bits, quantizeQ4_0, quantizeQ8_0, roundTrip, tensorBytes } from "../../src/testing/gguf/quantize.js";
import { Rng, deriveSeed } from "../../src/testing/gguf/random.js";
import { SHAPES, SHAPE_NAMES } from "../../src/testing/gguf/shapes.js";
import { byteLevelAlphabet, buildVocabulary, toByteLevel } from "../../src/testing/gguf/vocab.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "gguf-format-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Rng", () => {
  it("is xoshiro128** seeded by splitmix32 (values checked against an independent implementation)", () => {
    const rng = new Rng(1);
    expect([1, 2, 3, 4, 5].map(() => rng.nextUint32())).toEqual([2442144158, 3238099751, 3819917871, 2104621829, 2021136066]);
    expect(new Rng(0xffffffff).nextUint32()).toBe(835879718);
    expect(deriveSeed(1, "token_embd.weight")).toBe(4187167611);
  });

  it("fills uniform values inside the amplitude, centred on zero", () => {
    const values = new Float32Array(100_000);
    new Rng(5).fillUniform(values, 0.5);
    let sum = 0;
    let max = 0;
    for (const v of values) {
      max = Math.max(max, Math.abs(v));
      sum += v;
    }
    expect(max).toBeLessThanOrEqual(0.5);
    expect(max).toBeGreaterThan(0.49);
    expect(Math.abs(sum / values.length)).toBeLessThan(0.01);
  });
});

describe("fp16", () => {
  it("encodes known values with round-to-nearest-even", () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(0.1)).toBe(0x2e66);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // tie above the max half rounds to infinity
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
  });

  it("round-trips every finite half exactly", () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue; // inf/NaN
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });
});

describe("ggml block quantization", () => {
  it("Q8_0: f16 scale amax/127, then 32 int8 rounded half away from zero", () => {
    const x = new Float32Array(32);
    x[0] = 2.5;
    x[1] = -2.5;
    x[2] = 127;
    x[3] = -0.4;
    const out = Buffer.alloc(34);
    expect(quantizeQ8_0(x, out)).toBe(34);
    expect(out.readUInt16LE(0)).toBe(0x3c00); // d = 1
    expect([out.readInt8(2), out.readInt8(3), out.readInt8(4), out.readInt8(5)]).toEqual([3, -3, 127, 0]);
  });

  it("Q4_0: d = signed max / -8, element j in the low nibble of byte j and element j+16 in its high nibble", () => {
    const x = new Float32Array(32);
    for (let j = 0; j < 16; j++) {
      x[j] = j - 8; // -8 … 7 → q = j
      x[16 + j] = 7 - j; // 7 … -8 → q = 15 - j
    }
    const out = Buffer.alloc(18);
    expect(quantizeQ4_0(x, out)).toBe(18);
    // max by |x| is -8, so d = -8 / -8 = 1
    expect(out.readUInt16LE(0)).toBe(0x3c00);
    for (let j = 0; j < 16; j++) expect(out[2 + j]).toBe(j | ((15 - j) << 4));
    expect(Array.from(decode(GgmlType.Q4_0, out, 0, 32))).toEqual(Array.from(x));
  });

  it("Q4_0 of a block whose largest magnitude is positive gets a negative scale", () => {
    const x = new Float32Array(32).fill(0);
    x[5] = 4;
    const out = Buffer.alloc(18);
    quantizeQ4_0(x, out);
    expect(f16BitsToF32(out.readUInt16LE(0))).toBe(-0.5);
    expect(decode(GgmlType.Q4_0, out, 0, 32)[5]).toBe(4);
  });

  it.each([
    ["F16", GgmlType.F16, 1e-3],
    ["Q8_0", GgmlType.Q8_0, 1 / 254 + 1e-3],
    ["Q4_0", GgmlType.Q4_0, 1 / 8 + 1e-3],
  ] as const)("%s round trip stays within half a quantization step", (_name, type, relTol) => {
    const x = new Float32Array(32 * 64);
    new Rng(9).fillUniform(x, 1);
    const y = roundTrip(type, x);
    for (let b = 0; b < x.length; b += 32) {
      const amax = Math.max(...Array.from(x.subarray(b, b + 32), Math.abs));
      for (let j = b; j < b + 32; j++) expect(Math.abs(y[j]! - x[j]!)).toBeLessThanOrEqual(amax * relTol);
    }
  });

  it("sizes tensors like ggml and refuses rows that are not whole blocks", () => {
    expect(tensorBytes(GgmlType.F32, [64, 3])).toBe(768);
    expect(tensorBytes(GgmlType.F16, [64, 3])).toBe(384);
    expect(tensorBytes(GgmlType.Q8_0, [64, 3])).toBe(6 * 34);
    expect(tensorBytes(GgmlType.Q4_0, [64, 3])).toBe(6 * 18);
    expect(() => tensorBytes(GgmlType.Q4_0, [48, 2])).toThrow(/multiple of 32/);
    expect(() => encode(GgmlType.Q8_0, new Float32Array(40), Buffer.alloc(100))).toThrow(/multiple of 32/);
  });
});

describe("vocabulary", () => {
  it("starts with GPT-2's 256 byte tokens in bytes_to_unicode order", () => {
    const alphabet = byteLevelAlphabet();
    expect(alphabet).toHaveLength(256);
    expect(new Set(alphabet.map((a) => a.byte)).size).toBe(256);
    expect(alphabet[0]).toEqual({ byte: 0x21, char: "!" });
    expect(alphabet.find((a) => a.byte === 0x20)?.char).toBe("Ġ");
    expect(alphabet.find((a) => a.byte === 0x0a)?.char).toBe("Ċ");
    expect(toByteLevel("の")).toBe("ãģ®");
  });

  it("has merges that join existing tokens into existing tokens, then control tokens", () => {
    const v = buildVocabulary({ normalCount: 368, specialCount: 16 });
    const ids = new Map(v.tokens.map((t, i) => [t, i]));
    expect(ids.size).toBe(v.tokens.length);
    expect(v.tokens.slice(0, 256)).toEqual(byteLevelAlphabet().map((a) => a.char));
    for (const [rank, merge] of v.merges.entries()) {
      const [left, right] = merge.split(" ") as [string, string];
      const merged = ids.get(left + right)!;
      expect(merged).toBe(256 + rank);
      expect(ids.get(left)).toBeLessThan(merged);
      expect(ids.get(right)).toBeLessThan(merged);
    }
    expect(v.tokens[v.firstControlId]).toBe("<|begin_of_text|>");
    expect(v.tokens[v.eotId]).toBe("<|eot_id|>");
    expect(v.tokenTypes.filter((t) => t === 3)).toHaveLength(16);
    expect(v.merges).toContain("ãģ ®"); // の is one token
  });
});

describe("GGUF serialization", () => {
  it("writes every metadata type and tensor layout that node-llama-cpp's parser reads back", async () => {
    const file = path.join(dir, "all-types.gguf");
    const f32Values = new Float32Array([1, -2, 0.5, 3]);
    const q8Values = new Float32Array(64);
    new Rng(3).fillUniform(q8Values, 1);
    await writeGguf(
      file,
      [
        ["general.architecture", gguf.str("llama")],
        ["test.u8", { type: "UINT8", value: 200 }],
        ["test.i8", { type: "INT8", value: -100 }],
        ["test.u16", { type: "UINT16", value: 60000 }],
        ["test.i16", { type: "INT16", value: -30000 }],
        ["test.u32", gguf.u32(4_000_000_000)],
        ["test.i32", gguf.i32(-2_000_000_000)],
        ["test.f32", gguf.f32(0.25)],
        ["test.bool", gguf.bool(true)],
        ["test.str", gguf.str("日本語 ✓")],
        ["test.u64", gguf.u64(2n ** 40n)],
        ["test.i64", { type: "INT64", value: -5 }],
        ["test.f64", { type: "FLOAT64", value: Math.PI }],
        ["test.strs", gguf.strings(["a", "", "東京"])],
        ["test.ints", gguf.i32s([1, -2, 3])],
        ["test.floats", gguf.f32s([0.5, -1.5])],
        ["test.empty", gguf.strings([])],
      ],
      [
        { name: "a", dims: [4], type: GgmlType.F32, data: () => [Buffer.from(f32Values.buffer)] },
        {
          name: "b",
          dims: [32, 2],
          type: GgmlType.Q8_0,
          data: () => {
            const out = Buffer.alloc(68);
            quantizeQ8_0(q8Values, out);
            return [out.subarray(0, 34), out.subarray(34)];
          },
        },
      ],
    );
    const info = await readGgufFileInfo(file, { logWarnings: false });
    expect(info.version).toBe(3);
    const test = (info.metadata as unknown as { test: Record<string, unknown> }).test;
    expect(test).toEqual({
      u8: 200,
      i8: -100,
      u16: 60000,
      i16: -30000,
      u32: 4_000_000_000,
      i32: -2_000_000_000,
      f32: 0.25,
      bool: true,
      str: "日本語 ✓",
      u64: 2n ** 40n, // node-llama-cpp reads 64-bit metadata as bigint
      i64: -5n,
      f64: Math.PI,
      strs: ["a", "", "東京"],
      ints: [1, -2, 3],
      floats: [0.5, -1.5],
      empty: [],
    });
    const [a, b] = info.tensorInfo!;
    expect(a).toMatchObject({ name: "a", dimensions: [4], ggmlType: GgmlType.F32, offset: 0 });
    expect(b).toMatchObject({ name: "b", dimensions: [32, 2], ggmlType: GgmlType.Q8_0, offset: 32 });
    const bytes = await readFile(file);
    expect(Number(a!.fileOffset) % 32).toBe(0);
    expect(decode(GgmlType.F32, bytes, Number(a!.fileOffset), 4)).toEqual(f32Values);
    expect(decode(GgmlType.Q8_0, bytes, Number(b!.fileOffset), 64)).toEqual(roundTrip(GgmlType.Q8_0, q8Values));
    expect(bytes.length).toBe(Number(b!.fileOffset) + 96); // 68 bytes padded to 32
  });

  it("rejects duplicate keys, and leaves no file behind when a tensor's data is short", async () => {
    expect(() =>
      layoutGguf(
        [
          ["k", gguf.u32(1)],
          ["k", gguf.u32(2)],
        ],
        [],
      ),
    ).toThrow(/duplicate/);
    const file = path.join(dir, "short.gguf");
    await expect(writeGguf(file, [], [{ name: "a", dims: [4], type: GgmlType.F32, data: () => [Buffer.alloc(8)] }])).rejects.toThrow(/expected 16/);
    const { readdir } = await import("node:fs/promises");
    expect((await readdir(dir)).filter((f) => f.startsWith("short"))).toEqual([]);
  });
});

describe("shapes", () => {
  it("keep quantized widths whole blocks and heads dividing the width", () => {
    for (const name of SHAPE_NAMES) {
      const s = SHAPES[name];
      expect(s.embeddingLength % s.headCount, name).toBe(0);
      expect(s.headCount % s.headCountKv, name).toBe(0);
      if (s.weightType === GgmlType.Q4_0 || s.weightType === GgmlType.Q8_0) {
        expect(s.embeddingLength % 32, name).toBe(0);
        expect(s.feedForwardLength % 32, name).toBe(0);
      }
    }
  });

  it("plans tiny at about 0.6 MB with the tensors llama.cpp expects, in ggml [in, out] order", () => {
    const plan = planModel("tiny", 1);
    const names = plan.tensors.map((t) => t.name);
    expect(names.slice(0, 3)).toEqual(["token_embd.weight", "output_norm.weight", "output.weight"]);
    expect(names.slice(3, 12)).toEqual(
      ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"].map((n) => `blk.0.${n}.weight`),
    );
    const dims = Object.fromEntries(plan.tensors.map((t) => [t.name, t.dims]));
    expect(dims["token_embd.weight"]).toEqual([64, 384]);
    expect(dims["blk.1.attn_k.weight"]).toEqual([64, 32]); // 2 KV heads of 16
    expect(dims["blk.1.ffn_down.weight"]).toEqual([192, 64]);
    const bytes = layoutModel(plan).totalBytes;
    expect(bytes).toBeGreaterThan(500_000);
    expect(bytes).toBeLessThan(700_000);
  });
});

describe("llama3-8b plan (never written)", () => {
  const plan = planModel("llama3-8b", 1);
  const layout = layoutModel(plan);

  it("has the real model's dimensions, vocabulary size and control token ids", () => {
    const v = plan.vocabulary;
    expect(v.tokens).toHaveLength(128256);
    expect(v.tokens[128000]).toBe("<|begin_of_text|>");
    expect(v.tokens[128001]).toBe("<|end_of_text|>");
    expect(v.tokens[128006]).toBe("<|start_header_id|>");
    expect(v.tokens[128007]).toBe("<|end_header_id|>");
    expect(v.tokens[128009]).toBe("<|eot_id|>");
    expect(v.tokens[128255]).toBe("<|reserved_special_token_250|>");
    expect([v.bosId, v.eosId, v.eotId]).toEqual([128000, 128009, 128009]);
    expect(v.tokenTypes.slice(127999, 128001)).toEqual([1, 3]);
    expect(plan.tensors).toHaveLength(3 + 32 * 9);
    const dims = Object.fromEntries(plan.tensors.map((t) => [t.name, t.dims]));
    expect(dims["token_embd.weight"]).toEqual([4096, 128256]);
    expect(dims["blk.31.attn_q.weight"]).toEqual([4096, 4096]);
    expect(dims["blk.31.attn_k.weight"]).toEqual([4096, 1024]);
    expect(dims["blk.31.ffn_gate.weight"]).toEqual([4096, 14336]);
    expect(dims["blk.31.ffn_down.weight"]).toEqual([14336, 4096]);
    for (const t of plan.tensors) expect(t.type).toBe(t.dims.length === 1 ? GgmlType.F32 : GgmlType.Q4_0);
  });

  it("would be ~4.5 GB", () => {
    // 8.03e9 parameters × 18/32 bytes ≈ 4.52 GB
    expect(layout.totalBytes).toBeGreaterThan(4.3e9);
    expect(layout.totalBytes).toBeLessThan(4.9e9);
    expect(layout.header.length).toBeLessThan(8e6);
  });

  it("has a header node-llama-cpp parses (written alone, without tensor data)", async () => {
    const file = path.join(dir, "llama3-8b-header.gguf");
    await writeFile(file, layout.header);
    const info = await readGgufFileInfo(file, { logWarnings: false, ignoreKeys: ["tokenizer.ggml.merges"] });
    expect(info.metadata.general.architecture).toBe("llama");
    expect(info.architectureMetadata).toMatchObject({
      context_length: 8192,
      embedding_length: 4096,
      block_count: 32,
      feed_forward_length: 14336,
      attention: { head_count: 32, head_count_kv: 8 },
      rope: { freq_base: 500000, dimension_count: 128 },
      vocab_size: 128256,
    });
    expect(info.metadata.tokenizer.ggml.tokens).toHaveLength(128256);
    expect(info.tensorInfo).toHaveLength(291);
    const last = info.tensorInfo!.at(-1)!;
    expect(layout.header.length + Number(last.offset) + layout.sizes.at(-1)!).toBeLessThanOrEqual(layout.totalBytes);
  });
});
