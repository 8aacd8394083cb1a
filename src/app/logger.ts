// The process's log: one line per event on stderr, filtered by config `log.level`, with every
// known secret (and anything shaped like a Slack/Discord token) redacted before it is written.

import { inspect } from "node:util";
import type { LogLevel } from "../config/schema.js";
import { redact, type Secrets } from "../config/secrets.js";

export interface Logger {
  debug(message: string, ...meta: unknown[]): void;
  info(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  error(message: string, ...meta: unknown[]): void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export function createLogger(level: LogLevel, secrets: Secrets, out: NodeJS.WritableStream = process.stderr): Logger {
  const write = (at: Exclude<LogLevel, "silent">, message: string, meta: unknown[]) => {
    if (ORDER[at] < ORDER[level]) return;
    const extra = meta.map((m) => (m instanceof Error ? (m.stack ?? m.message) : typeof m === "string" ? m : inspect(m, { depth: 3, breakLength: Infinity })));
    const line = [new Date().toISOString(), at.toUpperCase().padEnd(5), message, ...extra].join(" ");
    out.write(`${redact(line, secrets)}\n`);
  };
  return {
    debug: (m, ...meta) => write("debug", m, meta),
    info: (m, ...meta) => write("info", m, meta),
    warn: (m, ...meta) => write("warn", m, meta),
    error: (m, ...meta) => write("error", m, meta),
  };
}
