// resolveModelPath: local path checks, and hf:/http downloads against a fake Hugging Face on
// 127.0.0.1 (node-llama-cpp's Hugging Face endpoint can be moved; we pass it as an option).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ModelFileError } from "../../src/inference/errors.js";
import { checkGgufFile } from "../../src/inference/gguf-check.js";
import { resolveModelPath, type DownloadProgress } from "../../src/inference/model-file.js";

/** A minimal GGUF v3 file: two F32 tensors of `elements` floats each, 32-byte aligned. */
function fakeGguf(elements = 1000, fill = 1): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    parts.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s, "utf8");
    u64(b.length);
    parts.push(b);
  };
  parts.push(Buffer.from("GGUF", "latin1"));
  u32(3); // version
  u64(2); // tensors
  u64(2); // key-value pairs
  str("general.architecture");
  u32(8); // string
  str("llama");
  str("general.name");
  u32(8);
  str("fake");
  const bytes = elements * 4;
  const aligned = Math.ceil(bytes / 32) * 32;
  for (const [i, name] of ["a.weight", "b.weight"].entries()) {
    str(name);
    u32(1); // dimensions
    u64(elements);
    u32(0); // F32
    u64(i * aligned);
  }
  let header = Buffer.concat(parts);
  header = Buffer.concat([header, Buffer.alloc((32 - (header.length % 32)) % 32)]);
  // Varying bytes, so that a chunk written at the wrong offset would show.
  const data = Buffer.alloc(aligned + bytes);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + fill) & 0xff;
  return Buffer.concat([header, data]);
}

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-model-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, data: Buffer | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
}

async function errorOf(promise: Promise<unknown>): Promise<ModelFileError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message.split("\n")).toHaveLength(1);
    return error as ModelFileError;
  }
  throw new Error("expected a ModelFileError");
}

describe("a local path", () => {
  const options = { directory: path.join(dir, "unused") };

  it("a valid GGUF file is returned as an absolute path", async () => {
    const p = write("ok.gguf", fakeGguf());
    expect(await resolveModelPath(p, options)).toBe(p);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(await resolveModelPath("ok.gguf", options)).toBe(p);
    } finally {
      process.chdir(cwd);
    }
  });

  it("missing", async () => {
    const p = path.join(dir, "nope.gguf");
    expect((await errorOf(resolveModelPath(p, options))).message).toBe(`model file not found: ${p} (check MODEL or --model)`);
  });

  it("a directory", async () => {
    expect((await errorOf(resolveModelPath(dir, options))).message).toBe(`model path is a directory, not a .gguf file: ${dir} (check MODEL or --model)`);
  });

  it("not a GGUF file", async () => {
    const p = write("notes.gguf", "this is text, not a model\n");
    expect((await errorOf(resolveModelPath(p, options))).message).toBe(`model file ${p} is not a GGUF file (corrupt or truncated) (check MODEL or --model)`);
    const empty = write("empty.gguf", "");
    expect((await errorOf(resolveModelPath(empty, options))).message).toContain("is not a GGUF file (corrupt or truncated)");
  });

  it("truncated: the tensor data does not fit in the file", async () => {
    const full = fakeGguf();
    const p = write("cut.gguf", full.subarray(0, full.length - 100));
    expect((await errorOf(resolveModelPath(p, options))).message).toBe(
      `model file ${p} is truncated: its tensors need ${full.length} bytes but the file has ${full.length - 100} (check MODEL or --model)`,
    );
    const header = write("header-only.gguf", full.subarray(0, 60));
    expect((await errorOf(resolveModelPath(header, options))).message).toMatch(/is truncated|not a GGUF file/);
    const magic = write("magic-only.gguf", full.subarray(0, 4));
    expect((await errorOf(resolveModelPath(magic, options))).message).toContain("not a GGUF file (corrupt or truncated)");
  });

  it("an empty string", async () => {
    expect((await errorOf(resolveModelPath("  ", options))).message).toBe("no model given: check MODEL or --model");
  });

  it("checkGgufFile reports the size of a good file", async () => {
    const data = fakeGguf(5000);
    expect(await checkGgufFile(write("size.gguf", data))).toEqual({ ok: true, size: data.length });
  });
});

