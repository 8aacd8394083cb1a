// Turns MODEL / --model / model.uri into the path of a complete GGUF file on this machine.
//
// Local paths are checked (exists, is a file, is readable, is GGUF, is not truncated). hf: URIs and
// http(s) URLs go through node-llama-cpp's resolveModelFile, which downloads once into
// model.directory and returns the existing file afterwards, without touching the network.
//
// What node-llama-cpp 3.21.1 (via ipull 3.9.5) does with an interrupted download, read from its
// code and exercised by test/inference/model-file.test.ts:
//   - bytes go to "<file>.gguf.ipull" with the resume state (JSON) appended after the file's
//     length; only a download that reached 100 % is renamed to "<file>.gguf". A later run resumes
//     from the .ipull file (5 MB chunks) and never mistakes it for the model.
//   - cancelling through the signal deletes the .ipull file by default; we pass
//     deleteTempFileOnCancel: false so Ctrl-C during a 5 GB download keeps what was fetched.
//   - connection drops are retried (150 attempts, backoff up to 5 s) — also while resolving the
//     file size, before the signal is even looked at, so offline it would hang ~12 minutes. Hence
//     the quick reachability check below, and the signal is raced rather than trusted.
//   - an existing "<file>.gguf" is returned as is (verify: false), whatever its size; and with
//     verify: true a size mismatch is still returned, not re-downloaded. A server that ends a
//     non-resumable response early can also leave a full-length file with a zero tail. So every
//     file is checked here before it is returned: GGUF magic, a readable header, and tensor data
//     that fits in the file; a bad downloaded file is deleted and fetched again.
//   - the Hugging Face endpoint can be moved: `endpoints.huggingFace`, or the MODEL_ENDPOINT /
//     HF_ENDPOINT environment variables (in that order). Tests point it at a local server.

import { open, rm, stat } from "node:fs/promises";
import path from "node:path";
import { displayModelUri, isRemoteModelUri } from "../config/schema.js";
import { ModelFileError } from "./errors.js";

export interface DownloadProgress {
  readonly downloadedBytes: number;
  readonly totalBytes: number;
}

export interface ResolveModelOptions {
  /** Where URIs are downloaded to and found again. */
  readonly directory: string;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Aborting rejects with the signal's reason and keeps the partial download for next time. */
  readonly signal?: AbortSignal;
  /** A Hugging Face mirror for hf: URIs; default MODEL_ENDPOINT, HF_ENDPOINT, huggingface.co. */
  readonly huggingFaceEndpoint?: string;
  /** How long the download server may take to answer before it counts as unreachable. */
  readonly connectTimeoutMs?: number;
}

const HINT = "check MODEL or --model";
const OFFLINE_HINT = "to run without network, set MODEL (or --model) to a local .gguf file";

export async function resolveModelPath(uri: string, options: ResolveModelOptions): Promise<string> {
  const trimmed = uri.trim();
  if (trimmed === "") throw new ModelFileError(`no model given: ${HINT}`);
  if (isRemoteModelUri(trimmed)) return resolveRemote(trimmed, options);
  return checkLocalFile(path.resolve(trimmed));
}

// ---------------------------------------------------------------------------------------------
// Local files

async function checkLocalFile(file: string): Promise<string> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new ModelFileError(`model file not found: ${file} (${HINT})`);
    throw new ModelFileError(`cannot read model file ${file}: ${code ?? String(error)} (${HINT})`);
  }
  if (info.isDirectory()) throw new ModelFileError(`model path is a directory, not a .gguf file: ${file} (${HINT})`);
  if (!info.isFile()) throw new ModelFileError(`model path is not a regular file: ${file} (${HINT})`);
  const check = await checkGgufFile(file);
  if (!check.ok) throw new ModelFileError(`model file ${file} ${check.problem} (${HINT})`);
  return file;
}

/** `unreadable`: the file could not be opened or read (permissions, I/O) — not evidence it is bad. */
export type GgufCheck =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly problem: string; readonly unreadable?: true };

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

/** ggml type id → [elements per block, bytes per block], from ggml's type_traits. */
const GGML_TYPE_SIZES: Readonly<Record<number, readonly [number, number]>> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  16: [256, 66], // IQ2_XXS
  17: [256, 74], // IQ2_XS
  18: [256, 98], // IQ3_XXS
  19: [256, 50], // IQ1_S
  20: [32, 18], // IQ4_NL
  21: [256, 110], // IQ3_S
  22: [256, 82], // IQ2_S
  23: [256, 136], // IQ4_XS
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  29: [256, 56], // IQ1_M
  30: [1, 2], // BF16
  34: [256, 54], // TQ1_0
  35: [256, 66], // TQ2_0
  39: [32, 17], // MXFP4
};

// ---------------------------------------------------------------------------------------------
// Downloads

