// The JSON body of an API request, read up to a size limit: a larger body is refused as soon as it
// passes the limit (nothing more is buffered), so a client cannot make the bot hold megabytes.

import { ElyzaBotError } from "../errors.js";
import type { IncomingMessage } from "node:http";

export class BodyError extends ElyzaBotError {
  override readonly name = "BodyError";
  constructor(
    readonly code: "request_too_large" | "invalid_json",
    message: string,
  ) {
    super(message);
  }
}

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new BodyError("invalid_json", "request body: empty; send a JSON chat completion request");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyError("invalid_json", `request body: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function tooLarge(maxBytes: number): BodyError {
  return new BodyError("request_too_large", `request body: larger than the limit of ${maxBytes} bytes (api.maxBodyBytes)`);
}
