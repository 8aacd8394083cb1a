// Builds the one AppConfig of the process from four layers, later ones winning key by key:
//   config/default.yaml  <  --config FILE  <  environment (MODEL, MAX_NEW_TOKENS, PORT)  <  CLI flags
// then validates the merged result once and reports every problem on ONE line, naming the key path
// and the layer the bad value came from, so the user knows which file or variable to fix.
//
// Relative paths (model.directory, probe.suitesDirectory, probe.dataDirectory, a local model.uri)
// are made absolute where they are written: in default.yaml against the package root (the shipped
// probe suites live there, and `npx elyza-bot` may run from anywhere), in a --config file against
// that file's directory, in the environment and flags against the working directory.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { z } from "zod";
import { withDotEnv } from "./dotenv.js";
import { ConfigError } from "./errors.js";
import { BACKEND_REF, configSchema, isRemoteModelUri, type AppConfig, type DeepPartial } from "./schema.js";

export type { AppConfig, DeepPartial } from "./schema.js";

export interface LoadConfigInput {
  /** A YAML file with any subset of default.yaml's keys (--config). */
  readonly configFile?: string | undefined;
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Command-line flags; undefined values are ignored. */
  readonly overrides?: DeepPartial<AppConfig> | undefined;
  /** A .env file whose variables fill in what `env` lacks; false skips it. Default ".env" (cwd). */
  readonly dotEnvFile?: string | false | undefined;
}

type Plain = Record<string, unknown>;

interface Layer {
  /** "in my.yaml", "from MAX_NEW_TOKENS", … — appended to messages as [label]. */
  readonly label: string;
  readonly data: Plain;
}

