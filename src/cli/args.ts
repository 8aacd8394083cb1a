// Argument parsing on top of node:util parseArgs, with errors that name the bad flag.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./usage-error.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandArgs<T extends OptionSpec>(command: string, args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(`${command}: ${message} (see elyza-bot ${command} --help)`);
  }
}

/** A positive whole number from a flag value, or a UsageError naming the flag. */
export function wholeNumber(flag: string, value: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number (got "${value}")`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max} (got ${n})`);
  return n;
}
