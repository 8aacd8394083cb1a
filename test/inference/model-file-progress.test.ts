import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatProgressLine, ProgressRenderer } from "../../src/inference/download-progress.js";

describe("formatting", () => {
  it("bytes in decimal units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1500)).toBe("1.5 kB");
    expect(formatBytes(38_000_000)).toBe("38.0 MB");
    expect(formatBytes(4_920_000_000)).toBe("4.9 GB");
    expect(formatBytes(999_990_000)).toBe("1.0 GB");
    expect(formatBytes(Number.NaN)).toBe("?");
  });

  it("durations", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(37)).toBe("37s");
    expect(formatDuration(97)).toBe("1m37s");
    expect(formatDuration(3725)).toBe("1h02m");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("--");
  });

  it("one line with bar, sizes, speed and ETA", () => {
    expect(formatProgressLine({ downloadedBytes: 1_870_000_000, totalBytes: 4_920_000_000, bytesPerSecond: 38_000_000, width: 10 })).toBe(
      "[###-------] 1.9 GB / 4.9 GB  38.0 MB/s  ETA 1m20s",
    );
    expect(formatProgressLine({ downloadedBytes: 0, totalBytes: 1000, width: 4 })).toBe("[----] 0 B / 1.0 kB  --/s  ETA --");
    expect(formatProgressLine({ downloadedBytes: 1000, totalBytes: 1000, bytesPerSecond: 5, width: 4 })).toBe("[####] 1.0 kB / 1.0 kB  5 B/s  ETA 0s");
    // The server did not give a size.
    expect(formatProgressLine({ downloadedBytes: 2_000_000, totalBytes: 0, bytesPerSecond: 1_000_000, width: 3 })).toBe("[???] 2.0 MB  1.0 MB/s");
  });
});

class Sink {
  chunks: string[] = [];
  columns: number | undefined;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
}

function renderer(tty: boolean, sink = new Sink()) {
  let t = 0;
  const r = new ProgressRenderer(sink as unknown as NodeJS.WritableStream, {
    tty,
    now: () => t,
    ttyIntervalMs: 200,
    lineIntervalMs: 5000,
  });
  return { r, sink, at: (ms: number) => (t = ms) };
}

describe("ProgressRenderer", () => {
  it("on a terminal: redraws in place at most every 200 ms, ends with a newline", () => {
    const { r, sink, at } = renderer(true);
    at(0);
    r.update(0, 10_000_000);
    at(100);
    r.update(1_000_000, 10_000_000); // too soon: not drawn
    at(1000);
    r.update(5_000_000, 10_000_000);
    at(2000);
    r.update(10_000_000, 10_000_000);
    r.done();
    expect(sink.chunks).toHaveLength(4);
    expect(sink.chunks.every((c) => c.startsWith("\r") && c.includes("\x1b[K"))).toBe(true);
    expect(sink.chunks[1]).toContain("5.0 MB / 10.0 MB  5.0 MB/s  ETA 1s");
    expect(sink.chunks.at(-1)).toMatch(/\[#{20}\] 10\.0 MB \/ 10\.0 MB .*ETA 0s\x1b\[K\n$/);
    expect(sink.chunks.slice(0, -1).some((c) => c.endsWith("\n"))).toBe(false);
  });

  it("in a log: a whole line every 5 s", () => {
    const { r, sink, at } = renderer(false);
    for (let ms = 0; ms <= 12_000; ms += 500) {
      at(ms);
      r.update(ms * 1000, 20_000_000);
    }
    r.done();
    // t=0, 5 s, 10 s, and the final line
    expect(sink.chunks).toHaveLength(4);
    expect(sink.chunks.every((c) => c.endsWith("\n") && !c.includes("\r"))).toBe(true);
    expect(sink.chunks[2]).toContain("10.0 MB / 20.0 MB  1.0 MB/s  ETA 10s");
  });

  it("writes nothing when nothing was downloaded (the model was already there)", () => {
    const { r, sink } = renderer(true);
    r.done();
    r.update(1, 2); // after done: ignored
    expect(sink.chunks).toEqual([]);
    expect(r.active).toBe(false);
  });

  it("the speed is averaged over a window, not the whole download", () => {
    const { r, at } = renderer(false);
    at(0);
    r.update(0, 0);
    at(10_000);
    r.update(10_000_000, 0); // 1 MB/s
    for (let ms = 11_000; ms <= 20_000; ms += 1000) {
      at(ms);
      r.update(10_000_000 + (ms - 10_000) * 10_000, 0); // then 10 MB/s
    }
    expect(r.speed()).toBeGreaterThan(9_000_000);
  });

  it("cuts the line to the terminal width", () => {
    const sink = new Sink();
    sink.columns = 30;
    const { r } = renderer(true, sink);
    r.update(1, 1000);
    expect(sink.chunks[0]?.replace("\r", "").replace("\x1b[K", "").length).toBe(29);
  });
});
