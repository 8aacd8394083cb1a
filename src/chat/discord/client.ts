// The discord.js Client as the bot needs it. Intents and their reasons:
//   Guilds          — guild, channel, thread and role caches (MESSAGE_CREATE in an uncached
//                     channel is dropped by discord.js; roles give Asker.roleIds).
//   GuildMessages   — mentions in guild channels and threads, and MESSAGE_DELETE (cancels answers).
//   DirectMessages  — DMs.
//   MessageContent  — PRIVILEGED (enable "Message Content Intent" in the developer portal): a message
//                     that mentions the bot carries its content anyway, but the earlier messages of a
//                     reply chain fetched for history would arrive blank without it, and so
//                     would a follow-up (a message in the bot's thread that does not mention it).
// Partials.Channel: DM channels are not cached before their first message; Partials.Message: a
// deletion of an uncached message still reaches us (to cancel its answer).

import { Client, GatewayIntentBits, Partials } from "discord.js";

export const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent] as const;

export function createDiscordClient(apiUrl?: string): Client {
  return new Client({
    intents: [...INTENTS],
    partials: [Partials.Channel, Partials.Message],
    // Whatever the model writes ("@everyone", <@id>, <@&role>) pings nobody, and replies do not
    // ping the asker either: the answer is already threaded under their message.
    allowedMentions: { parse: [], repliedUser: false },
    // A reply to a message deleted meanwhile is posted without the reference instead of failing.
    failIfNotExists: false,
    ...(apiUrl !== undefined && { rest: { api: apiUrl } }),
  });
}
