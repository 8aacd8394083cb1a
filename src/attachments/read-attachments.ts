// Reads the files attached to a question into text the model can see, within a token budget, and
// says what it left out and why, so that the answer can tell the asker (nothing is dropped
// silently). Descriptors come from the platform translators (src/chat/*/attachments.ts); this
// module knows no platform. Sizes are checked before anything is downloaded: the platform's size
// field first, then Content-Length, then the bytes actually streamed, so a huge upload is never
// pulled into memory. Files are fetched at once and fitted to the budget in the order given.

import { fetch } from "undici";
import { decodeText } from "./decode-text.js";
import { readableKind, type ReadableKind } from "./kinds.js";
import { pdfText } from "./pdf-text.js";

export interface AttachmentDescriptor {
  readonly name: string;
  /** As the platform labels it (may be missing or vague; the name's extension decides first). */
  readonly mimeType?: string | undefined;
  /** Bytes, from the platform's size field, when it gives one. */
  readonly size?: number | undefined;
  /** Where to download it; undefined when the platform has no download for it (an external or deleted file). */
  readonly url: string | undefined;
  /**
   * The Authorization header value to send (Slack: "Bearer xoxb-…"). A function, so that logging
   * or serializing a descriptor never writes the token out.
   */
  readonly authorization?: (() => string) | undefined;
}

export type LeftOutReason =
  /** Not a kind the bot reads (an image, an archive, an office file): named and skipped. */
  | "unsupported"
  /** Larger than maxBytes: not downloaded. */
  | "too_large"
  /** Read, but cut at the token budget. */
  | "truncated"
  /** The budget was used up by the files before it. */
  | "no_room"
  /** More files than maxFiles. */
  | "too_many"
  /** Downloaded, but no text in it (binary under a text name, a scanned PDF, a broken file). */
  | "unreadable"
  /** The download failed (HTTP error, timeout, no link). */
  | "fetch_failed";

export interface LeftOut {
  readonly name: string;
  readonly reason: LeftOutReason;
  /** One line for logs and the README's troubleshooting (never a URL or a token). */
  readonly detail: string;
}

export interface AttachmentBlock {
  readonly name: string;
  readonly kind: ReadableKind;
  readonly text: string;
  readonly tokens: number;
  /** Cut at the budget (also listed in leftOut as "truncated"). */
  readonly truncated: boolean;
}

