// The adapter logs through a plain {debug, info, warn, error} object (console fits); Bolt, its
// Socket Mode client and WebClient want @slack/logger's interface, so they get a wrapper.

import { LogLevel, type Logger as BoltLogger } from "@slack/bolt";

export interface AdapterLogger {
  debug(message: string, ...meta: unknown[]): void;
  info(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  error(message: string, ...meta: unknown[]): void;
}

const ORDER = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];

/** Console with a prefix; debug lines are dropped unless asked for. */
export function consoleLogger(prefix = "[slack]", debug = false): AdapterLogger {
  return {
    debug: (m, ...r) => {
      if (debug) console.debug(prefix, m, ...r);
    },
    info: (m, ...r) => console.info(prefix, m, ...r),
    warn: (m, ...r) => console.warn(prefix, m, ...r),
    error: (m, ...r) => console.error(prefix, m, ...r),
  };
}

export function toBoltLogger(log: AdapterLogger, initial: LogLevel = LogLevel.INFO): BoltLogger {
  let level = initial;
  let name = "bolt";
  const at =
    (l: LogLevel, write: (m: string, ...r: unknown[]) => void) =>
    (...msg: unknown[]) => {
      if (ORDER.indexOf(l) < ORDER.indexOf(level)) return;
      write(`${name}: ${msg.map((m) => (m instanceof Error ? m.message : String(m))).join(" ")}`);
    };
  return {
    debug: at(LogLevel.DEBUG, log.debug.bind(log)),
    info: at(LogLevel.INFO, log.info.bind(log)),
    warn: at(LogLevel.WARN, log.warn.bind(log)),
    error: at(LogLevel.ERROR, log.error.bind(log)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      name = n;
    },
  };
}
