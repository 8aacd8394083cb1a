// Reads one YAML layer (config/default.yaml, --config FILE): a file that cannot be read or parsed,
// or that is not a mapping, is a ConfigError naming the file, the line and the gist.

import { readFileSync } from "node:fs";
import YAML from "yaml";
import { ConfigError } from "./errors.js";
import { describeValue } from "./issues.js";
import { isPlainObject, type Plain } from "./layer.js";

export function readYamlFile(file: string, label: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read ${label}: ${describeFsError(error)}`);
  }
  let data: unknown;
  try {
    data = YAML.parse(text);
  } catch (error) {
    if (error instanceof YAML.YAMLError) {
      const pos = error.linePos?.[0];
      const where = pos ? ` line ${pos.line}, column ${pos.col}` : "";
      // yaml repeats the position and appends a code excerpt after the first line: keep the gist.
      const gist = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?\s*$/, "");
      throw new ConfigError(`cannot parse ${label}${where}: ${gist}`);
    }
    throw error;
  }
  if (data === null || data === undefined) return {}; // an empty file or only comments
  if (!isPlainObject(data)) {
    throw new ConfigError(`${label}: must be a mapping of settings (key: value), got ${describeValue(data)}`);
  }
  return data;
}

function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return e.code ?? e.message;
  }
}
