// The process's log: JSON lines from pino on stdout (stderr for the terminal chat, see start.ts) — one event per line, `level` as a word,
// `time` in ISO 8601, `msg`, and the event's own fields with stable names (platform, channel,
// questionKey, outcome, reason, durationMs, queueMs, firstTokenMs, generationMs, promptTokens,
// completionTokens) — or, when the output is a terminal, the same events made readable by pino-pretty.
// Filtered by config `log.level`. Every line passes through redact() (src/config/secrets.ts) on
// its way out: every known secret value, and anything shaped like a Slack/Discord token, is
// replaced before it is written, whatever field it hides in. No question or answer text is
// logged at info.
//
// Calls keep the shape used across the code base — logger.info("message", ...meta) — where a meta
// object adds fields, an Error becomes `err` (with its stack), and anything else is appended to
// the message.

import { inspect } from "node:util";
import { pino, type Logger as Pino } from "pino";
import { prettyFactory } from "pino-pretty";
import type { LogLevel } from "../config/schema.js";
import { redact, type Secrets } from "../config/secrets.js";

export interface Logger {
  debug(message: string, ...meta: unknown[]): void;
  info(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  error(message: string, ...meta: unknown[]): void;
}

export interface LoggerOptions {
  /** Pretty output instead of JSON; default: whether `out` is a terminal. */
  readonly pretty?: boolean;
}

/** Where the lines go: a stream, or anything that takes them one by one. */
export interface LogOutput {
  write(line: string): unknown;
  readonly isTTY?: boolean;
}

export function createLogger(level: LogLevel, secrets: Secrets, out: LogOutput = process.stdout, options: LoggerOptions = {}): Logger {
  const isTty = out.isTTY === true;
  // Formatted synchronously in the process (no worker thread): a line is out before the next one.
  const format =
    (options.pretty ?? isTty) ? prettyFactory({ colorize: isTty, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }) : (line: string) => line;
  // Redaction by value, after serialisation: nothing reaches `out` unredacted.
  const destination = { write: (line: string) => out.write(redact(format(line), secrets)) };
  const log: Pino = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    destination as Parameters<typeof pino>[1],
  );
  const write =
    (at: "debug" | "info" | "warn" | "error") =>
    (message: string, ...meta: unknown[]) => {
      if (!log.isLevelEnabled(at)) return;
      const fields: Record<string, unknown> = {};
      const extra: string[] = [];
      for (const m of meta) {
        if (m instanceof Error) fields["err"] = m;
        else if (typeof m === "object" && m !== null && !Array.isArray(m)) Object.assign(fields, m);
        else extra.push(typeof m === "string" ? m : inspect(m, { depth: 3, breakLength: Infinity }));
      }
      log[at](fields, extra.length > 0 ? `${message} ${extra.join(" ")}` : message);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
