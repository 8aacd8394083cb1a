// Server-sent events as OpenAI-compatible servers stream them: `data:` lines, an empty line ends an
// event, `:` lines are comments (keep-alives). Only the data of each event matters here; `event:`,
// `id:` and `retry:` fields are not used by chat completion streams and are skipped.

/** The data of each event of `body`, in order; ends when the stream ends. */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let data: string[] = [];
  const lines = function* (final: boolean): Generator<string> {
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      // A lone "\r" at the end of a chunk may be the first half of "\r\n": wait for more.
      if (end < 0 || (!final && end === buffer.length - 1 && buffer[end] === "\r")) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      yield line;
    }
    if (final && buffer !== "") {
      yield buffer;
      buffer = "";
    }
  };
  const take = function* (line: string): Generator<string> {
    if (line === "") {
      if (data.length > 0) yield data.join("\n");
      data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== "data") return;
    const value = colon < 0 ? "" : line.slice(colon + 1);
    data.push(value.startsWith(" ") ? value.slice(1) : value);
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (const line of lines(false)) yield* take(line);
  }
  buffer += decoder.decode();
  for (const line of lines(true)) yield* take(line);
  // A stream that ends without the final empty line still delivers its last event.
  yield* take("");
}
