// Logging in, with the failures people actually hit turned into one clear line. discord.js's
// login() never settles when the gateway closes with 4014 (privileged intent not enabled in the
// developer portal) — it waits for a READY that will not come — so readiness is raced against
// the shard's disconnect and a timeout.

import { Events, type Client } from "discord.js";

const CLOSE_REASONS: Record<number, string> = {
  4004: "Discord rejected the bot token (gateway close 4004): check DISCORD_TOKEN",
  4013: "Discord rejected the gateway intents (close 4013)",
  4014: 'Discord refused the privileged Message Content intent (gateway close 4014): enable "Message Content Intent" under Bot → Privileged Gateway Intents in the Discord developer portal',
};

export async function connect(client: Client, token: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    client.once(Events.ClientReady, () => resolve());
    client.once(Events.ShardDisconnect, (event) =>
      reject(new Error(CLOSE_REASONS[event.code] ?? `Discord closed the gateway connection (code ${event.code})`)),
    );
    timer = setTimeout(() => reject(new Error(`Discord did not become ready within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  ready.catch(() => {}); // settled through the race below; never unhandled
  try {
    await Promise.race([client.login(token).then(() => ready), ready]);
  } catch (error) {
    await client.destroy();
    throw explain(error);
  } finally {
    clearTimeout(timer);
  }
}

function explain(error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  if (code === "TokenInvalid" || (error as { status?: unknown }).status === 401) {
    return new Error("Discord rejected the bot token (401): check DISCORD_TOKEN");
  }
  return error instanceof Error ? error : new Error(String(error));
}
