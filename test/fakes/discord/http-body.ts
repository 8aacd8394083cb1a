// Request bodies as Discord reads them: JSON, or multipart/form-data with `payload_json` and
// `files[n]` parts (how discord.js sends attachments). Multipart is parsed by the platform's own
// Response.formData(), so the fake does not carry a hand-written parser.

import type { IncomingMessage } from "node:http";

export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface ParsedBody {
  readonly json: unknown;
  readonly files: readonly UploadedFile[];
  readonly contentType: string | undefined;
}

export async function readBody(req: IncomingMessage): Promise<ParsedBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const contentType = req.headers["content-type"];
  if (raw.length === 0) return { json: undefined, files: [], contentType };
  if (contentType?.startsWith("multipart/form-data")) {
    const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
    let json: unknown;
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === "string") {
        if (field === "payload_json") json = JSON.parse(value);
      } else {
        files.push({ field, filename: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
    }
    return { json, files, contentType };
  }
  return { json: JSON.parse(raw.toString("utf8")), files: [], contentType };
}
