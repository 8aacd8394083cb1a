// Runs a built llama-server on 127.0.0.1 as a child process: for the bench's side-by-side figures
// and as a real OpenAI-compatible backend in tests. Resolves once `/health` answers 200 (it answers
// 503 while the model loads); `stop()` ends it and is safe to call twice.

import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

export interface LlamaServerOptions {
  readonly serverPath: string;
  readonly modelPath: string;
  /** Default: a free port. */
  readonly port?: number;
  /** Slots (`--parallel`). */
  readonly parallel: number;
  /** Tokens per slot; llama-server's `-c` is the total, so this is multiplied by `parallel`. */
  readonly contextPerSlot: number;
  readonly threads: number;
  readonly batchSize?: number;
  /** Extra arguments, e.g. ["--seed", "1"]. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for `/health`; default 120 s. */
  readonly startTimeoutMs?: number;
  /** Lines of the server's own output, for debugging. */
  readonly onOutput?: (line: string) => void;
}

/** Disposing sends SIGTERM, then SIGKILL after 5 s, and resolves when the process is gone. */
export interface LlamaServerProcess extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGKILL at once (a crash, for fault tests); resolves when the process is gone. */
  kill(): Promise<void>;
}

export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServerProcess> {
  const port = options.port ?? (await freePort());
  const args = [
    "-m",
    options.modelPath,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--parallel",
    String(options.parallel),
    "-c",
    String(options.contextPerSlot * options.parallel),
    "-t",
    String(options.threads),
    "-tb",
    String(options.threads),
    ...(options.batchSize ? ["-b", String(options.batchSize)] : []),
    "--no-webui",
    ...(options.extraArgs ?? []),
  ];
  // The shared libraries lie beside the binary; a build whose RUNPATH still names its (deleted)
  // build directory finds them only through LD_LIBRARY_PATH.
  const libraries = [path.dirname(options.serverPath), process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  const child = spawn(options.serverPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LD_LIBRARY_PATH: libraries } });
  const tail: string[] = [];
  const onData = (data: Buffer) => {
    for (const line of data.toString("utf8").split("\n")) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const handle = processHandle(child, exited, url, port);
  try {
    await waitHealthy(url, child, exited, options.startTimeoutMs ?? 120_000, tail);
  } catch (error) {
    await handle.kill();
    throw error;
  }
  return handle;
}

function processHandle(child: ChildProcess, exited: Promise<void>, url: string, port: number): LlamaServerProcess {
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (gone()) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (gone()) return;
    child.kill("SIGKILL");
    await exited;
  };
  return { url, port, pid: child.pid ?? -1, kill, [Symbol.asyncDispose]: stop };
}

async function waitHealthy(url: string, child: ChildProcess, exited: Promise<void>, timeoutMs: number, tail: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`llama-server exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${tail.join("\n")}`);
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`llama-server did not become healthy at ${url} within ${timeoutMs} ms:\n${tail.join("\n")}`);
}

/** A port the OS reports free on 127.0.0.1 (closed again before the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
