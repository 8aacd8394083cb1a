// Turns MODEL / --model / model.uri into the path of a complete GGUF file on this machine: local
// paths are checked (exists, is a file, is readable, is GGUF, is not truncated: gguf-check.ts);
// hf: URIs and http(s) URLs are downloaded once into model.directory (model-download.ts).

import { stat } from "node:fs/promises";
import path from "node:path";
import { isRemoteModelUri } from "../config/schema.js";
import { ModelFileError } from "./errors.js";
import { checkGgufFile } from "./gguf-check.js";
import { downloadModel } from "./model-download.js";

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

export async function resolveModelPath(uri: string, options: ResolveModelOptions): Promise<string> {
  const trimmed = uri.trim();
  if (trimmed === "") throw new ModelFileError(`no model given: ${HINT}`);
  if (isRemoteModelUri(trimmed)) return downloadModel(trimmed, options);
  return checkLocalFile(path.resolve(trimmed));
}

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
