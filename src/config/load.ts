// Builds the one AppConfig of the process from four layers, later ones winning key by key:
//   config/default.yaml  <  --config FILE  <  environment (MODEL, MAX_NEW_TOKENS, PORT)  <  CLI flags
// then validates the merged result once and reports every problem on ONE line, naming the key path
// and the layer the bad value came from, so the user knows which file or variable to fix.
//
// Relative paths (model.directory, probe.suitesDirectory, probe.dataDirectory, a local model.uri)
// are made absolute where they are written: in default.yaml against the package root (the shipped
// probe suites live there, and `npx elyza-bot` may run from anywhere), in a --config file against
// that file's directory, in the environment and flags against the working directory.

import path from "node:path";
import { withDotEnv } from "./dotenv.js";
import { environmentLayers } from "./env-layers.js";
import { ConfigError } from "./errors.js";
import { describeIssues } from "./issues.js";
import type { Layer, Plain } from "./layer.js";
import { deepMerge, stripUndefined } from "./merge.js";
import { packageRoot, resolvePaths } from "./paths.js";
import { configSchema, type AppConfig, type DeepPartial } from "./schema.js";
import { readYamlFile } from "./yaml-file.js";

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
