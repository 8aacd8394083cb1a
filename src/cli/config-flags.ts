// The flags every model-using command shares (--config, --model) and how they reach the config.

import { loadConfig } from "../config/load.js";
import type { AppConfig } from "../config/schema.js";
import type { OptionSpec } from "./args.js";

export const configFlags = {
  config: { type: "string" },
  model: { type: "string" },
} as const satisfies OptionSpec;

export const configFlagsHelp = `  --config FILE  YAML file overriding config/default.yaml (any subset of keys)
  --model M      a .gguf path or an hf: URI (overrides MODEL and the config)`;

export function configFromFlags(values: { config?: string | undefined; model?: string | undefined }, env: NodeJS.ProcessEnv): AppConfig {
  return loadConfig({
    ...(values.config === undefined ? {} : { configFile: values.config }),
    env,
    overrides: values.model === undefined ? {} : { model: { uri: values.model } },
  });
}
