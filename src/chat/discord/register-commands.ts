// `npm run register-commands` (node bin/run.js dist/chat/discord/register-commands.js):
// DISCORD_TOKEN, DISCORD_APPLICATION_ID, optional DISCORD_GUILD_ID and DISCORD_API_URL, from the
// environment or a .env file in the working directory.

import { withDotEnv } from "../../config/dotenv.js";
import { runRegisterCommands } from "./register.js";

let env: NodeJS.ProcessEnv;
try {
  env = withDotEnv(process.env);
} catch (error) {
  console.error(`register-commands: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
process.exitCode = await runRegisterCommands(env, { log: (l) => console.log(l), error: (l) => console.error(l) });