// ---------------------------------------------------------------------------------------------
// A fake Hugging Face: GET/HEAD with Range support, and hooks to cut or stall responses.

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly range: string | undefined;
}

type Plan = "full" | { readonly bytes: number; readonly then: "destroy" | "stall" };

class FakeHub {
  readonly files = new Map<string, Buffer>();
  readonly seen: Seen[] = [];
  plan: (start: number, end: number, seenSoFar: number) => Plan = () => "full";
  onBodyFinished: (start: number) => void = () => {};
  /** Responses held open without another byte ("stall") whose client has not gone yet. */
  readonly stalled = new Set<http.ServerResponse>();
  private server = http.createServer((req, res) => this.handle(req, res));
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  downloads(): Seen[] {
    return this.seen.filter((s) => s.url !== "/");
  }

  reset(): void {
    this.seen.length = 0;
    this.plan = () => "full";
    this.onBodyFinished = () => {};
    this.server.closeAllConnections();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    this.seen.push({ method: req.method ?? "", url: url.pathname, range: req.headers.range });
    if (url.pathname === "/") {
      res.writeHead(200).end();
      return;
    }
    const data = this.files.get(url.pathname);
    if (!data) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    let start = 0;
    let end = data.length - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
    }
    const body = data.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${start}-${end}/${data.length}` } : {}),
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    // Only ranged GETs are the download proper; the first plain GET only reads the headers.
    const plan = range ? this.plan(start, end, this.downloads().length) : "full";
    if (plan === "full") {
      res.end(body, () => {
        if (range) this.onBodyFinished(start);
      });
      return;
    }
    if (plan.then === "stall") {
      // Keep the response open without another byte, until the client gives up on it.
      this.stalled.add(res);
      res.once("close", () => this.stalled.delete(res));
    }
    res.write(body.subarray(0, plan.bytes), () => {
      if (plan.then === "destroy") setTimeout(() => res.socket?.destroy(), 20);
    });
  }
}

/** Whether ipull's resume state (JSON written after the file's `size` bytes) marks a chunk COMPLETE (2). */
function completeChunkSaved(file: string, size: number): boolean {
  if (!existsSync(file)) return false;
  return /"chunks":\[[^\]]*\b2\b/.test(readFileSync(file).subarray(size).toString("utf8"));
}

/** A port nothing listens on: the "no network" case. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const HF_PATH = "/test/fake-model/resolve/main/fake-model.Q4_K_M.gguf";
const URI = "hf:test/fake-model/fake-model.Q4_K_M.gguf";
/** node-llama-cpp's local name for URI: "hf_<user>_<repo>_<file>". */
const LOCAL_NAME = "hf_test_fake-model_fake-model.Q4_K_M.gguf";

describe("an hf: URI", () => {
  const hub = new FakeHub();
  let offline = "";
  let modelDir = "";
  let n = 0;

  beforeAll(async () => {
    await hub.start();
    offline = `http://127.0.0.1:${await closedPort()}/`;
  });
  afterAll(() => hub.stop());
  afterEach(() => hub.reset());

  const freshDir = () => {
    modelDir = path.join(dir, `models-${++n}`);
    return modelDir;
  };

  it("downloads once with progress, then reuses the file without the network", async () => {
    const data = fakeGguf(20_000);
    hub.files.set(HF_PATH, data);
    const directory = freshDir();
    const progress: DownloadProgress[] = [];
    const p = await resolveModelPath(URI, { directory, huggingFaceEndpoint: hub.endpoint, onProgress: (e) => progress.push(e) });
    expect(p).toBe(path.join(directory, LOCAL_NAME));
    expect(readFileSync(p).equals(data)).toBe(true);
    expect(hub.downloads().length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ downloadedBytes: data.length, totalBytes: data.length });
    expect(readdirSync(directory)).toEqual([LOCAL_NAME]); // no temp file left behind

    hub.reset();
    expect(await resolveModelPath(URI, { directory, huggingFaceEndpoint: offline })).toBe(p);
    expect(hub.seen).toHaveLength(0);
  });

  it("no network: one line naming the URI and how to use a local file", async () => {
    const directory = freshDir();
    const e = await errorOf(resolveModelPath(URI, { directory, huggingFaceEndpoint: offline }));
    expect(e.message).toMatch(
      /^could not download hf:test\/fake-model\/fake-model\.Q4_K_M\.gguf: 127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\); to run without network, set MODEL \(or --model\) to a local \.gguf file$/,
    );
  });

  it("a server that does not answer in time counts as unreachable", async () => {
    const silent = http.createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      const e = await errorOf(resolveModelPath(URI, { directory: freshDir(), huggingFaceEndpoint: endpoint, connectTimeoutMs: 300 }));
      expect(e.message).toContain("is unreachable (no answer within 300 ms)");
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("a file the hub does not have", async () => {
    const e = await errorOf(resolveModelPath("hf:test/fake-model/missing.gguf", { directory: freshDir(), huggingFaceEndpoint: hub.endpoint }));
    expect(e.message).toMatch(
      /^could not download hf:test\/fake-model\/missing\.gguf into .*: HTTP 404 \(no such file: check the URI\); to run without network/,
    );
  });

  it("a dropped connection mid-download is retried and the file completes", async () => {
    const data = fakeGguf(300_000); // 2.4 MB
    hub.files.set(HF_PATH, data);
    let dropped = 0;
    hub.plan = () => (dropped++ === 0 ? { bytes: 100_000, then: "destroy" } : "full");
    const p = await resolveModelPath(URI, { directory: freshDir(), huggingFaceEndpoint: hub.endpoint });
    expect(dropped).toBeGreaterThan(1);
    expect(readFileSync(p).equals(data)).toBe(true);
  });

  it("an interrupted download is never loaded, and the next run resumes it", async () => {
    // 12 MB: ipull fetches 5 MB chunks over parallel ranges and keeps only completed chunks.
    const data = fakeGguf(1_500_000);
    hub.files.set(HF_PATH, data);
    const CHUNK = 5 * 1024 * 1024;
    // Ranges reaching the end of the file stall after 1 MB; the others (chunk 0) complete.
    hub.plan = (_start, end) => (end === data.length - 1 ? { bytes: 1024 * 1024, then: "stall" } : "full");
    let chunkDone!: () => void;
    const completed = new Promise<void>((resolve) => (chunkDone = resolve));
    hub.onBodyFinished = () => chunkDone();
    const directory = freshDir();
    const controller = new AbortController();
    const download = resolveModelPath(URI, { directory, huggingFaceEndpoint: hub.endpoint, signal: controller.signal });
    download.catch(() => {});
    await completed;
    const final = path.join(directory, LOCAL_NAME);
    // ipull records the finished chunk in its resume state, after the file's bytes in the .ipull file.
    await expect.poll(() => completeChunkSaved(`${final}.ipull`, data.length), { timeout: 10_000 }).toBe(true);
    controller.abort(new Error("stopped by the test"));
    await expect(download).rejects.toThrow("stopped by the test");
    // The cancel finishes in the background: done once ipull has dropped the stalled connections.
    await expect.poll(() => hub.stalled.size, { timeout: 10_000 }).toBe(0);

    expect(existsSync(final)).toBe(false);
    expect(existsSync(`${final}.ipull`)).toBe(true); // kept for resuming (deleteTempFileOnCancel: false)

    // Offline, the partial file is not taken for the model.
    hub.reset();
    const offlineError = await errorOf(resolveModelPath(URI, { directory, huggingFaceEndpoint: offline }));
    expect(offlineError.message).toContain("is unreachable");

    // Back online: only the missing part is fetched.
    hub.reset();
    const p = await resolveModelPath(URI, { directory, huggingFaceEndpoint: hub.endpoint });
    expect(p).toBe(final);
    expect(readFileSync(p).equals(data)).toBe(true);
    const ranges = hub
      .downloads()
      .map((s) => s.range)
      .filter((r): r is string => r !== undefined);
    expect(ranges.length).toBeGreaterThan(0);
    // Chunk 0 came through before the interruption: nothing before it is fetched again.
    expect(ranges.every((r) => Number(/bytes=(\d+)/.exec(r)?.[1]) >= CHUNK)).toBe(true);
    expect(existsSync(`${final}.ipull`)).toBe(false);
  });

  it("a bad file under the model's name is deleted and downloaded again", async () => {
    const data = fakeGguf(20_000);
    hub.files.set(HF_PATH, data);
    const directory = freshDir();
    mkdirSync(directory, { recursive: true });
    const final = path.join(directory, LOCAL_NAME);
    writeFileSync(final, data.subarray(0, data.length - 1000)); // e.g. a copy cut short
    const p = await resolveModelPath(URI, { directory, huggingFaceEndpoint: hub.endpoint });
    expect(p).toBe(final);
    expect(readFileSync(p).equals(data)).toBe(true);
  });

  it("a model file that cannot be read is reported, never deleted", async () => {
    hub.files.set(HF_PATH, fakeGguf(20_000));
    const directory = freshDir();
    const final = path.join(directory, LOCAL_NAME);
    // Something unreadable under the model's name (a directory reads as EISDIR, as root too).
    mkdirSync(final, { recursive: true });
    const e = await errorOf(resolveModelPath(URI, { directory, huggingFaceEndpoint: hub.endpoint }));
    expect(e.message).toMatch(new RegExp(`^model file ${final.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} cannot be read`));
    expect(existsSync(final)).toBe(true);
    expect(hub.downloads()).toHaveLength(0);
  });

  it("a downloaded file that is not a GGUF model is deleted and reported", async () => {
    hub.files.set("/test/fake-model/resolve/main/page.gguf", Buffer.from("<html>login required</html>"));
    const directory = freshDir();
    const e = await errorOf(resolveModelPath("hf:test/fake-model/page.gguf", { directory, huggingFaceEndpoint: hub.endpoint }));
    expect(e.message).toMatch(/^the file downloaded for hf:test\/fake-model\/page\.gguf is not a GGUF file \(corrupt or truncated\); it was deleted/);
    expect(readdirSync(directory).filter((f) => f.endsWith(".gguf"))).toEqual([]);
  });

  it("an aborted signal stops before anything is fetched", async () => {
    const controller = new AbortController();
    controller.abort(new Error("cancelled early"));
    await expect(resolveModelPath(URI, { directory: freshDir(), huggingFaceEndpoint: hub.endpoint, signal: controller.signal })).rejects.toThrow(
      "cancelled early",
    );
    expect(hub.downloads()).toHaveLength(0);
  });

  it("an http:// URL downloads too, and is found again offline", async () => {
    const data = fakeGguf(10_000, 3);
    hub.files.set("/files/plain-model.gguf", data);
    const directory = freshDir();
    const p = await resolveModelPath(`${hub.endpoint}files/plain-model.gguf`, { directory });
    expect(p).toBe(path.join(directory, "plain-model.gguf"));
    expect(readFileSync(p).equals(data)).toBe(true);
    const port = await closedPort();
    expect(await resolveModelPath(`http://127.0.0.1:${port}/files/plain-model.gguf`, { directory })).toBe(p);
  });
});
