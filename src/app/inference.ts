// Opens the one engine and the one queue of the process from the configuration. Every command
// that generates text (start, ask, probe, bench) goes through here, so they load models alike.

import { displayModelUri, isRemoteModelUri, type AppConfig } from "../config/schema.js";
import { defaultThreads } from "../config/threads.js";
import { ProgressRenderer } from "../inference/download-progress.js";
import { LlamaEngine } from "../inference/engine.js";
import { resolveModelPath } from "../inference/model-file.js";
import { InferenceQueue } from "../inference/queue.js";

export interface Inference {
  readonly engine: LlamaEngine;
  readonly queue: InferenceQueue;
  readonly modelPath: string;
  close(): Promise<void>;
}

export interface OpenInferenceOptions {
  /** Where download progress and llama.cpp warnings go (stderr). */
  readonly status: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
  /** Another model than `model.uri` (the judge model); same engine settings otherwise. */
  readonly model?: string;
  /** Sequences, when not `engine.parallel`. */
  readonly parallel?: number;
  /** Download progress of a model being fetched (readiness: "downloading"). */
  readonly onDownload?: (progress: { downloadedBytes: number; totalBytes: number }) => void;
  /** The model file is there; loading it into memory starts (readiness: "loading"). */
  readonly onLoading?: () => void;
}

export async function openInference(config: AppConfig, options: OpenInferenceOptions): Promise<Inference> {
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
  const queue = new InferenceQueue(engine, {
    sampling: config.sampling,
    maxWaiting: config.queue.maxWaiting,
    maxPerUser: config.queue.maxPerUser,
    timeouts: config.queue.timeouts,
  });
  return {
    engine,
    queue,
    modelPath,
    close: async () => {
      await engine.dispose();
    },
  };
}

/** The URI for downloaded models (what the team configured), the file name for local files. */
function displayName(uri: string, modelPath: string): string {
  if (isRemoteModelUri(uri)) return displayModelUri(uri);
  return modelPath.split(/[\\/]/).pop() ?? modelPath;
}
