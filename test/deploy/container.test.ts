// The container files, checked without a Docker engine (none runs here): docker-compose.yml
// parsed as YAML with the keys a GPU host needs, and the Dockerfile's start-up and health check.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import YAML from "yaml";

const compose = YAML.parse(readFileSync("docker-compose.yml", "utf8")) as {
  services: Record<string, Record<string, any>>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync("Dockerfile", "utf8");
/** Dockerfile instructions, continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .filter((l) => /^[A-Z]+\s/.test(l));

describe("docker-compose.yml", () => {
  const bot = compose.services["bot"]!;

  it("runs the bot with the NVIDIA GPU reserved, restarting unless stopped, secrets from env_file", () => {
    expect(Object.keys(compose.services)).toEqual(["bot"]); // the backend example stays commented out
    expect(bot["build"]).toBe(".");
    expect(bot["restart"]).toBe("unless-stopped");
    expect(bot["env_file"]).toBe(".env");
    expect(bot["deploy"].resources.reservations.devices).toEqual([{ driver: "nvidia", count: 1, capabilities: ["gpu"] }]);
    // No secret in the file itself.
    expect(JSON.stringify(bot["environment"])).not.toMatch(/TOKEN|SECRET/);
  });

  it("keeps models and data on named volumes", () => {
    expect(bot["volumes"]).toEqual(["models:/app/models", "data:/app/data"]);
    expect(Object.keys(compose.volumes)).toEqual(["models", "data"]);
  });

  it("checks health on /readyz with a start period long enough for the first 4.9 GB download", () => {
    expect(bot["healthcheck"].test).toEqual(["CMD", "node", "bin/healthcheck.js"]);
    expect(readFileSync("bin/healthcheck.js", "utf8")).toContain('"/readyz"');
    // 4.9 GB at 2 MB/s is ~41 min.
    expect(durationSeconds(bot["healthcheck"].start_period)).toBeGreaterThanOrEqual(45 * 60);
    expect(bot["environment"].PORT).toBe("3000");
    expect(bot["ports"]).toEqual(["3000:3000"]);
    // Longer than the drain (answers get up to 10 s, the socket 5 s).
    expect(durationSeconds(bot["stop_grace_period"])).toBeGreaterThan(15);
  });

  it("shows a second backend service (llama-server) in comments", () => {
    const lines = readFileSync("docker-compose.yml", "utf8").split("\n");
    const start = lines.findIndex((l) => /^\s*# llama-server:$/.test(l));
    const end = lines.findIndex((l, i) => i > start && !/^\s*#/.test(l));
    // Uncommented, the block is YAML of its own.
    const block = lines
      .slice(start, end)
      .map((l) => l.replace(/^(\s*)# ?/, "$1"))
      .join("\n");
    const example = YAML.parse(block) as Record<string, any>;
    expect(example["llama-server"].image).toMatch(/llama\.cpp:server/);
    expect(example["llama-server"].volumes).toEqual(["models:/models:ro"]);
  });
});

describe("Dockerfile", () => {
  it("runs node directly, in exec form, under tini (SIGTERM reaches the bot)", () => {
    expect(instructions.filter((l) => l.startsWith("RUN ")).some((l) => /apt-get install .*\btini\b/.test(l))).toBe(true);
    expect(instructions.filter((l) => l.startsWith("ENTRYPOINT "))).toEqual(['ENTRYPOINT ["/usr/bin/tini", "--"]']);
    const cmd = instructions.filter((l) => l.startsWith("CMD ")).at(-1)!;
    expect(JSON.parse(cmd.slice(4))).toEqual(["node", "bin/elyza-bot.js", "start"]);
  });

  it("has a HEALTHCHECK on /readyz with a long start period", () => {
    const check = instructions.find((l) => l.startsWith("HEALTHCHECK "))!;
    expect(check).toMatch(/CMD \["node", "bin\/healthcheck.js"\]$/);
    expect(durationSeconds(/--start-period=(\S+)/.exec(check)![1]!)).toBeGreaterThanOrEqual(45 * 60);
  });
});

/** "60m", "30s", "1h30m" → seconds. */
function durationSeconds(value: string): number {
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)(h|m|s)/g)) total += Number(n) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
  return total;
}
