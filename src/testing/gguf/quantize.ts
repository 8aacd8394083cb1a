// Tensor data encodings, byte-compatible with ggml (ggml-quants.c *_ref functions, ggml-common.h
// block layouts). All arithmetic mirrors ggml's float32 math via Math.fround, so a value encodes
// to the same bytes ggml's reference quantizer would produce.

/** ggml_type ids (ggml.h) of the types this writer can produce. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
} as const;
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType];

export const GGML_TYPE_NAMES: Record<GgmlTypeId, string> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  8: "Q8_0",
};

/** Elements per block and bytes per block (ggml's type_traits). */
export const TYPE_LAYOUT: Record<GgmlTypeId, { blockSize: number; blockBytes: number }> = {
  0: { blockSize: 1, blockBytes: 4 },
  1: { blockSize: 1, blockBytes: 2 },
  // block_q4_0 { ggml_half d; uint8_t qs[16]; }
  2: { blockSize: 32, blockBytes: 18 },
  // block_q8_0 { ggml_half d; int8_t qs[32]; }
  8: { blockSize: 32, blockBytes: 34 },
};

/** Bytes of a row of `n` elements; ggml requires n to be a multiple of the block size. */
export function rowBytes(type: GgmlTypeId, n: number): number {
  const { blockSize, blockBytes } = TYPE_LAYOUT[type];
  if (n % blockSize !== 0) {
    throw new RangeError(`${GGML_TYPE_NAMES[type]} rows need a multiple of ${blockSize} elements, got ${n}`);
  }
  return (n / blockSize) * blockBytes;
}

/** Bytes of a tensor with ggml dims (dims[0] is the contiguous row). */
export function tensorBytes(type: GgmlTypeId, dims: readonly number[]): number {
  const [row = 1, ...rest] = dims;
  return rowBytes(type, row) * rest.reduce((a, b) => a * b, 1);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a float, round to nearest even (what ggml's fp32→fp16 gives). */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place, round to nearest even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && (half & 1) === 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to inf).
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1) ? 1 : 0));
}

/** Float value of IEEE binary16 bits. */
export function f16BitsToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Encode `src` (a whole number of rows) as `type` into `out` at `offset`; returns bytes written.
 * `out` must have room for tensorBytes(type, [src.length]).
 */
export function encode(type: GgmlTypeId, src: Float32Array, out: Buffer, offset = 0): number {
  switch (type) {
    case GgmlType.F32:
      if (LITTLE_ENDIAN) {
        out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), offset);
      } else {
        for (let i = 0; i < src.length; i++) out.writeFloatLE(src[i]!, offset + i * 4);
      }
      return src.length * 4;
    case GgmlType.F16:
      // Byte stores: several times faster than Buffer.writeUInt16LE in this hot loop.
      for (let i = 0, at = offset; i < src.length; i++, at += 2) {
        const h = f32ToF16Bits(src[i]!);
        out[at] = h & 0xff;
        out[at + 1] = h >>> 8;
      }
      return src.length * 2;
    case GgmlType.Q8_0:
      return quantizeQ8_0(src, out, offset);
    case GgmlType.Q4_0:
      return quantizeQ4_0(src, out, offset);
  }
}

/** Inverse of encode: `n` values of `type` from `buf` at `offset`. */
export function decode(type: GgmlTypeId, buf: Buffer, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(offset + i * 4);
      return out;
    case GgmlType.F16:
      for (let i = 0; i < n; i++) out[i] = f16BitsToF32(buf.readUInt16LE(offset + i * 2));
      return out;
    case GgmlType.Q8_0:
      for (let b = 0; b < n / 32; b++) {
        const at = offset + b * 34;
        const d = f16BitsToF32(buf.readUInt16LE(at));
        for (let j = 0; j < 32; j++) out[b * 32 + j] = buf.readInt8(at + 2 + j) * d;
      }
      return out;
    case GgmlType.Q4_0:
      // dequantize_row_q4_0: low nibble of byte j is element j, high nibble is element j+16.
      for (let b = 0; b < n / 32; b++) {
        const at = offset + b * 18;
        const d = f16BitsToF32(buf.readUInt16LE(at));
        for (let j = 0; j < 16; j++) {
          const q = buf[at + 2 + j]!;
          out[b * 32 + j] = ((q & 0x0f) - 8) * d;
          out[b * 32 + j + 16] = ((q >>> 4) - 8) * d;
        }
      }
      return out;
  }
}

/** quantize_row_q8_0_ref: per 32 values, d = amax/127 (f16), q = roundf(x/d). */
export function quantizeQ8_0(src: Float32Array, out: Buffer, offset = 0): number {
  if (src.length % 32 !== 0) throw new RangeError("Q8_0 needs a multiple of 32 values");
  const fr = Math.fround;
  let at = offset;
  for (let i = 0; i < src.length; i += 32) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[i + j]!));
    const d = fr(amax / 127);
    const id = d !== 0 ? fr(1 / d) : 0;
    out.writeUInt16LE(f32ToF16Bits(d), at);
    for (let j = 0; j < 32; j++) {
      const x = fr(src[i + j]! * id);
      // roundf rounds halves away from zero; Math.round alone would round -2.5 to -2.
      out[at + 2 + j] = (x < 0 ? -Math.round(-x) : Math.round(x)) & 0xff;
    }
    at += 34;
  }
  return at - offset;
}

/** quantize_row_q4_0_ref: per 32 values, d = max/-8 (signed max by |x|), q = min(15, (int8)(x/d + 8.5)). */
export function quantizeQ4_0(src: Float32Array, out: Buffer, offset = 0): number {
  if (src.length % 32 !== 0) throw new RangeError("Q4_0 needs a multiple of 32 values");
  const fr = Math.fround;
  let at = offset;
  for (let i = 0; i < src.length; i += 32) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = src[i + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fr(max / -8);
    const id = d !== 0 ? fr(1 / d) : 0;
    out.writeUInt16LE(f32ToF16Bits(d), at);
    for (let j = 0; j < 16; j++) {
      const x0 = fr(src[i + j]! * id);
      const x1 = fr(src[i + 16 + j]! * id);
      const q0 = Math.min(15, Math.trunc(fr(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(fr(x1 + 8.5)));
      out[at + 2 + j] = q0 | (q1 << 4);
    }
    at += 18;
  }
  return at - offset;
}

/** The values `src` takes after a round trip through `type` (what the engine will compute with). */
export function roundTrip(type: GgmlTypeId, src: Float32Array): Float32Array {
  const buf = Buffer.alloc(tensorBytes(type, [src.length]));
  encode(type, src, buf, 0);
  return decode(type, buf, 0, src.length);
}
