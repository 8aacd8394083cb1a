// Loads a probe suite by name (config/probes/<name>.yaml) or by file path. Every failure is a
// SuiteError whose message is one line naming the file and the field, for the CLI and /probe to show.

import { UserError } from "../errors.js";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { issueMessage, suiteSchema } from "./suite-schema.js";
import type { ProbeSuite } from "./types.js";

export class SuiteError extends UserError {
  override readonly name = "SuiteError";
  constructor(detail: string) {
    super(`suite error: ${detail}`);
  }
}

const isPath = (s: string): boolean => /[/\\]/.test(s) || /\.ya?ml$/i.test(s);

/** Names of the suites in a directory (files ending .yaml or .yml), sorted. */
export function listSuites(suitesDirectory: string): string[] {
  try {
    return readdirSync(suitesDirectory)
      .filter((f) => /\.ya?ml$/i.test(f))
      .map((f) => f.replace(/\.ya?ml$/i, ""))
      .sort();
  } catch {
    return [];
  }
}

function resolve(nameOrFile: string, suitesDirectory: string): string {
  if (isPath(nameOrFile)) return nameOrFile;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(nameOrFile)) throw new SuiteError(`invalid suite name ${JSON.stringify(nameOrFile)}`);
  for (const ext of [".yaml", ".yml"]) {
    const file = path.join(suitesDirectory, nameOrFile + ext);
    try {
      readFileSync(file);
      return file;
    } catch {
      // try the next extension
    }
  }
  const available = listSuites(suitesDirectory);
  const where = path.join(suitesDirectory, `${nameOrFile}.yaml`);
  throw new SuiteError(`${where}: unknown suite "${nameOrFile}" (available: ${available.length ? available.join(", ") : `none in ${suitesDirectory}`})`);
}

/** tests[1].prompt */
function fieldPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((out, s) => (typeof s === "number" ? `${out}[${s}]` : out ? `${out}.${String(s)}` : String(s)), "");
}

export function parseSuite(source: string, file: string): ProbeSuite {
  const doc = parseDocument(source);
  const yamlError = doc.errors[0];
  if (yamlError) {
    const at = yamlError.linePos?.[0];
    const where = at ? ` at line ${at.line}, column ${at.col}` : "";
    const what = yamlError.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new SuiteError(`${file}: invalid YAML${where}: ${what}`);
  }
  const data: unknown = doc.toJS();
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new SuiteError(`${file}: expected a mapping of suite fields at the top level`);
  const result = suiteSchema.safeParse(data, { error: (issue) => issueMessage(issue) });
  if (!result.success) {
    const [issue, ...rest] = result.error.issues;
    const field = fieldPath(issue!.path);
    const more = rest.length ? ` (and ${rest.length} more problem${rest.length > 1 ? "s" : ""})` : "";
    throw new SuiteError(`${file}: ${field ? `${field}: ` : ""}${issue!.message}${more}`);
  }
  return result.data;
}

/** A bare name means `<suitesDirectory>/<name>.yaml`; anything with a slash or a .yaml/.yml ending is a path. */
export function loadSuite(nameOrFile: string, suitesDirectory: string): ProbeSuite {
  const file = resolve(nameOrFile, suitesDirectory);
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new SuiteError(`${file}: cannot read suite file (${why})`);
  }
  return parseSuite(source, file);
}
