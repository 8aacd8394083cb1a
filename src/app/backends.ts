// The configured inference backends (engine.backends) as pool members: the in-process model loaded
// by the caller, each `openai` server as an OpenAiBackend with its key read from the environment
// variable the config names. Also the selection of one backend by name (probe --backend, the judge).

import { createHash } from "node:crypto";
import type { AppConfig, BackendConfig, OpenAiBackendConfig } from "../config/schema.js";
import { ConfigError } from "../config/errors.js";
import { withDotEnv } from "../config/dotenv.js";
import { OpenAiBackend } from "../inference/backends/openai-backend.js";
import type { PoolMember } from "../inference/backends/backend-pool.js";

/** The configured backends, or only the one named `only` (a usage error naming the choices when unknown). */
export function selectBackends(config: AppConfig, only?: string): readonly BackendConfig[] {
  const all = config.engine.backends;
  if (only === undefined) return all;
  const found = all.find((b) => b.name === only);
  if (!found) throw new ConfigError(`no backend named "${only}" in engine.backends (backends: ${all.map((b) => b.name).join(", ")})`);
  return [found];
}

/** One `openai` backend as a pool member; its API key comes from the variable `apiKeyEnv` names. */
export function openAiMember(config: OpenAiBackendConfig, env: NodeJS.ProcessEnv): PoolMember {
  let apiKey: string | undefined;
  if (config.apiKeyEnv !== undefined) {
    apiKey = withDotEnv(env, ".env")[config.apiKeyEnv]?.trim();
    if (!apiKey) throw new ConfigError(`engine.backends ${config.name}: apiKeyEnv names ${config.apiKeyEnv}, which is not set in the environment`);
  }
  const backend = new OpenAiBackend({
    name: config.name,
    baseUrl: config.baseUrl,
    model: config.model,
    slots: config.slots,
    ...(apiKey ? { apiKey } : {}),
    ...(config.headers ? { headers: config.headers } : {}),
  });
  return { name: config.name, kind: "openai", engine: backend, slots: config.slots, check: () => backend.check() };
}

/**
 * What a probe history entry is fingerprinted by when answers come from servers: the server URL and
 * model of each (a changed model or host shows up as a different fingerprint), plus the local file's.
 */
export function backendsFingerprint(backends: readonly BackendConfig[], localFingerprint: string | undefined): string {
  const hash = createHash("sha256");
  for (const b of backends) hash.update(b.kind === "openai" ? `openai ${b.baseUrl} ${b.model}\n` : `in-process ${localFingerprint ?? ""}\n`);
  return hash.digest("hex");
}
