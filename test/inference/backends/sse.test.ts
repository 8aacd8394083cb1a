// The SSE reader of the OpenAI backend: events split anywhere across network chunks, CRLF and CR
// line ends, comments (keep-alives), multi-line data, and a last event without its blank line.

import { describe, expect, it } from "vitest";
import { sseData } from "../../../src/inference/backends/sse.js";

async function read(...chunks: string[]): Promise<string[]> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  const out: string[] = [];
  for await (const data of sseData(
    (async function* () {
      yield* bytes;
    })(),
  ))
    out.push(data);
  return out;
}

describe("sseData", () => {
  it("yields each event's data, whatever the chunking", async () => {
    const text = 'data: {"a":1}\n\n: keep-alive\n\ndata: {"b":"日本"}\n\ndata: [DONE]\n\n';
    const whole = await read(text);
    expect(whole).toEqual(['{"a":1}', '{"b":"日本"}', "[DONE]"]);
    // Byte by byte, Japanese split inside its UTF-8 sequence.
    const bytes = new TextEncoder().encode(text);
    const single: string[] = [];
    for await (const d of sseData(
      (async function* () {
        for (const b of bytes) yield new Uint8Array([b]);
      })(),
    ))
      single.push(d);
    expect(single).toEqual(whole);
  });

  it("takes CRLF and CR line ends, joins multi-line data, skips other fields", async () => {
    expect(await read("event: x\r\ndata: one\r", "\ndata: two\r\n\r\ndata:three\r\rid: 5\n\n")).toEqual(["one\ntwo", "three"]);
  });

  it("delivers a last event that lacks its blank line", async () => {
    expect(await read("data: last")).toEqual(["last"]);
  });
});
