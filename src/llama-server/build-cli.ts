// `npm run build:llama-server`: builds (or finds) the cached llama-server and prints its path.

import { ensureLlamaServer, LlamaServerBuildError } from "./build.js";

try {
  const build = await ensureLlamaServer({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${build.serverPath}\n`);
} catch (error) {
  process.stderr.write(`elyza-bot: ${error instanceof LlamaServerBuildError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
