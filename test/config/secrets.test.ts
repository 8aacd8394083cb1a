import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDotEnv } from "../../src/config/dotenv.js";
import { ConfigError } from "../../src/config/errors.js";
import { displayModelUri } from "../../src/config/schema.js";
import { loadSecrets, redact, secretValues } from "../../src/config/secrets.js";

const BOT = "xoxb-1111111111-2222222222-abcdefABCDEFabcdef";
const APP = "xapp-1-A111111-3333333333-0123456789abcdef";
const SIGNING = "8f14e45fceea167a5a36dedd4bea2543";
const DISCORD = "MTExMTExMTExMTExMTExMTEx.GaBcDe.abcdefghijklmnopqrstuvwxyz0123";
const ALL = [BOT, APP, SIGNING, DISCORD];

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (env: NodeJS.ProcessEnv) => loadSecrets(env, { dotEnvFile: false });

function errorOf(env: NodeJS.ProcessEnv): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    for (const secret of ALL) expect(message).not.toContain(secret);
    return message;
  }
  throw new Error("expected a ConfigError");
}

describe("loadSecrets", () => {
  it("nothing set: no platform (the console adapter runs)", () => {
    expect(load({})).toEqual({});
    expect(load({ SLACK_BOT_TOKEN: "", DISCORD_TOKEN: "  " })).toEqual({});
  });

  it("Slack in Socket Mode when SLACK_APP_TOKEN is set", () => {
    expect(load({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP })).toEqual({
      slack: { botToken: BOT, appToken: APP, mode: "socket" },
    });
  });

  it("Slack over HTTP with SLACK_SIGNING_SECRET; Socket Mode wins when both are set", () => {
    expect(load({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING }).slack).toEqual({
      botToken: BOT,
      signingSecret: SIGNING,
      mode: "http",
    });
    expect(load({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING, SLACK_APP_TOKEN: APP }).slack?.mode).toBe("socket");
  });

  it("trims pasted whitespace and passes SLACK_API_URL through", () => {
    const slack = load({ SLACK_BOT_TOKEN: ` ${BOT}\n`, SLACK_APP_TOKEN: APP, SLACK_API_URL: "http://127.0.0.1:9999/api/" }).slack;
    expect(slack?.botToken).toBe(BOT);
    expect(slack?.apiUrl).toBe("http://127.0.0.1:9999/api/");
  });

  it("Discord with and without the optional values", () => {
    expect(load({ DISCORD_TOKEN: DISCORD })).toEqual({ discord: { token: DISCORD } });
    expect(load({ DISCORD_TOKEN: DISCORD, DISCORD_APPLICATION_ID: "123456789012345678", DISCORD_API_URL: "http://127.0.0.1:8080/api" })).toEqual({
      discord: { token: DISCORD, applicationId: "123456789012345678", apiUrl: "http://127.0.0.1:8080/api" },
    });
  });

  it("both platforms at once", () => {
    const secrets = load({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, DISCORD_TOKEN: DISCORD });
    expect(secrets.slack?.mode).toBe("socket");
    expect(secrets.discord?.token).toBe(DISCORD);
  });

  it("half-set Slack credentials name what is missing", () => {
    expect(errorOf({ SLACK_BOT_TOKEN: BOT })).toBe(
      "config error: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is",
    );
    expect(errorOf({ SLACK_APP_TOKEN: APP })).toBe("config error: SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is missing");
    expect(errorOf({ SLACK_SIGNING_SECRET: SIGNING })).toBe("config error: SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is missing");
    expect(errorOf({ SLACK_APP_TOKEN: APP, SLACK_API_URL: "https://slack.example/api/" })).toBe(
      "config error: SLACK_APP_TOKEN and SLACK_API_URL are set but SLACK_BOT_TOKEN is missing",
    );
  });

  it("swapped Slack tokens are caught without showing them", () => {
    expect(errorOf({ SLACK_BOT_TOKEN: APP, SLACK_APP_TOKEN: BOT })).toContain("SLACK_BOT_TOKEN holds an app-level token");
    expect(errorOf({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: BOT })).toContain("SLACK_APP_TOKEN holds a bot token");
  });

  it("half-set Discord credentials name what is missing", () => {
    expect(errorOf({ DISCORD_APPLICATION_ID: "123456789012345678" })).toBe("config error: DISCORD_APPLICATION_ID is set but DISCORD_TOKEN is missing");
    expect(errorOf({ DISCORD_API_URL: "http://127.0.0.1:1/api" })).toBe("config error: DISCORD_API_URL is set but DISCORD_TOKEN is missing");
  });

  it("a DISCORD_APPLICATION_ID that is not a snowflake (a token pasted there) is not echoed", () => {
    expect(errorOf({ DISCORD_TOKEN: DISCORD, DISCORD_APPLICATION_ID: DISCORD })).toBe(
      "config error: DISCORD_APPLICATION_ID must be the numeric application id (a snowflake such as 123456789012345678)",
    );
  });

  it("malformed *_API_URL", () => {
    expect(errorOf({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: APP, SLACK_API_URL: "slack.example/api" })).toBe(
      "config error: SLACK_API_URL must be an http:// or https:// URL",
    );
    expect(errorOf({ DISCORD_TOKEN: DISCORD, DISCORD_API_URL: "ftp://user:pw@host/api" })).toBe(
      "config error: DISCORD_API_URL must be an http:// or https:// URL (got a ftp: URL)",
    );
  });

  it("reports every problem at once", () => {
    const message = errorOf({ SLACK_BOT_TOKEN: BOT, DISCORD_APPLICATION_ID: "1234567" });
    expect(message).toContain("SLACK_APP_TOKEN (Socket Mode)");
    expect(message).toContain("; DISCORD_APPLICATION_ID is set but DISCORD_TOKEN is missing");
  });

  it("reads a .env file; the real environment wins", () => {
    const envFile = path.join(dir, ".env");
    writeFileSync(envFile, `SLACK_BOT_TOKEN=${BOT}\nexport SLACK_APP_TOKEN="${APP}"\nDISCORD_TOKEN='from-file' # comment\n`);
    const secrets = loadSecrets({ DISCORD_TOKEN: DISCORD }, { dotEnvFile: envFile });
    expect(secrets.slack).toEqual({ botToken: BOT, appToken: APP, mode: "socket" });
    expect(secrets.discord?.token).toBe(DISCORD);
  });

  it("reads .env from the working directory by default", () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      writeFileSync(".env", `DISCORD_TOKEN=${DISCORD}\n`);
      expect(loadSecrets({}).discord?.token).toBe(DISCORD);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("parseDotEnv", () => {
  it("handles comments, export, quotes and escapes", () => {
    expect(
      parseDotEnv(
        [
          "# comment",
          "",
          "A=1",
          "export B = two words ",
          'C="line\\nbreak \\"quoted\\""',
          "D='literal \\n # not a comment'",
          "E=value # trailing comment",
          "F=abc#def",
          "G=",
        ].join("\n"),
      ),
    ).toEqual({ A: "1", B: "two words", C: 'line\nbreak "quoted"', D: "literal \\n # not a comment", E: "value", F: "abc#def", G: "" });
  });

  it("errors name the line, never the content", () => {
    expect(() => parseDotEnv("OK=1\nnot-a-key=secretvalue\n")).toThrow(/^config error: \.env line 2: expected KEY=VALUE$/);
    expect(() => parseDotEnv('TOKEN="xoxb-secret')).toThrow(/^config error: \.env line 1 \(TOKEN\): unterminated " quote$/);
  });
});

describe("redact", () => {
  it("replaces every known secret value", () => {
    const secrets = load({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: SIGNING, DISCORD_TOKEN: DISCORD });
    expect(secretValues(secrets)).toEqual([BOT, SIGNING, DISCORD]);
    const text = `auth failed for ${BOT} (secret ${SIGNING}), discord ${DISCORD} twice ${DISCORD}`;
    const out = redact(text, secrets);
    for (const secret of ALL) expect(out).not.toContain(secret);
    expect(out).toBe("auth failed for [redacted] (secret [redacted]), discord [redacted] twice [redacted]");
  });

  it("accepts a plain list, ignores very short values, and catches token shapes it was not told about", () => {
    expect(redact("password hunter2 and abc", ["hunter2", "abc"])).toBe("password [redacted] and abc");
    expect(redact("other workspace xoxp-9999999999-abcdef and xapp-1-ZZZZZZZZZZ", [])).toBe("other workspace [redacted] and [redacted]");
    expect(redact(`token ${DISCORD}.`, [])).toBe("token [redacted].");
  });
});

describe("credentials inside URLs", () => {
  it("redacts the user and password of a proxy API URL", () => {
    const secrets = loadSecrets(
      { DISCORD_TOKEN: "discord-token-123456", DISCORD_API_URL: "https://proxyuser:s3cr3t-pass@proxy.example/api" },
      { dotEnvFile: false },
    );
    expect(redact("GET https://proxyuser:s3cr3t-pass@proxy.example/api failed", secrets)).not.toMatch(/s3cr3t-pass|proxyuser/);
  });

  it("shows a model URL without credentials or query", () => {
    expect(displayModelUri("https://u:p@files.example/m.gguf?X-Amz-Signature=abc")).toBe("https://files.example/m.gguf");
    expect(displayModelUri("hf:elyza/Llama-3-ELYZA-JP-8B-GGUF/x.gguf")).toBe("hf:elyza/Llama-3-ELYZA-JP-8B-GGUF/x.gguf");
    expect(displayModelUri("/models/x.gguf")).toBe("/models/x.gguf");
  });
});