async function resolveRemote(uri: string, options: ResolveModelOptions): Promise<string> {
  const { resolveModelFile } = await import("node-llama-cpp");
  const directory = path.resolve(options.directory);
  const endpoints = options.huggingFaceEndpoint ? { huggingFace: options.huggingFaceEndpoint } : undefined;
  const { signal } = options;

  // Downloaded before? No network needed to find out.
  let existing: string | undefined;
  try {
    existing = await resolveModelFile(uri, { directory, download: false, cli: false, ...(endpoints ? { endpoints } : {}) });
  } catch {
    existing = undefined; // not there (or a bad URI, which the download step reports)
  }
  // node-llama-cpp learns a plain URL's file name from the server; look for it offline too.
  existing ??= await existingUrlDownload(uri, directory);
  if (existing !== undefined) {
    const check = await checkGgufFile(existing);
    if (check.ok) return existing;
    // A file we cannot read (another owner, a flaky disk) may well be fine: never delete it.
    if (check.unreadable) throw new ModelFileError(`model file ${existing} ${check.problem} (check its permissions, or set MODEL or --model)`);
    // Corrupt or truncated: never load it; fetch it again (a partial download resumes from its .ipull file).
    await rm(existing, { force: true });
  }

  throwIfAborted(signal);
  await assertReachable(uri, endpoints?.huggingFace, options.connectTimeoutMs ?? 15_000, signal);

  let downloaded: string;
  try {
    downloaded = await raceAbort(
      resolveModelFile(uri, {
        directory,
        cli: false,
        deleteTempFileOnCancel: false,
        ...(endpoints ? { endpoints } : {}),
        ...(signal ? { signal } : {}),
        ...(options.onProgress
          ? {
              onProgress: ({ downloadedSize, totalSize }: { downloadedSize: number; totalSize: number }) =>
                options.onProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize }),
            }
          : {}),
      }),
      signal,
    );
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new ModelFileError(`could not download ${displayModelUri(uri)} into ${directory}: ${describeDownloadError(error)}; ${OFFLINE_HINT}`);
  }

  const check = await checkGgufFile(downloaded);
  if (!check.ok) {
    await rm(downloaded, { force: true });
    throw new ModelFileError(
      `the file downloaded for ${displayModelUri(uri)} ${check.problem}; it was deleted, run again to download it anew, or ${OFFLINE_HINT}`,
    );
  }
  return downloaded;
}

/** `directory/<last path segment>` of an http(s) URL, when that file exists. */
async function existingUrlDownload(uri: string, directory: string): Promise<string | undefined> {
  if (!/^https?:\/\//i.test(uri)) return undefined;
  try {
    const name = decodeURIComponent(new URL(uri).pathname.split("/").pop() ?? "");
    if (name === "" || name.includes("/") || name.includes("\\")) return undefined;
    const candidate = path.join(directory, name);
    return (await stat(candidate)).isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fails in seconds when the server cannot be reached at all; node-llama-cpp's downloader would
 * retry for minutes without a word. Any HTTP answer (even 404) counts as reachable.
 */
async function assertReachable(uri: string, huggingFaceEndpoint: string | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const base = uri.toLowerCase().startsWith("hf:") ? hfEndpoint(huggingFaceEndpoint) : uri;
  let origin: string;
  try {
    origin = new URL(base).origin;
  } catch {
    throw new ModelFileError(`not a valid model URL: ${base} (${HINT})`);
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let lastError: unknown;
  // Twice: a pooled keep-alive connection the server has just closed fails once (UND_ERR_SOCKET).
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const response = await fetch(origin, { method: "HEAD", redirect: "manual", signal: combined });
      await response.body?.cancel();
      return;
    } catch (error) {
      lastError = error;
      if (combined.aborted) break;
    }
  }
  if (signal?.aborted) throw signal.reason;
  const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
  const why = timeout.aborted ? `no answer within ${limit}` : networkCode(lastError);
  throw new ModelFileError(`could not download ${displayModelUri(uri)}: ${new URL(origin).host} is unreachable (${why}); ${OFFLINE_HINT}`);
}

/** Same order as node-llama-cpp's resolveHuggingFaceEndpoint. */
function hfEndpoint(option: string | undefined): string {
  for (const candidate of [option, process.env.MODEL_ENDPOINT, process.env.HF_ENDPOINT]) {
    if (candidate && /^https?:\/\//i.test(candidate)) return candidate;
  }
  return "https://huggingface.co/";
}

function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return firstLine(error);
}

function describeDownloadError(error: unknown): string {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === "number") {
    if (status === 401 || status === 403) return `HTTP ${status} (a gated or private model: set HF_TOKEN)`;
    if (status === 404) return "HTTP 404 (no such file: check the URI)";
    return `HTTP ${status}`;
  }
  const code = networkCode(error);
  if (code === "ENOSPC") return "the disk is full";
  return code;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").trim() || "unknown error";
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** Rejects as soon as `signal` aborts, even if `promise` ignores it (see the header). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
