// Opens the one engine and the one queue of the process from the configuration. The commands that
// generate text (start, ask, probe) and the second models they open (a judge, an A/B probe's
// compared model) go through here, so they load models alike. The bench does not: it loads
// LlamaEngine itself, to control every engine setting it measures.
// With the default engine.backends (the in-process model alone) the queue runs on the LlamaEngine
// itself, as always; with servers configured, on a BackendPool over all of them.

import { displayModelUri, isRemoteModelUri, type AppConfig } from "../config/schema.js";
import { defaultThreads } from "../config/threads.js";
import { BackendPool, type PoolMember } from "../inference/backends/backend-pool.js";
import { ProgressRenderer } from "../inference/download-progress.js";
import { LlamaEngine } from "../inference/engine.js";
import { resolveModelPath } from "../inference/model-file.js";
import { InferenceQueue } from "../inference/queue.js";
import type { Engine } from "../inference/types.js";
import { backendsFingerprint, openAiMember, selectBackends } from "./backends.js";
import { modelFingerprint } from "./model-fingerprint.js";

/** Disposing cancels what is still queued or running, then frees the model(s); twice is fine. */
export interface Inference extends AsyncDisposable {
  /** What the queue runs on: the in-process engine, or the pool of backends. */
  readonly engine: Engine;
  /** The in-process model, when one of the backends is. */
  readonly local: LlamaEngine | undefined;
  /** The backends, when servers are configured (state, slots, latency). */
  readonly pool: BackendPool | undefined;
  readonly queue: InferenceQueue;
  /** The local model file, when there is one. */
  readonly modelPath: string | undefined;
  /** Identifies the model(s) answering, for the probe history. */
  readonly fingerprint: () => Promise<string>;
}

export interface OpenInferenceOptions {
  /** Where download progress and llama.cpp warnings go (the log's stream for `start`, stderr for the other commands). */
  readonly status: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
  /** Another model than `model.uri` (the judge model); same engine settings otherwise, in-process only. */
  readonly model?: string;
  /** Sequences, when not `engine.parallel`. */
  readonly parallel?: number;
  /** Only this one of engine.backends (probe --backend, a judge on a backend). */
  readonly backend?: string;
  /** Where the backends' API keys are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Backend state changes (out of rotation, back). Default: the status stream. */
  readonly log?: (level: "info" | "warn", message: string) => void;
  /** Download progress of a model being fetched (readiness: "downloading"). */
  readonly onDownload?: (progress: { downloadedBytes: number; totalBytes: number }) => void;
  /** The model file is there; loading it into memory starts (readiness: "loading"). */
  readonly onLoading?: () => void;
}

export async function openInference(config: AppConfig, options: OpenInferenceOptions): Promise<Inference> {
  const backends = options.model === undefined ? selectBackends(config, options.backend) : [{ name: "judge", kind: "in-process" as const }];
  const wantsLocal = backends.some((b) => b.kind === "in-process");
  // Keys and names are checked before minutes of model loading.
  const remote = backends.flatMap((b) => (b.kind === "openai" ? [openAiMember(b, options.env ?? process.env)] : []));
  const local = wantsLocal ? await loadLocal(config, options) : undefined;

  let engine: Engine;
  let pool: BackendPool | undefined;
  if (local && remote.length === 0) {
    engine = local.engine;
  } else {
    const members: PoolMember[] = backends.map((b) =>
      b.kind === "in-process"
        ? { name: b.name, kind: "in-process", engine: local!.engine, slots: local!.engine.parallel }
        : remote.find((m) => m.name === b.name)!,
    );
    const log = options.log ?? ((level, message) => options.status.write(`${level}: ${message}\n`));
    try {
      pool = await BackendPool.open(members, { ...config.engine.backendChecks, log });
    } catch (error) {
      await local?.engine[Symbol.asyncDispose]();
      throw error;
    }
    engine = pool;
  }
  const queue = new InferenceQueue(engine, {
    sampling: config.sampling,
    maxWaiting: config.queue.maxWaiting,
    maxPerUser: config.queue.maxPerUser,
    timeouts: config.queue.timeouts,
  });
  let fingerprint: Promise<string> | undefined;
  let disposal: Promise<void> | undefined;
  return {
    engine,
    local: local?.engine,
    pool,
    queue,
    modelPath: local?.modelPath,
    fingerprint: () =>
      (fingerprint ??= (async () => {
        const file = local ? await modelFingerprint(local.modelPath) : undefined;
        return pool ? backendsFingerprint(backends, file) : file!;
      })()),
    [Symbol.asyncDispose]: () =>
      (disposal ??= (async () => {
        await queue[Symbol.asyncDispose]();
        await engine[Symbol.asyncDispose]();
      })()),
  };
}

async function loadLocal(config: AppConfig, options: OpenInferenceOptions): Promise<{ engine: LlamaEngine; modelPath: string }> {
  const progress = new ProgressRenderer(options.status);
  const uri = options.model ?? config.model.uri;
  const modelPath = await resolveModelPath(uri, {
    directory: config.model.directory,
    onProgress: (p) => {
      progress.update(p.downloadedBytes, p.totalBytes);
      options.onDownload?.(p);
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  progress.done();
  options.onLoading?.();
  const engine = await LlamaEngine.load({
    modelPath,
    modelName: displayName(uri, modelPath),
    gpu: config.engine.gpu,
    threads: config.engine.threads || defaultThreads(),
    parallel: options.parallel ?? config.engine.parallel,
    contextSize: config.engine.contextSize,
    batchSize: config.engine.batchSize,
    log: (level, message) => options.status.write(`llama.cpp ${level}: ${message}\n`),
  });
  return { engine, modelPath };
}

/** The URI for downloaded models (what the team configured), the file name for local files. */
function displayName(uri: string, modelPath: string): string {
  if (isRemoteModelUri(uri)) return displayModelUri(uri);
  return modelPath.split(/[\\/]/).pop() ?? modelPath;
}
