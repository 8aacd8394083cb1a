// GGUF v3 serialization (ggml/docs/gguf.md): header, metadata key/values, tensor infos, padding,
// tensor data. The header is built in memory (it is small even for a 128k vocabulary); tensor data
// is streamed to disk chunk by chunk so memory stays bounded whatever the model size.

import { open, rename, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { type GgmlTypeId, tensorBytes } from "./quantize.js";

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** gguf_type ids. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
type ScalarTypeName = Exclude<keyof typeof GgufValueType, "ARRAY">;

/** A typed metadata value: GGUF needs the exact type, JS numbers don't carry one. */
export type GgufValue =
  | { type: ScalarTypeName; value: number | bigint | string | boolean }
  | { type: "ARRAY"; itemType: ScalarTypeName; items: readonly (number | bigint | string | boolean)[] };

export type GgufMetadata = ReadonlyArray<readonly [key: string, value: GgufValue]>;

// Small constructors so metadata tables read like the spec.
export const gguf = {
  u32: (value: number): GgufValue => ({ type: "UINT32", value }),
  i32: (value: number): GgufValue => ({ type: "INT32", value }),
  u64: (value: number | bigint): GgufValue => ({ type: "UINT64", value }),
  f32: (value: number): GgufValue => ({ type: "FLOAT32", value }),
  bool: (value: boolean): GgufValue => ({ type: "BOOL", value }),
  str: (value: string): GgufValue => ({ type: "STRING", value }),
  strings: (items: readonly string[]): GgufValue => ({ type: "ARRAY", itemType: "STRING", items }),
  i32s: (items: readonly number[]): GgufValue => ({ type: "ARRAY", itemType: "INT32", items }),
  f32s: (items: readonly number[]): GgufValue => ({ type: "ARRAY", itemType: "FLOAT32", items }),
};

/** Grows a buffer as values are appended (little-endian, as GGUF is). */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  // room() may replace this.buf, so it must run before this.buf is read (hence `at` first).
  u8(v: number): void {
    const at = this.room(1);
    this.buf.writeUInt8(v, at);
  }
  i8(v: number): void {
    const at = this.room(1);
    this.buf.writeInt8(v, at);
  }
  u16(v: number): void {
    const at = this.room(2);
    this.buf.writeUInt16LE(v, at);
  }
  i16(v: number): void {
    const at = this.room(2);
    this.buf.writeInt16LE(v, at);
  }
  u32(v: number): void {
    const at = this.room(4);
    this.buf.writeUInt32LE(v, at);
  }
  i32(v: number): void {
    const at = this.room(4);
    this.buf.writeInt32LE(v, at);
  }
  u64(v: number | bigint): void {
    const at = this.room(8);
    this.buf.writeBigUInt64LE(BigInt(v), at);
  }
  i64(v: number | bigint): void {
    const at = this.room(8);
    this.buf.writeBigInt64LE(BigInt(v), at);
  }
  f32(v: number): void {
    const at = this.room(4);
    this.buf.writeFloatLE(v, at);
  }
  f64(v: number): void {
    const at = this.room(8);
    this.buf.writeDoubleLE(v, at);
  }
  /** gguf_string: uint64 byte length + UTF-8 bytes, no terminator. */
  str(s: string): void {
    const bytes = Buffer.byteLength(s, "utf8");
    this.u64(bytes);
    const at = this.room(bytes);
    this.buf.write(s, at, bytes, "utf8");
  }
  zeros(n: number): void {
    const at = this.room(n);
    this.buf.fill(0, at, this.length);
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeScalar(sink: ByteSink, type: ScalarTypeName, value: number | bigint | string | boolean, key: string): void {
  const num = (): number => {
    if (typeof value !== "number") throw new TypeError(`${key}: ${type} needs a number, got ${typeof value}`);
    return value;
  };
  switch (type) {
    case "UINT8":
      return sink.u8(num());
    case "INT8":
      return sink.i8(num());
    case "UINT16":
      return sink.u16(num());
    case "INT16":
      return sink.i16(num());
    case "UINT32":
      return sink.u32(num());
    case "INT32":
      return sink.i32(num());
    case "FLOAT32":
      return sink.f32(num());
    case "FLOAT64":
      return sink.f64(num());
    case "UINT64":
    case "INT64":
      if (typeof value !== "number" && typeof value !== "bigint") throw new TypeError(`${key}: ${type} needs an integer`);
      return type === "UINT64" ? sink.u64(value) : sink.i64(value);
    case "BOOL":
      if (typeof value !== "boolean") throw new TypeError(`${key}: BOOL needs a boolean`);
      return sink.u8(value ? 1 : 0);
    case "STRING":
      if (typeof value !== "string") throw new TypeError(`${key}: STRING needs a string`);
      return sink.str(value);
  }
}

export interface TensorInfo {
  readonly name: string;
  /** ggml order: dims[0] is the contiguous (input) dimension. */
  readonly dims: readonly number[];
  readonly type: GgmlTypeId;
}

export interface GgufLayout {
  /** Header + metadata + tensor infos + padding: the data section starts here. */
  readonly header: Buffer;
  /** Offset of each tensor relative to the data section, aligned. */
  readonly offsets: readonly number[];
  readonly sizes: readonly number[];
  /** Total file size in bytes. */
  readonly totalBytes: number;
  readonly alignment: number;
}

const alignUp = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;

/** Serialize everything before the tensor data, and compute where each tensor's data goes. */
export function layoutGguf(metadata: GgufMetadata, tensors: readonly TensorInfo[]): GgufLayout {
  const keys = new Set<string>();
  for (const [key] of metadata) {
    if (keys.has(key)) throw new Error(`duplicate GGUF key ${key}`);
    keys.add(key);
  }
  const alignmentKv = metadata.find(([key]) => key === "general.alignment")?.[1];
  const alignment = alignmentKv && alignmentKv.type !== "ARRAY" ? Number(alignmentKv.value) : GGUF_DEFAULT_ALIGNMENT;

  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, v] of metadata) {
    sink.str(key);
    sink.u32(GgufValueType[v.type]);
    if (v.type === "ARRAY") {
      sink.u32(GgufValueType[v.itemType]);
      sink.u64(v.items.length);
      for (const item of v.items) writeScalar(sink, v.itemType, item, key);
    } else {
      writeScalar(sink, v.type, v.value, key);
    }
  }

  const offsets: number[] = [];
  const sizes: number[] = [];
  let dataBytes = 0;
  for (const t of tensors) {
    const size = tensorBytes(t.type, t.dims);
    offsets.push(dataBytes);
    sizes.push(size);
    dataBytes = alignUp(dataBytes + size, alignment);
    sink.str(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(t.type);
    sink.u64(offsets[offsets.length - 1]!);
  }
  sink.zeros(alignUp(sink.length, alignment) - sink.length);
  const header = Buffer.from(sink.bytes());
  // The last tensor is padded too, as gguf_write does; the loader only needs offset + size ≤ file.
  return { header, offsets, sizes, totalBytes: header.length + dataBytes, alignment };
}

/** Produces one tensor's bytes, in order, as a sequence of chunks (bounded size each). */
export type TensorDataSource = () => Iterable<Uint8Array>;

export interface WriteGgufOptions {
  readonly onProgress?: (written: number, total: number) => void;
}

/**
 * Write a GGUF file: `OUT.tmp-<random>` first, renamed onto `outPath` when complete, so a half
 * written file never exists under the final name (parallel writers of the same file are safe too).
 */
export async function writeGguf(
  outPath: string,
  metadata: GgufMetadata,
  tensors: ReadonlyArray<TensorInfo & { readonly data: TensorDataSource }>,
  options: WriteGgufOptions = {},
): Promise<{ bytes: number }> {
  const layout = layoutGguf(metadata, tensors);
  const tmpPath = `${outPath}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const file = await open(tmpPath, "w");
  let position = 0;
  const write = async (chunk: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await file.write(chunk, done, chunk.length - done, position);
      done += bytesWritten;
      position += bytesWritten;
    }
    options.onProgress?.(position, layout.totalBytes);
  };
  try {
    await write(layout.header);
    for (const [i, t] of tensors.entries()) {
      const start = layout.header.length + layout.offsets[i]!;
      if (position !== start) await write(Buffer.alloc(start - position));
      for (const chunk of t.data()) await write(chunk);
      if (position !== start + layout.sizes[i]!) {
        throw new Error(`tensor ${t.name}: wrote ${position - start} bytes, expected ${layout.sizes[i]}`);
      }
    }
    if (position < layout.totalBytes) await write(Buffer.alloc(layout.totalBytes - position));
    await file.close();
    await rename(tmpPath, outPath);
  } catch (err) {
    await file.close().catch(() => {});
    await rm(tmpPath, { force: true });
    throw err;
  }
  return { bytes: layout.totalBytes };
}
