// Platform credentials, read ONLY from the environment (plus a .env file in the working directory,
// which never overrides a real variable) — never from YAML, which gets committed. An adapter starts
// when its credentials are complete; half-set credentials are an error rather than a silently
// disabled platform. No message here ever contains a secret value, only variable names.

import { ConfigError } from "./errors.js";
import { withDotEnv } from "./dotenv.js";

export interface SlackSecrets {
  readonly botToken: string;
  /** Set → Socket Mode (the default Slack mode, no public URL needed). */
  readonly appToken?: string;
  /** Set without appToken → HTTP mode (Events API) on config http.port. */
  readonly signingSecret?: string;
  /** Web API base URL for Bolt's clientOptions.slackApiUrl (GovSlack, proxies, tests). */
  readonly apiUrl?: string;
  readonly mode: "socket" | "http";
}

export interface DiscordSecrets {
  readonly token: string;
  readonly applicationId?: string;
  /** REST base URL for discord.js's rest.api (REST proxies, tests). */
  readonly apiUrl?: string;
}

export interface Secrets {
  readonly slack?: SlackSecrets;
  readonly discord?: DiscordSecrets;
  /** ELYZA_API_TOKEN: bearer tokens of the bot's own API (several separated by commas). */
  readonly apiTokens?: readonly string[];
}

export interface LoadSecretsOptions {
  /** A .env file filling in variables the environment lacks; false skips it. Default ".env". */
  readonly dotEnvFile?: string | false;
}

export function loadSecrets(env: NodeJS.ProcessEnv = process.env, options: LoadSecretsOptions = {}): Secrets {
  const all = withDotEnv(env, options.dotEnvFile ?? ".env");
  const get = (name: string): string | undefined => {
    const value = all[name]?.trim();
    return value ? value : undefined;
  };
  const problems: string[] = [];

  let slack: SlackSecrets | undefined;
  const botToken = get("SLACK_BOT_TOKEN");
  const appToken = get("SLACK_APP_TOKEN");
  const signingSecret = get("SLACK_SIGNING_SECRET");
  const slackApiUrl = checkUrl("SLACK_API_URL", get("SLACK_API_URL"), problems);
  if (botToken) {
    if (botToken.startsWith("xapp-")) {
      problems.push("SLACK_BOT_TOKEN holds an app-level token (xapp-…): that one belongs in SLACK_APP_TOKEN; SLACK_BOT_TOKEN is the xoxb-… bot token");
    } else if (appToken?.startsWith("xoxb-")) {
      problems.push("SLACK_APP_TOKEN holds a bot token (xoxb-…): SLACK_APP_TOKEN is the app-level xapp-… token (Socket Mode)");
    } else if (!appToken && !signingSecret) {
      problems.push("SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is");
    } else {
      slack = {
        botToken,
        ...(appToken ? { appToken } : {}),
        ...(signingSecret ? { signingSecret } : {}),
        ...(slackApiUrl ? { apiUrl: slackApiUrl } : {}),
        mode: appToken ? "socket" : "http",
      };
    }
  } else {
    const orphans = ["SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"].filter((name) => get(name));
    if (orphans.length > 0) problems.push(`${orphans.join(" and ")} ${orphans.length === 1 ? "is" : "are"} set but SLACK_BOT_TOKEN is missing`);
  }

  let discord: DiscordSecrets | undefined;
  const discordToken = get("DISCORD_TOKEN");
  const applicationId = get("DISCORD_APPLICATION_ID");
  const discordApiUrl = checkUrl("DISCORD_API_URL", get("DISCORD_API_URL"), problems);
  if (applicationId !== undefined && !/^\d{5,25}$/.test(applicationId)) {
    // Application ids are public snowflakes, so showing it is safe — unless a token was pasted here.
    problems.push("DISCORD_APPLICATION_ID must be the numeric application id (a snowflake such as 123456789012345678)");
  }
  if (discordToken) {
    discord = {
      token: discordToken,
      ...(applicationId ? { applicationId } : {}),
      ...(discordApiUrl ? { apiUrl: discordApiUrl } : {}),
    };
  } else {
    const orphans = ["DISCORD_APPLICATION_ID", "DISCORD_API_URL"].filter((name) => get(name));
    if (orphans.length > 0) problems.push(`${orphans.join(" and ")} ${orphans.length === 1 ? "is" : "are"} set but DISCORD_TOKEN is missing`);
  }

  const apiTokens = (get("ELYZA_API_TOKEN") ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");

  if (problems.length > 0) {
    // Belt and braces: nothing above interpolates a value, but never let one slip into a message.
    const secrets = [botToken, appToken, signingSecret, discordToken].filter((s): s is string => s !== undefined);
    throw new ConfigError(problems.map((p) => redact(p, secrets)));
  }
  return { ...(slack ? { slack } : {}), ...(discord ? { discord } : {}), ...(apiTokens.length > 0 ? { apiTokens } : {}) };
}

/** An http(s) URL or a problem; the value is not echoed (it may carry user:password@). */
function checkUrl(name: string, value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} must be an http:// or https:// URL`);
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`${name} must be an http:// or https:// URL (got a ${url.protocol} URL)`);
    return undefined;
  }
  return value;
}

/** Every secret value of `secrets`, for redact(). */
export function secretValues(secrets: Secrets): string[] {
  const values = [secrets.slack?.botToken, secrets.slack?.appToken, secrets.slack?.signingSecret, secrets.discord?.token, ...(secrets.apiTokens ?? [])];
  // A proxy URL may carry credentials (https://user:pass@host/…).
  for (const url of [secrets.slack?.apiUrl, secrets.discord?.apiUrl]) values.push(...urlCredentials(url));
  return values.filter((v): v is string => v !== undefined && v !== "");
}

function urlCredentials(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const { username, password } = new URL(url);
    return [decodeURIComponent(password), password, decodeURIComponent(username), username];
  } catch {
    return [];
  }
}

export const REDACTED = "[redacted]";

// Token shapes, redacted even when not among the known values (a token from another workspace,
// one pasted into a question): Slack xoxb-/xoxp-/xapp-… and Discord's three dot-separated parts.
const TOKEN_PATTERNS = [/\bxox[abposre]-[A-Za-z0-9-]{8,}/g, /\bxapp-[A-Za-z0-9-]{8,}/g, /\b[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}/g];

/**
 * `text` with every secret value and every token-shaped string replaced by "[redacted]". Use it on
 * anything that goes to a log or a chat message and may echo configuration or an upstream error.
 */
export function redact(text: string, secrets: Secrets | readonly string[]): string {
  const values = (Array.isArray(secrets) ? [...(secrets as readonly string[])] : secretValues(secrets as Secrets))
    // Very short values would redact ordinary words; real secrets are long.
    .filter((v) => v.length >= 6)
    // Longest first, so that a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const value of values) out = out.split(value).join(REDACTED);
  for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}
