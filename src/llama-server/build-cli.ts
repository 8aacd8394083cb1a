// `npm run build:llama-server`: builds (or finds) the cached llama-server and prints its path.

import { SourceBuildError } from "../build/llama-cpp-source.js";
import { ensureLlamaServer } from "./build.js";

try {
  const build = await ensureLlamaServer({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${build.serverPath}\n`);
} catch (error) {
  process.stderr.write(`elyza-bot: ${error instanceof SourceBuildError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
