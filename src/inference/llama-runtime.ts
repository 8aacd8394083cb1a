// Loads the llama.cpp runtime the same way on every host: the prebuilt binary only (never a
// source build, which would try to download llama.cpp offline), GPU chosen by config, threads
// explicit (node-llama-cpp's default of max(4, cores) is ~100x slower on a 2-core machine).

import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

export type GpuSetting = "auto" | "cuda" | "vulkan" | "metal" | false;

export interface RuntimeOptions {
  readonly gpu: GpuSetting;
  readonly threads: number;
  /** Forward llama.cpp's warnings and errors; info and debug stay quiet. */
  readonly log?: (level: "warn" | "error", message: string) => void;
}

export async function loadRuntime(options: RuntimeOptions): Promise<Llama> {
  return getLlama({
    gpu: options.gpu,
    build: "never",
    skipDownload: true,
    maxThreads: options.threads,
    progressLogs: false,
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      const text = message.trim();
      if (!text) return;
      if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) options.log?.("error", text);
      else if (level === LlamaLogLevel.warn) options.log?.("warn", text);
    },
  });
}
