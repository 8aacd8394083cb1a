// The attachment reader against files served on 127.0.0.1: text in UTF-8 and Shift_JIS, a PDF
// made by the test, the size limits before download, the token budget (the real tokenizer of the
// generated test model), and every way a file is left out, each named.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readableKind } from "../../src/attachments/kinds.js";
import { readAttachments, type AttachmentDescriptor } from "../../src/attachments/read-attachments.js";
import { leftOutNotice, questionWithAttachments } from "../../src/attachments/render.js";
import { LlamaEngine } from "../../src/inference/engine.js";
import { tinyModelPath } from "../helpers/test-model.js";
import { tinyPdf } from "../helpers/tiny-pdf.js";

const NOTES = "# 議事録\n\n- 次回は12月3日\n- 担当: 佐藤\n";
const SJIS = Buffer.from([0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd]); // こんにちは
const files: Record<string, { type: string; body: Buffer; length?: boolean; auth?: string }> = {
  "/notes.md": { type: "text/markdown", body: Buffer.from(NOTES) },
  "/sjis.txt": { type: "text/plain", body: SJIS },
  "/main.py": { type: "application/octet-stream", body: Buffer.from("def main():\n    return 42\n") },
  "/report.pdf": { type: "application/pdf", body: tinyPdf([["Revenue grew 42 percent."], ["Second page: costs fell."]]) },
  "/scan.pdf": { type: "application/pdf", body: tinyPdf([[]]) },
  "/big.txt": { type: "text/plain", body: Buffer.alloc(4096, "a") },
  "/chunked.txt": { type: "text/plain", body: Buffer.alloc(4096, "b"), length: false },
  "/binary.txt": { type: "text/plain", body: Buffer.from([0x61, 0x00, 0x62]) },
  "/login.csv": { type: "text/html; charset=utf-8", body: Buffer.from("<html>sign in</html>") },
  "/private.txt": { type: "text/plain", body: Buffer.from("秘密のメモ"), auth: "Bearer xoxb-secret" },
};

let server: Server;
let base: string;
const seenAuth: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = files[path];
    if (path === "/hang") return; // never answers
    if (!file) return void res.writeHead(404).end("not found");
    seenAuth.push(req.headers.authorization);
    if (file.auth && req.headers.authorization !== file.auth) return void res.writeHead(403).end("forbidden");
    res.writeHead(200, { "content-type": file.type, ...(file.length === false ? {} : { "content-length": String(file.body.length) }) });
    if (file.length === false) {
      // Streamed in pieces without a length: the reader must stop at its limit by counting.
      res.write(file.body.subarray(0, 1024));
      res.write(file.body.subarray(1024));
      res.end();
    } else res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const at = (name: string, extra: Partial<AttachmentDescriptor> = {}): AttachmentDescriptor => ({ name: name.slice(1), url: `${base}${name}`, ...extra });
const perChar = (text: string) => [...text].length;

