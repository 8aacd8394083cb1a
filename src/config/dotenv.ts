// A .env file in the working directory: KEY=VALUE lines that fill in variables the real environment
// does not set. A small parser on purpose (no dependency): comments, blank lines, `export KEY=…`,
// single quotes (literal) and double quotes (\n, \", \\ escapes). Errors name the line, never its
// content, because the content is usually a token.
//
// Kept instead of Node's util.parseEnv (Node 20.12+) or the dotenv package, because both accept a
// broken file silently, which here means a bot that starts without its token. Checked on Node
// 20.20: parseEnv drops a line with an unterminated quote without a word, takes `not-a-key=…` as a
// variable, cuts an unquoted `abc#def` to `abc` (tokens and URLs can hold a #), ignores text after a
// closing quote, and stops a double-quoted value at an escaped \" . dotenv's line pattern likewise
// cuts an unquoted value at # and skips lines it does not match. This parser keeps the #, and
// refuses the rest with the line number.

import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "./errors.js";

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseDotEnv(text: string, fileLabel = ".env"): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const body = line.startsWith("export ") ? line.slice(7).trimStart() : line;
    const eq = body.indexOf("=");
    const key = eq < 0 ? "" : body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      throw new ConfigError(`${fileLabel} line ${i + 1}: expected KEY=VALUE`);
    }
    const raw = body.slice(eq + 1).trim();
    const quote = raw[0];
    let value: string;
    if (quote === '"' || quote === "'") {
      const end = findClosingQuote(raw, quote);
      if (end < 0) throw new ConfigError(`${fileLabel} line ${i + 1} (${key}): unterminated ${quote} quote`);
      const rest = raw.slice(end + 1).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        throw new ConfigError(`${fileLabel} line ${i + 1} (${key}): unexpected text after the closing quote`);
      }
      const inner = raw.slice(1, end);
      value = quote === "'" ? inner : inner.replace(/\\([nrt"\\])/g, (_, c: string) => ESCAPES[c] ?? c);
    } else {
      // An unquoted value ends at " #" so that trailing comments work; a # inside a token stays.
      value = raw.replace(/\s+#.*$/, "");
    }
    result[key] = value;
  }
  return result;
}

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

function findClosingQuote(raw: string, quote: string): number {
  for (let i = 1; i < raw.length; i++) {
    if (quote === '"' && raw[i] === "\\") {
      i++;
      continue;
    }
    if (raw[i] === quote) return i;
  }
  return -1;
}

/**
 * `env` with the variables of a .env file added where `env` lacks them (unset or empty: compose
 * files pass unset variables as empty strings). `file: false` skips the file; a missing file is
 * not an error.
 */
export function withDotEnv(env: NodeJS.ProcessEnv, file: string | false = ".env"): NodeJS.ProcessEnv {
  if (file === false) return env;
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(resolved, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return env;
    throw new ConfigError(`cannot read ${file}: ${code ?? (error as Error).message}`);
  }
  const fromFile = parseDotEnv(text, file);
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [key, value] of Object.entries(fromFile)) {
    if (merged[key] === undefined || merged[key] === "") merged[key] = value;
  }
  return merged;
}
