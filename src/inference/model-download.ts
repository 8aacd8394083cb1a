// hf: URIs and http(s) URLs → a complete GGUF file in model.directory, through node-llama-cpp's
// resolveModelFile, which downloads once and returns the existing file afterwards without touching
// the network.
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

import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { displayModelUri } from "../config/schema.js";
import { huggingFaceEndpoint } from "../net/hub-endpoint.js";
import { networkCode } from "../net/network-code.js";
import { ModelFileError } from "./errors.js";
import { checkGgufFile } from "./gguf-check.js";
import type { ResolveModelOptions } from "./model-file.js";

const OFFLINE_HINT = "to run without network, set MODEL (or --model) to a local .gguf file";

/** The local path of a downloaded model, fetching (or resuming) it when it is missing or bad. */
export async function downloadModel(uri: string, options: ResolveModelOptions): Promise<string> {
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
async function assertReachable(uri: string, endpointOption: string | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const base = uri.toLowerCase().startsWith("hf:") ? huggingFaceEndpoint(endpointOption) : uri;
  let origin: string;
  try {
    origin = new URL(base).origin;
  } catch {
    throw new ModelFileError(`not a valid model URL: ${base} (check MODEL or --model)`);
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
