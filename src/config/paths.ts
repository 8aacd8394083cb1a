// Where relative paths in a layer point (see load.ts's header): the package root for default.yaml,
// the file's directory for --config, the working directory for the environment and the flags.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./errors.js";
import { isPlainObject, type Plain } from "./layer.js";
import { BACKEND_REF, isRemoteModelUri } from "./schema.js";

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

const PATH_KEYS: readonly (readonly [string, string])[] = [
  ["model", "directory"],
  ["probe", "suitesDirectory"],
  ["probe", "dataDirectory"],
];

/** Makes the path-valued keys of one layer absolute against `base` (see the header comment). */
export function resolvePaths(data: Plain, base: string): Plain {
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
