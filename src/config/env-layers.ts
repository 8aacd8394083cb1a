// The environment's layers: MODEL, MAX_NEW_TOKENS and PORT, each its own layer so that a bad value
// is reported "from MAX_NEW_TOKENS".

import { ConfigError } from "./errors.js";
import { clip } from "./issues.js";
import type { Layer } from "./layer.js";
import { resolvePaths } from "./paths.js";

export function environmentLayers(env: NodeJS.ProcessEnv): Layer[] {
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