export function loadConfig(input: LoadConfigInput = {}): AppConfig {
  const root = packageRoot();
  const layers: Layer[] = [];

  const defaultFile = path.join(root, "config", "default.yaml");
  layers.push({
    label: "in config/default.yaml",
    data: resolvePaths(readYamlFile(defaultFile, "config/default.yaml"), root),
  });

  if (input.configFile !== undefined) {
    const file = input.configFile;
    layers.push({
      label: `in ${file}`,
      data: resolvePaths(readYamlFile(path.resolve(file), file), path.dirname(path.resolve(file))),
    });
  }

  const env = withDotEnv(input.env ?? process.env, input.dotEnvFile ?? ".env");
  layers.push(...environmentLayers(env));

  if (input.overrides !== undefined) {
    layers.push({ label: "from the command line", data: resolvePaths(stripUndefined(input.overrides), process.cwd()) });
  }

  let merged: Plain = {};
  for (const layer of layers) merged = deepMerge(merged, layer.data);

  const parsed = configSchema.safeParse(merged, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new ConfigError(describeIssues(parsed.error.issues, layers));
}

// ---------------------------------------------------------------------------------------------
// Layers

/** The directory holding elyza-bot's package.json, found from this module (src/ or dist/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "elyza-bot") return dir;
      } catch {
        // Not ours or unreadable: keep climbing.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new ConfigError("cannot find the elyza-bot package root (config/default.yaml)");
    dir = parent;
  }
}

function readYamlFile(file: string, label: string): Plain {
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

function environmentLayers(env: NodeJS.ProcessEnv): Layer[] {
  const layers: Layer[] = [];
  const model = env.MODEL?.trim();
  if (model) {
    layers.push({ label: "from MODEL", data: resolvePaths({ model: { uri: model } }, process.cwd()) });
  }
  const maxTokens = wholeNumberVariable(env, "MAX_NEW_TOKENS");
  if (maxTokens !== undefined) layers.push({ label: "from MAX_NEW_TOKENS", data: { sampling: { maxTokens } } });
  const port = wholeNumberVariable(env, "PORT");
  if (port !== undefined) layers.push({ label: "from PORT", data: { http: { port } } });
  return layers;
}

/** Unset or blank → undefined (compose files pass unset variables as ""); digits → the number. */
function wholeNumberVariable(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const text = raw.trim();
  if (!/^\d+$/.test(text)) {
    throw new ConfigError(`${name}: must be a whole number (got ${JSON.stringify(clip(raw))})`);
  }
  return Number(text);
}

const PATH_KEYS: readonly (readonly [string, string])[] = [
  ["model", "directory"],
  ["probe", "suitesDirectory"],
  ["probe", "dataDirectory"],
];

/** Makes the path-valued keys of one layer absolute against `base` (see the header comment). */
function resolvePaths(data: Plain, base: string): Plain {
  const out = structuredClone(data);
  const section = (name: string): Plain | undefined => {
    const value = out[name];
    return isPlainObject(value) ? value : undefined;
  };
  for (const [group, key] of PATH_KEYS) {
    const obj = section(group);
    const value = obj?.[key];
    if (obj && typeof value === "string" && value.trim() !== "") obj[key] = path.resolve(base, value);
  }
  const model = section("model");
  const uri = model?.uri;
  if (model && typeof uri === "string" && uri.trim() !== "" && !isRemoteModelUri(uri)) {
    model.uri = path.resolve(base, uri);
  }
  const probe = section("probe");
  const judge = probe?.judgeModel;
  if (probe && typeof judge === "string" && judge.trim() !== "" && !isRemoteModelUri(judge) && !BACKEND_REF.test(judge)) {
    probe.judgeModel = path.resolve(base, judge);
  }
  // probe.compareModels: name → model, a local path resolved like judgeModel.
  const compare = probe?.compareModels;
  if (probe && isPlainObject(compare)) {
    for (const [name, value] of Object.entries(compare)) {
      if (typeof value === "string" && value.trim() !== "" && !isRemoteModelUri(value)) compare[name] = path.resolve(base, value);
    }
  }
  // probe.suite is a name in suitesDirectory, or (with a slash or a .yaml ending) a file path.
  const suite = probe?.suite;
  if (probe && typeof suite === "string" && (/[/\\]/.test(suite) || /\.ya?ml$/i.test(suite))) {
    probe.suite = path.resolve(base, suite);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Merging

function isPlainObject(value: unknown): value is Plain {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function stripUndefined(value: unknown): Plain {
  const out: Plain = {};
  if (!isPlainObject(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[key] = isPlainObject(v) ? stripUndefined(v) : v;
  }
  return out;
}

/** Objects merge key by key; anything else (arrays included) replaces what was there. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : structuredClone(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messages

const MAX_LISTED = 5;

function describeIssues(issues: readonly z.core.$ZodIssue[], layers: readonly Layer[]): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const keyPath = [...issue.path, key];
        const hint = suggestKey(issue.path, key);
        problems.push(`${formatPath(keyPath)}: unknown key${hint ? ` (did you mean ${hint}?)` : ""}${source(keyPath, layers)}`);
      }
      continue;
    }
    problems.push(`${formatPath(issue.path)}: ${describeIssue(issue, schemaAt(issue.path))}${source(issue.path, layers)}`);
  }
  if (problems.length > MAX_LISTED) {
    const more = problems.length - MAX_LISTED;
    return [...problems.slice(0, MAX_LISTED), `and ${more} more problem${more === 1 ? "" : "s"}`];
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue, schema: unknown): string {
  const got = "input" in issue && issue.input !== undefined ? ` (got ${describeValue(issue.input)})` : "";
  switch (issue.code) {
    case "invalid_type": {
      // zod reports "expected number" for a string given to an int field; say what is wanted.
      const expected = schema instanceof z.ZodNumber && schema.isInt ? "int" : issue.expected;
      if (issue.input === undefined) return `missing (expected ${expectedText(expected)})`;
      return `must be ${expectedText(expected)}${got}`;
    }
    case "too_big":
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters long`;
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      return `must be ${issue.inclusive === false ? "less than" : "at most"} ${issue.maximum}${got}`;
    case "too_small":
      if (issue.origin === "string") return Number(issue.minimum) <= 1 ? "must not be empty" : `must be at least ${issue.minimum} characters long`;
      if (issue.origin === "array") return `must have at least ${issue.minimum} items`;
      return `must be ${issue.inclusive === false ? "greater than" : "at least"} ${issue.minimum}${got}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => String(v)).join(", ")}${got}`;
    default:
      // Custom messages (gpu's union) are already phrased as "must be …".
      return `${issue.message}${got}`;
  }
}

function expectedText(expected: string): string {
  switch (expected) {
    case "int":
      return "a whole number";
    case "number":
      return "a number";
    case "string":
      return "a string (quote it if it looks like a number)";
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
      return "a mapping of keys";
    default:
      return expected;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (isPlainObject(value)) return "a mapping";
  if (typeof value === "string") return JSON.stringify(clip(value));
  return String(value);
}

function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function formatPath(keyPath: readonly PropertyKey[]): string {
  let out = "";
  for (const part of keyPath) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(top level)";
}

/** The last layer that wrote the value at `keyPath` (or its closest parent): where to fix it. */
function source(keyPath: readonly PropertyKey[], layers: readonly Layer[]): string {
  for (let length = keyPath.length; length > 0; length--) {
    const prefix = keyPath.slice(0, length);
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      if (layer && getPath(layer.data, prefix) !== undefined) return ` [${layer.label}]`;
    }
  }
  return "";
}

function getPath(data: unknown, keyPath: readonly PropertyKey[]): unknown {
  let current: unknown = data;
  for (const part of keyPath) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/** The schema of the value at `keyPath` (objects and arrays walked), if the path exists in it. */
function schemaAt(keyPath: readonly PropertyKey[]): unknown {
  let schema: unknown = configSchema;
  for (const part of keyPath) {
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, unknown>)[String(part)];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else return undefined;
  }
  return schema;
}

/** A known key at the same level close to the misspelt one, e.g. maxWaitng → maxWaiting. */
function suggestKey(parentPath: readonly PropertyKey[], key: string): string | undefined {
  const schema = schemaAt(parentPath);
  if (!(schema instanceof z.ZodObject)) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of Object.keys(schema.shape)) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(name, key);
    if (distance <= Math.max(1, Math.floor(name.length / 4)) && (!best || distance < best.distance)) {
      best = { name, distance };
    }
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
