// Whether a file is a complete GGUF model: the magic, a supported version, a header node-llama-cpp can
// read, and every tensor's data inside the file. Catches truncated copies and downloads before
// llama.cpp would crash or load garbage (see model-download.ts for how they happen).

import { open } from "node:fs/promises";
import { GGML_TYPE_SIZES } from "./ggml-type-sizes.js";

/** `unreadable`: the file could not be opened or read (permissions, I/O) — not evidence it is bad. */
export type GgufCheck = { readonly ok: true; readonly size: number } | { readonly ok: false; readonly problem: string; readonly unreadable?: true };

const GGUF_MAGIC = Buffer.from("GGUF", "latin1");

/**
 * Whether `file` is a complete GGUF file: magic, a parseable header, and every tensor's data inside
 * the file (catches truncated copies and downloads). `problem` reads after the file name.
 */
export async function checkGgufFile(file: string): Promise<GgufCheck> {
  let size: number;
  // magic, version (u32), tensor count (u64), key-value count (u64)
  const head = Buffer.alloc(24);
  try {
    const handle = await open(file, "r");
    try {
      size = (await handle.stat()).size;
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === "EACCES" || code === "EPERM" ? "cannot be read: permission denied" : `cannot be read: ${code ?? String(error)}`;
    return { ok: false, problem, unreadable: true };
  }
  if (size < 4 || !head.subarray(0, 4).equals(GGUF_MAGIC)) return { ok: false, problem: "is not a GGUF file (corrupt or truncated)" };
  const version = head.readUInt32LE(4);
  if (size < head.length || version < 2 || version > 3) {
    const detail = size < head.length ? "header cut short" : `unsupported GGUF version ${version}`;
    return { ok: false, problem: `is not a GGUF file (corrupt or truncated): ${detail}` };
  }

  const needed = await tensorDataEnd(file);
  if (needed === "unreadable") return { ok: false, problem: "is not a GGUF file (corrupt or truncated): its header cannot be read" };
  if (needed > size) {
    return { ok: false, problem: `is truncated: its tensors need ${needed} bytes but the file has ${size}` };
  }
  return { ok: true, size };
}

/** The byte offset where the last tensor's data ends, from the header alone. */
async function tensorDataEnd(file: string): Promise<number | "unreadable"> {
  const { readGgufFileInfo } = await import("node-llama-cpp");
  let tensors;
  let end: number;
  try {
    const info = await readGgufFileInfo(file, {
      sourceType: "filesystem",
      spliceSplitFiles: false,
      logWarnings: false,
      // The vocabulary is most of an 8B model's header; its values are not needed here.
      ignoreKeys: ["tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type", "tokenizer.ggml.scores"],
    });
    tensors = info.tensorInfo ?? [];
    // The reader does not stop at the end of the file: a header cut short must be caught here.
    end = info.infoEndOffset ?? 0;
  } catch {
    return "unreadable";
  }
  for (const tensor of tensors) {
    const elements = tensor.dimensions.reduce<number>((product, d) => product * Number(d), 1);
    const traits = GGML_TYPE_SIZES[tensor.ggmlType];
    // Unknown (newer) types: at least the tensor's first byte must be there.
    const bytes = traits ? Math.ceil(elements / traits[0]) * traits[1] : 1;
    end = Math.max(end, Number(tensor.fileOffset) + bytes);
  }
  return end;
}
