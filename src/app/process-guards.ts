// Last-resort handlers for errors nothing caught. An error thrown from inside a platform
// library's own code (its WebSocket and event handlers: @slack/*, discord.js, undici, ws) is
// logged and the process keeps running — the library reconnects by itself and the bot's state is
// intact. Anything else (node-llama-cpp losing the engine, a bug of the bot) leaves the process in
// an unknown state: it is logged, the bot drains, and the process exits non-zero so that the
// orchestrator restarts it.

import { ElyzaBotError } from "../errors.js";
import type { Logger } from "./logger.js";

/** Packages whose throws are survivable (matched against the error's stack). */
const PLATFORM_LIBRARIES = [
  /node_modules[\\/]@slack[\\/]/,
  /node_modules[\\/]discord\.js[\\/]/,
  /node_modules[\\/]@discordjs[\\/]/,
  /node_modules[\\/]undici[\\/]/,
  /node_modules[\\/]ws[\\/]/,
  /node:internal[\\/]deps[\\/]undici/,
];

export function isPlatformLibraryError(error: unknown): boolean {
  if (!(error instanceof Error) || !error.stack) return false;
  // The frame that threw decides: an error of ours that merely passed through a library is ours.
  const frames = error.stack.split("\n").filter((line) => /^\s+at /.test(line));
  const top = frames.find((line) => !/\(node:internal[\\/](process|timers)|^\s+at new Promise|<anonymous>\)?$/.test(line));
  return top !== undefined && PLATFORM_LIBRARIES.some((pattern) => pattern.test(top));
}

export interface ProcessGuardOptions {
  readonly logger: Logger;
  /** A crash-worthy error: drain and end (the caller exits non-zero). Called once. */
  readonly onFatal: (error: unknown) => void;
  /** Survivable errors (metrics). */
  readonly onSurvived?: (error: unknown) => void;
  /** Defaults to process (tests give an emitter). */
  readonly target?: Pick<NodeJS.Process, "on" | "off">;
}

/** Installs uncaughtException / unhandledRejection handlers; returns a function removing them. */
export function installProcessGuards(options: ProcessGuardOptions): () => void {
  const target = options.target ?? process;
  let fatal = false;
  const handle = (kind: string) => (error: unknown) => {
    if (isPlatformLibraryError(error)) {
      options.logger.error(`${kind} in a platform library (the bot keeps running)`, error);
      options.onSurvived?.(error);
      return;
    }
    options.logger.error(`${kind}: stopping the bot`, error);
    if (fatal) return;
    fatal = true;
    options.onFatal(error);
  };
  const onException = handle("uncaught exception");
  const onRejection = handle("unhandled rejection");
  target.on("uncaughtException", onException);
  target.on("unhandledRejection", onRejection);
  return () => {
    target.off("uncaughtException", onException);
    target.off("unhandledRejection", onRejection);
  };
}

/** runBot rejects with this after the drain that followed a crash-worthy error. */
export class FatalError extends ElyzaBotError {
  override readonly name = "FatalError";
  constructor(override readonly cause: unknown) {
    super(`the bot stopped after an unexpected error: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
