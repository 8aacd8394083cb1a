// `npm run register-commands`: the environment in, one PUT of the command set out.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRegisterCommands } from "../../../src/chat/discord/register.js";
import { FakeDiscord } from "../../fakes/discord/fake-discord.js";

let fake: FakeDiscord;
let lines: { log: string[]; error: string[] };
const out = () => ({ log: (l: string) => void lines.log.push(l), error: (l: string) => void lines.error.push(l) });

beforeEach(async () => {
  fake = await FakeDiscord.start();
  lines = { log: [], error: [] };
});

afterEach(async () => {
  await fake.stop();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { DISCORD_TOKEN: fake.token, DISCORD_APPLICATION_ID: fake.world.applicationId, DISCORD_API_URL: fake.apiUrl, ...extra };
}

describe("register-commands", () => {
  it("PUTs /probe to the guild route when DISCORD_GUILD_ID is set", async () => {
    const code = await runRegisterCommands(env({ DISCORD_GUILD_ID: fake.world.guild.id }), out());
    expect(code).toBe(0);
    const [put] = fake.requests;
    expect(put?.method).toBe("PUT");
    expect(put?.path).toBe(`/applications/${fake.world.applicationId}/guilds/${fake.world.guild.id}/commands`);
    expect(put?.authorization).toBe(`Bot ${fake.token}`);
    expect(put?.body).toEqual([expect.objectContaining({ name: "probe", options: [expect.objectContaining({ name: "args", type: 3 })] })]);
    expect(lines.log).toEqual([`registered /probe in guild ${fake.world.guild.id}`]);
  });

  it("registers globally without a guild id", async () => {
    expect(await runRegisterCommands(env(), out())).toBe(0);
    expect(fake.requests[0]?.path).toBe(`/applications/${fake.world.applicationId}/commands`);
    expect(lines.log).toEqual(["registered /probe globally"]);
  });

  it("names a missing variable in one line and calls nothing", async () => {
    expect(await runRegisterCommands({ DISCORD_TOKEN: "x" }, out())).toBe(2);
    expect(lines.error).toEqual(["register-commands: DISCORD_APPLICATION_ID is not set (environment or .env)"]);
    expect(await runRegisterCommands({}, out())).toBe(2);
    expect(lines.error[1]).toContain("DISCORD_TOKEN and DISCORD_APPLICATION_ID are not set");
    expect(fake.requests).toEqual([]);
  });

  it("reports a refused token in one line", async () => {
    expect(await runRegisterCommands(env({ DISCORD_TOKEN: "wrong" }), out())).toBe(1);
    expect(lines.error).toHaveLength(1);
    expect(lines.error[0]).toMatch(/^register-commands: Discord refused the commands: .*\(check DISCORD_TOKEN\)$/);
  });

  it("says so in one line when Discord cannot be reached", async () => {
    const gone = await FakeDiscord.start();
    const url = gone.apiUrl;
    await gone.stop();
    expect(await runRegisterCommands(env({ DISCORD_API_URL: url }), out())).toBe(1);
    expect(lines.error).toHaveLength(1);
    expect(lines.error[0]).toContain(`register-commands: could not reach Discord at ${url}`);
  });
});
