// The wording of configuration problems: one phrase per zod issue ("must be a whole number (got
// "abc")"), the key path, the layer the bad value came from, and a suggestion for a misspelt key.

import { z } from "zod";
import { editDistance } from "./edit-distance.js";
import { isPlainObject, type Layer } from "./layer.js";
import { configSchema } from "./schema.js";

const MAX_LISTED = 5;

export function describeIssues(issues: readonly z.core.$ZodIssue[], layers: readonly Layer[]): string[] {
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

export function describeValue(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (isPlainObject(value)) return "a mapping";
  if (typeof value === "string") return JSON.stringify(clip(value));
  // Anything else YAML or JSON can hold (a date, say) is shown as JSON would write it.
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return typeof value;
}

export function clip(text: string, max = 40): string {
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
