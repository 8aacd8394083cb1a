// A fake Hugging Face on 127.0.0.1 serving one file (HEAD, GET, Range), whose download can be held
// half-way until the test releases it: the "downloading" state then lasts exactly as long as the
// test needs to look at it. Point HF_ENDPOINT (or huggingFaceEndpoint) at `endpoint`.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export class FakeHub {
  private readonly server = createServer((req, res) => this.handle(req, res));
  private held: Promise<void> | undefined;
  private releaseHeld: (() => void) | undefined;

  /** `path` as the hub serves it, e.g. /test/tiny/resolve/main/tiny.gguf for hf:test/tiny/tiny.gguf. */
  constructor(
    private readonly path: string,
    private readonly data: Buffer,
  ) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** From now on, downloads send half of their bytes and wait for release(). */
  hold(): void {
    this.held = new Promise<void>((resolve) => (this.releaseHeld = resolve));
  }

  release(): void {
    this.releaseHeld?.();
    this.held = undefined;
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/") return void res.writeHead(200).end();
    if (url.pathname !== this.path) return void res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Math.min(Number(range[2]), this.data.length - 1) : this.data.length - 1;
    const body = this.data.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${start}-${end}/${this.data.length}` } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    const held = this.held;
    if (!held) return void res.end(body);
    const half = Math.floor(body.length / 2);
    res.write(body.subarray(0, half));
    void held.then(() => res.end(body.subarray(half)));
  }
}
