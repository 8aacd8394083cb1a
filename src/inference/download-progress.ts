// One-line download progress for the 5 GB model: a pure formatter, and a throttled renderer that
// redraws in place (\r) on a terminal and writes a plain line every few seconds to logs (Docker,
// systemd), where \r would pile up into one enormous line.

export interface ProgressLine {
  readonly downloadedBytes: number;
  /** 0 when the server did not say. */
  readonly totalBytes: number;
  /** Undefined until there are two samples. */
  readonly bytesPerSecond?: number | undefined;
  /** Bar width in characters. */
  readonly width?: number;
}

/** Decimal units, like Hugging Face lists file sizes (the ELYZA Q4_K_M file is "4.92 GB"). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** 37 → "37s", 97 → "1m37s", 3725 → "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** `[#####-----] 1.2 GB / 4.9 GB  38.0 MB/s  ETA 1m37s` */
export function formatProgressLine(progress: ProgressLine): string {
  const { downloadedBytes, totalBytes, bytesPerSecond } = progress;
  const width = Math.max(1, progress.width ?? 20);
  const speed = bytesPerSecond !== undefined && bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : "--/s";
  if (!(totalBytes > 0)) return `[${"?".repeat(width)}] ${formatBytes(downloadedBytes)}  ${speed}`;
  const fraction = Math.min(1, Math.max(0, downloadedBytes / totalBytes));
  const filled = Math.floor(fraction * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const remaining = Math.max(0, totalBytes - downloadedBytes);
  const eta = remaining === 0 ? "0s" : bytesPerSecond !== undefined && bytesPerSecond > 0 ? formatDuration(remaining / bytesPerSecond) : "--";
  return `[${bar}] ${formatBytes(downloadedBytes)} / ${formatBytes(totalBytes)}  ${speed}  ETA ${eta}`;
}

export interface ProgressRendererOptions {
  /** Prefix such as "downloading model". */
  readonly label?: string;
  /** Minimum time between redraws on a terminal. */
  readonly ttyIntervalMs?: number;
  /** Time between lines when the stream is not a terminal. */
  readonly lineIntervalMs?: number;
  /** The speed is averaged over this window, so that one slow chunk does not swing the ETA. */
  readonly speedWindowMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Overrides the stream's isTTY, for tests. */
  readonly tty?: boolean;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Feed it every progress event; it decides when to write. `done()` ends the line, if any. */
export class ProgressRenderer {
  private readonly stream: Stream;
  private readonly tty: boolean;
  private readonly label: string;
  private readonly interval: number;
  private readonly window: number;
  private readonly now: () => number;
  private samples: { t: number; bytes: number }[] = [];
  private last: { downloaded: number; total: number } | undefined;
  private lastWrite = -Infinity;
  private wrote = false;
  private finished = false;

  constructor(stream: NodeJS.WritableStream, options: ProgressRendererOptions = {}) {
    this.stream = stream;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.label = options.label ? `${options.label} ` : "";
    this.interval = this.tty ? (options.ttyIntervalMs ?? 200) : (options.lineIntervalMs ?? 5000);
    this.window = options.speedWindowMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  update(downloadedBytes: number, totalBytes: number): void {
    if (this.finished) return;
    const t = this.now();
    this.last = { downloaded: downloadedBytes, total: totalBytes };
    this.samples.push({ t, bytes: downloadedBytes });
    // Keep one sample older than the window so the average always spans it.
    while (this.samples.length > 2 && (this.samples[1]?.t ?? t) <= t - this.window) this.samples.shift();
    if (t - this.lastWrite >= this.interval) this.write(t);
  }

  /** Bytes per second over the recent window; undefined until time has passed. */
  speed(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.t <= first.t) return undefined;
    return Math.max(0, (last.bytes - first.bytes) / ((last.t - first.t) / 1000));
  }

  /** Writes the final state and ends the line; nothing if no progress was ever reported. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.last) return;
    this.write(this.now(), true);
  }

  private write(t: number, final = false): void {
    if (!this.last) return;
    this.lastWrite = t;
    let line = this.label + formatProgressLine({ downloadedBytes: this.last.downloaded, totalBytes: this.last.total, bytesPerSecond: this.speed() });
    if (this.tty) {
      const columns = this.stream.columns;
      if (columns !== undefined && columns > 1 && line.length >= columns) line = line.slice(0, columns - 1);
      // \x1b[K clears what a longer previous line left behind.
      this.stream.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    } else {
      this.stream.write(`${line}\n`);
    }
    this.wrote = true;
  }

  /** Whether anything was written (a download happened). */
  get active(): boolean {
    return this.wrote;
  }
}
