// `npm run build:native [-- --flavour cpu|cuda]`: builds (or finds) node-llama-cpp's addon for this
// host, installs it where node-llama-cpp looks first, and prints the cache entry.

import { parseArgs } from "node:util";
import { SourceBuildError } from "./llama-cpp-source.js";
import { ensureNativeEngine } from "./native-engine.js";

try {
  const { values } = parseArgs({ options: { flavour: { type: "string" } } });
  const flavour = values.flavour;
  if (flavour !== undefined && flavour !== "cpu" && flavour !== "cuda") throw new SourceBuildError(`--flavour must be cpu or cuda, not "${flavour}"`);
  const build = await ensureNativeEngine({ ...(flavour ? { flavour } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(
    `${build.root} (${build.folders.join(", ")}; node-llama-cpp ${build.packageVersion}, llama.cpp ${build.release}, ${build.flavour}${build.amx === "faults" ? ", without AMX: its tiles fault on this host" : ""})\n`,
  );
} catch (error) {
  process.stderr.write(`elyza-bot: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