describe("readAttachments", () => {
  it("reads text (UTF-8, Shift_JIS, source code by extension) and a PDF's text, in order", async () => {
    const read = await readAttachments([at("/notes.md"), at("/sjis.txt"), at("/main.py", { mimeType: "application/octet-stream" }), at("/report.pdf")], {
      budgetTokens: 10_000,
      countTokens: perChar,
    });
    expect(read.leftOut).toEqual([]);
    expect(read.blocks.map((b) => [b.name, b.kind, b.truncated])).toEqual([
      ["notes.md", "text", false],
      ["sjis.txt", "text", false],
      ["main.py", "text", false],
      ["report.pdf", "pdf", false],
    ]);
    expect(read.blocks[0]!.text).toBe(NOTES);
    expect(read.blocks[1]!.text).toBe("こんにちは");
    expect(read.blocks[3]!.text).toBe("[p.1]\nRevenue grew 42 percent.\n\n[p.2]\nSecond page: costs fell.");
  });

  it("names and skips what it does not read, never downloading it", async () => {
    const before = seenAuth.length;
    const read = await readAttachments(
      [at("/photo.png", { mimeType: "image/png" }), at("/huge.txt", { size: 50_000_000 }), { name: "gone.txt", url: undefined }],
      {
        budgetTokens: 100,
        countTokens: perChar,
      },
    );
    expect(read.blocks).toEqual([]);
    expect(read.leftOut.map((l) => [l.name, l.reason])).toEqual([
      ["photo.png", "unsupported"],
      ["huge.txt", "too_large"],
      ["gone.txt", "fetch_failed"],
    ]);
    expect(read.leftOut[1]!.detail).toBe("47.7 MiB; files over 5.0 MiB are not read");
    expect(seenAuth.length).toBe(before); // nothing was requested
  });

  it("stops at the byte limit by Content-Length and by counting a stream without one", async () => {
    const read = await readAttachments([at("/big.txt"), at("/chunked.txt")], { budgetTokens: 100_000, countTokens: perChar, maxBytes: 2048 });
    expect(read.leftOut.map((l) => [l.name, l.reason])).toEqual([
      ["big.txt", "too_large"],
      ["chunked.txt", "too_large"],
    ]);
    expect(read.leftOut[0]!.detail).toBe("4.0 KiB; files over 2.0 KiB are not read");
    expect(read.leftOut[1]!.detail).toMatch(/^over .*KiB; files over 2\.0 KiB are not read$/);
  });

  it("reports failed downloads, sign-in pages, binary and empty-text files by name", async () => {
    const read = await readAttachments([at("/missing.txt"), at("/login.csv"), at("/binary.txt"), at("/scan.pdf"), at("/hang.txt", { url: `${base}/hang` })], {
      budgetTokens: 1000,
      countTokens: perChar,
      timeoutMs: 300,
    });
    expect(read.leftOut.map((l) => [l.name, l.reason, l.detail])).toEqual([
      ["missing.txt", "fetch_failed", "HTTP 404"],
      ["login.csv", "fetch_failed", "the platform sent a web page instead of the file (for Slack: is the files:read scope granted?)"],
      ["binary.txt", "unreadable", "binary content (not text)"],
      ["scan.pdf", "unreadable", "the PDF has no text layer (a scan or images only)"],
      ["hang.txt", "fetch_failed", "no answer within 300 ms"],
    ]);
  });

  it("sends the authorization the descriptor gives, and keeps it out of the descriptor's JSON", async () => {
    const descriptor = at("/private.txt", { authorization: () => "Bearer xoxb-secret" });
    expect(JSON.stringify(descriptor)).not.toContain("xoxb-secret");
    const read = await readAttachments([descriptor, at("/private.txt")], { budgetTokens: 100, countTokens: perChar });
    expect(read.blocks.map((b) => b.text)).toEqual(["秘密のメモ"]);
    expect(read.leftOut).toEqual([{ name: "private.txt", reason: "fetch_failed", detail: "HTTP 403" }]);
  });

  it("caps the number of files", async () => {
    const read = await readAttachments([at("/notes.md"), at("/sjis.txt"), at("/main.py")], { budgetTokens: 1000, countTokens: perChar, maxFiles: 2 });
    expect(read.blocks).toHaveLength(2);
    expect(read.leftOut).toEqual([{ name: "main.py", reason: "too_many", detail: "only the first 2 files are read" }]);
  });
});

describe("the token budget, with the test model's tokenizer", () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await tinyModelPath(), gpu: false, threads: 1, parallel: 1, contextSize: 256, batchSize: 64 });
  });
  afterAll(async () => {
    await engine?.[Symbol.asyncDispose]();
  });

  it("cuts the file that crosses the budget and leaves out those after it, saying so", async () => {
    const countTokens = (text: string) => engine.countTokens(text);
    const notes = countTokens(NOTES);
    const read = await readAttachments([at("/notes.md"), at("/report.pdf"), at("/sjis.txt")], { budgetTokens: notes + 5, countTokens });
    expect(read.blocks.map((b) => [b.name, b.truncated])).toEqual([
      ["notes.md", false],
      ["report.pdf", true],
    ]);
    const cut = read.blocks[1]!;
    expect(cut.tokens).toBeLessThanOrEqual(5);
    expect(cut.tokens).toBeGreaterThan(0);
    expect("[p.1]\nRevenue grew 42 percent.".startsWith(cut.text)).toBe(true);
    expect(read.blocks.reduce((sum, b) => sum + b.tokens, 0)).toBeLessThanOrEqual(notes + 5);
    expect(read.leftOut.map((l) => [l.name, l.reason])).toEqual([
      ["report.pdf", "truncated"],
      ["sjis.txt", "no_room"],
    ]);
    expect(leftOutNotice(read.leftOut)).toBe("（添付ファイルの一部を読んでいません: report.pdf（長いため途中まで）、sjis.txt（長さの上限のため未読））");
  });
});

describe("rendering into the question", () => {
  it("fences each file under its name, longer than any backtick run inside", () => {
    const text = questionWithAttachments("要約して", {
      blocks: [{ name: "a.md", kind: "text", text: "```js\nx\n```\n", tokens: 3, truncated: true }],
      leftOut: [],
    });
    expect(text).toBe("要約して\n\n[添付ファイル: a.md（長いため途中まで）]\n````\n```js\nx\n```\n````");
    expect(questionWithAttachments("q", { blocks: [], leftOut: [] })).toBe("q");
    expect(leftOutNotice([])).toBeUndefined();
  });
});

describe("readableKind", () => {
  it.each<[string, string | undefined, string | undefined]>([
    ["notes.txt", undefined, "text"],
    ["data.CSV", "application/vnd.ms-excel", "text"],
    ["app.tsx", "application/octet-stream", "text"],
    ["Dockerfile", undefined, "text"],
    ["doc.pdf", undefined, "pdf"],
    ["download", "application/pdf", "pdf"],
    ["snippet", "text/plain", "text"],
    ["photo.png", "text/plain", undefined],
    ["slides.pptx", undefined, undefined],
    ["mystery", undefined, undefined],
  ])("%s (%s) → %s", (name, mime, kind) => {
    expect(readableKind(name, mime)).toBe(kind);
  });
});
