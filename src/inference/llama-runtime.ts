// Loads the llama.cpp runtime the same way on every host: this host's own build when one is cached
// (npm run build:native; build/native-engine.ts copies it into node-llama-cpp), else the prebuilt
// binary — never a build at start-up, which would try to download llama.cpp offline. GPU chosen by
// config, threads explicit (node-llama-cpp's default of max(4, cores) is ~100x slower on a 2-core
// machine).

import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { installNativeEngines } from "../build/native-engine.js";

export type GpuSetting = "auto" | "cuda" | "vulkan" | "metal" | false;

export interface RuntimeOptions {
  readonly gpu: GpuSetting;
  readonly threads: number;
  /** Forward llama.cpp's warnings and errors; info and debug stay quiet. */
  readonly log?: (level: "warn" | "error", message: string) => void;
}

export async function loadRuntime(options: RuntimeOptions): Promise<Llama> {
  // A cached build that cannot be put in place is not worth failing the start for.
  const log = (line: string): void => options.log?.("warn", line);
  await installNativeEngines({ log }).catch((error: unknown) =>
    options.log?.("warn", `this host's llama.cpp build could not be installed, using the prebuilt binary: ${String(error)}`),
  );
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

/** Which llama.cpp binary runs: this host's own build, or node-llama-cpp's prebuilt one. */
export function binaryOf(llama: Llama): "native" | "prebuilt" {
  return llama.buildType === "localBuild" ? "native" : "prebuilt";
}
