// Where a dataset suite's file comes from: a local path, or `hf:datasets/OWNER/NAME/FILE` fetched
// once from the Hugging Face hub into the model cache directory (model.directory/datasets/…), from
// the same endpoint as models (MODEL_ENDPOINT, HF_ENDPOINT, huggingface.co). Afterwards the cached
// file is used without touching the network. Offline, the error says how to use a local file.

import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { huggingFaceEndpoint } from "../../net/hub-endpoint.js";
import { networkCode } from "../../net/network-code.js";
import { SuiteError } from "../suite-loader.js";

export interface DatasetFetchOptions {
  /** The model cache (model.directory); datasets go under its `datasets/` folder. */
  readonly directory: string;
  /** Default: MODEL_ENDPOINT, HF_ENDPOINT, then https://huggingface.co/ (as for models). */
  readonly huggingFaceEndpoint?: string;
  readonly connectTimeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** What to tell the user to set for a local file (names the suite file). */
  readonly localHint: string;
}

const HF_DATASET = /^hf:datasets\/([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)\/(.+)$/i;

export function isRemoteDataset(source: string): boolean {
  return /^hf:/i.test(source.trim());
}

/** The path of the dataset file on this machine, downloading it first when it is a hub URI not yet cached. */
export async function resolveDatasetFile(source: string, options: DatasetFetchOptions): Promise<string> {
  const trimmed = source.trim();
  if (!isRemoteDataset(trimmed)) {
    const file = path.resolve(trimmed);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new SuiteError(`dataset file not found: ${file} (${options.localHint})`);
    return file;
  }
  const match = HF_DATASET.exec(trimmed);
  if (!match || match[3]!.split("/").some((part) => part === ".." || part === "")) {
    throw new SuiteError(`not a dataset URI: ${trimmed} (expected hf:datasets/OWNER/NAME/FILE, e.g. hf:datasets/elyza/ELYZA-tasks-100/test.csv)`);
  }
  const [, owner, name, file] = match as unknown as [string, string, string, string];
  const target = path.join(path.resolve(options.directory), "datasets", owner, name, ...file.split("/"));
  if ((await stat(target).catch(() => undefined))?.isFile()) return target;

  const endpoint = huggingFaceEndpoint(options.huggingFaceEndpoint, options.env ?? process.env);
  const url = new URL(`datasets/${owner}/${name}/resolve/main/${file.split("/").map(encodeURIComponent).join("/")}`, endpoint);
  const offline = `to run without network, ${options.localHint}`;
  const token = (options.env ?? process.env).HF_TOKEN;
  let body: Buffer;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(options.connectTimeoutMs ?? 30_000),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
    if (!response.ok) {
      await response.body?.cancel();
      const why =
        response.status === 404
          ? "HTTP 404 (no such file: check the URI)"
          : response.status === 401 || response.status === 403
            ? `HTTP ${response.status} (a gated dataset: set HF_TOKEN)`
            : `HTTP ${response.status}`;
      throw new SuiteError(`could not download ${trimmed}: ${why}; ${offline}`);
    }
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    if (error instanceof SuiteError) throw error;
    throw new SuiteError(`could not download ${trimmed}: ${url.host} is unreachable (${networkCode(error)}); ${offline}`);
  }
  // Through a temporary name: an interrupted write never leaves a half file that looks cached.
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  try {
    await writeFile(partial, body);
    await rename(partial, target);
  } finally {
    await rm(partial, { force: true });
  }
  return target;
}

export async function readDatasetFile(source: string, options: DatasetFetchOptions): Promise<{ file: string; text: string }> {
  const file = await resolveDatasetFile(source, options);
  return { file, text: await readFile(file, "utf8") };
}
