// The real llama.cpp llama-server for tests: built once from node-llama-cpp's source bundle (about
// 10 minutes on a fresh 2-core machine, then cached under ~/.cache/elyza-bot/llama-server) and
// started on 127.0.0.1 with a generated model that only emits ASCII — llama-server aborts a stream
// with HTTP 500 when generated text is not valid UTF-8, which a random byte-level model produces.

import { ensureLlamaServer } from "../../src/llama-server/build.js";
import { startLlamaServer, type LlamaServerProcess } from "../../src/llama-server/process.js";
import { asciiModelPath } from "./test-model.js";

/** Long enough for a first build of llama-server on a slow machine. */
export const LLAMA_SERVER_HOOK_TIMEOUT = 40 * 60_000;

export interface TestServerOptions {
  readonly parallel?: number;
  /** Restart on a known port (a server "coming back"). */
  readonly port?: number;
  readonly modelPath?: string;
}

export async function startTestLlamaServer(options: TestServerOptions = {}): Promise<LlamaServerProcess> {
  const build = await ensureLlamaServer({ log: (line) => process.stderr.write(`${line}\n`) });
  return startLlamaServer({
    serverPath: build.serverPath,
    modelPath: options.modelPath ?? (await asciiModelPath()),
    parallel: options.parallel ?? 2,
    contextPerSlot: 4096,
    threads: 1,
    ...(options.port === undefined ? {} : { port: options.port }),
    extraArgs: ["--metrics"],
  });
}
