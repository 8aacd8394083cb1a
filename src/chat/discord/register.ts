// Registers the slash commands with Discord: guild-scoped when a guild id is given (usable at
// once, handy while setting up), else global. A PUT replaces the whole set, so re-running is safe.

import { REST, Routes } from "discord.js";
import { commands } from "./commands.js";

export interface RegisterOptions {
  readonly token: string;
  readonly applicationId: string;
  readonly guildId?: string;
  readonly apiUrl?: string;
}

export interface Registered {
  readonly scope: "guild" | "global";
  readonly names: readonly string[];
}

export async function registerCommands(options: RegisterOptions): Promise<Registered> {
  const rest = new REST(options.apiUrl ? { api: options.apiUrl } : {}).setToken(options.token);
  const route = options.guildId ? Routes.applicationGuildCommands(options.applicationId, options.guildId) : Routes.applicationCommands(options.applicationId);
  const stored = (await rest.put(route, { body: commands })) as readonly { name: string }[];
  return { scope: options.guildId ? "guild" : "global", names: stored.map((c) => c.name) };
}

export interface ScriptOutput {
  log(line: string): void;
  error(line: string): void;
}

const REQUIRED = ["DISCORD_TOKEN", "DISCORD_APPLICATION_ID"] as const;

/** `npm run register-commands`: reads the environment, returns the exit code. */
export async function runRegisterCommands(env: NodeJS.ProcessEnv, out: ScriptOutput): Promise<number> {
  const value = (key: string) => env[key]?.trim() || undefined;
  const missing = REQUIRED.filter((key) => !value(key));
  if (missing.length > 0) {
    out.error(`register-commands: ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set (environment or .env)`);
    return 2;
  }
  const guildId = value("DISCORD_GUILD_ID");
  const apiUrl = value("DISCORD_API_URL");
  try {
    const done = await registerCommands({
      token: value("DISCORD_TOKEN")!,
      applicationId: value("DISCORD_APPLICATION_ID")!,
      ...(guildId && { guildId }),
      ...(apiUrl && { apiUrl }),
    });
    const names = done.names.map((n) => `/${n}`).join(", ");
    out.log(done.scope === "guild" ? `registered ${names} in guild ${guildId}` : `registered ${names} globally`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const status = (error as { status?: number }).status;
    if (status === undefined) {
      out.error(`register-commands: could not reach Discord${apiUrl ? ` at ${apiUrl}` : ""}: ${message}`);
      return 1;
    }
    const hint = status === 401 ? " (check DISCORD_TOKEN)" : status === 403 || status === 404 ? " (check DISCORD_APPLICATION_ID and DISCORD_GUILD_ID)" : "";
    out.error(`register-commands: Discord refused the commands: ${message}${hint}`);
    return 1;
  }
}
