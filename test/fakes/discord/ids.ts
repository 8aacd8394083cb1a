// Snowflakes as Discord makes them: milliseconds since the Discord epoch in the high bits, so
// discord.js's createdTimestamp and id ordering (newest first in lists) behave as they do live.

const DISCORD_EPOCH = 1420070400000n;
let counter = 0n;

export function snowflake(at: number = Date.now()): string {
  counter = (counter + 1n) & 0xfffn;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | counter).toString();
}

/** Compares snowflakes numerically (string comparison fails on different lengths). */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