export interface ReadAttachmentsOptions {
  /** Tokens all attachment texts together may take in the prompt. */
  readonly budgetTokens: number;
  /** The model's tokenizer (LlamaEngine.countTokens), or an estimate for a remote backend. */
  readonly countTokens: (text: string) => number;
  /** Largest file downloaded, in bytes (default 5 MiB). */
  readonly maxBytes?: number;
  /** At most this many files are read (default 10). */
  readonly maxFiles?: number;
  /** Per download (default 15 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface AttachmentsRead {
  readonly blocks: readonly AttachmentBlock[];
  readonly leftOut: readonly LeftOut[];
}

export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 10;

type Loaded = { readonly name: string; readonly kind: ReadableKind; readonly text: string } | LeftOut;

export async function readAttachments(attachments: readonly AttachmentDescriptor[], options: ReadAttachmentsOptions): Promise<AttachmentsRead> {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const loaded = await Promise.all(
    attachments.map(async (attachment, i): Promise<Loaded> =>
      i >= maxFiles ? { name: attachment.name, reason: "too_many", detail: `only the first ${maxFiles} files are read` } : load(attachment, options),
    ),
  );
  const blocks: AttachmentBlock[] = [];
  const leftOut: LeftOut[] = [];
  let room = Math.max(0, options.budgetTokens);
  for (const item of loaded) {
    if ("reason" in item) {
      leftOut.push(item);
      continue;
    }
    const tokens = options.countTokens(item.text);
    if (tokens <= room) {
      blocks.push({ ...item, tokens, truncated: false });
      room -= tokens;
      continue;
    }
    const cut = room > 0 ? fitPrefix(item.text, room, options.countTokens) : "";
    if (cut.trim() === "") {
      leftOut.push({ name: item.name, reason: "no_room", detail: `${tokens} tokens and the attachment budget is used up` });
      continue;
    }
    const cutTokens = options.countTokens(cut);
    blocks.push({ ...item, text: cut, tokens: cutTokens, truncated: true });
    leftOut.push({ name: item.name, reason: "truncated", detail: `read ${cutTokens} of ${tokens} tokens (the attachment budget)` });
    room -= cutTokens;
  }
  return { blocks, leftOut };
}

async function load(attachment: AttachmentDescriptor, options: ReadAttachmentsOptions): Promise<Loaded> {
  const { name } = attachment;
  const kind = readableKind(name, attachment.mimeType);
  if (!kind) return { name, reason: "unsupported", detail: `${attachment.mimeType || "unknown type"}: only text, source code and PDF files are read` };
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (attachment.size !== undefined && attachment.size > maxBytes) return tooLarge(name, attachment.size, maxBytes);
  if (!attachment.url) return { name, reason: "fetch_failed", detail: "the platform gives no download for it (an external or deleted file)" };
  const bytes = await download(attachment, maxBytes, options);
  if ("reason" in bytes) return bytes;
  if (kind === "pdf") {
    const pdf = await pdfText(bytes.data);
    return "problem" in pdf ? { name, reason: "unreadable", detail: pdf.problem } : { name, kind, text: pdf.text };
  }
  const decoded = decodeText(bytes.data);
  if ("problem" in decoded) return { name, reason: "unreadable", detail: decoded.problem };
  if (decoded.text.trim() === "") return { name, reason: "unreadable", detail: "the file is empty" };
  return { name, kind, text: decoded.text };
}

async function download(attachment: AttachmentDescriptor, maxBytes: number, options: ReadAttachmentsOptions): Promise<{ readonly data: Uint8Array } | LeftOut> {
  const { name } = attachment;
  const failed = (detail: string): LeftOut => ({ name, reason: "fetch_failed", detail });
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response;
  try {
    response = await fetch(attachment.url!, {
      headers: attachment.authorization ? { authorization: attachment.authorization() } : {},
      redirect: "follow",
      signal,
    });
  } catch (error) {
    return failed(timeout.aborted ? `no answer within ${options.timeoutMs ?? 15_000} ms` : describe(error));
  }
  if (!response.ok) {
    await response.body?.cancel();
    return failed(`HTTP ${response.status}`);
  }
  // Slack answers a file request without a valid token (or without files:read) with its sign-in page.
  const type = response.headers.get("content-type") ?? "";
  if (/^text\/html/i.test(type) && !/\.html?$/i.test(name)) {
    await response.body?.cancel();
    return failed("the platform sent a web page instead of the file (for Slack: is the files:read scope granted?)");
  }
  const length = Number(response.headers.get("content-length") ?? NaN);
  if (Number.isFinite(length) && length > maxBytes) {
    await response.body?.cancel();
    return tooLarge(name, length, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  // undici types the body's chunks as any; a fetch body yields bytes.
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
  try {
    for (;;) {
      const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader?.cancel();
        return tooLarge(name, total, maxBytes, "over");
      }
      chunks.push(value);
    }
  } catch (error) {
    return failed(timeout.aborted ? `download took longer than ${options.timeoutMs ?? 15_000} ms` : describe(error));
  }
  return { data: Buffer.concat(chunks) };
}

function tooLarge(name: string, bytes: number, maxBytes: number, qualifier = ""): LeftOut {
  return { name, reason: "too_large", detail: `${qualifier ? `${qualifier} ` : ""}${formatBytes(bytes)}; files over ${formatBytes(maxBytes)} are not read` };
}

/** The longest prefix of `text` (whole code points) that fits in `tokens`: a binary search over lengths. */
export function fitPrefix(text: string, tokens: number, countTokens: (text: string) => number): string {
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokens(chars.slice(0, mid).join("")) <= tokens) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join("");
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : error.message;
}
