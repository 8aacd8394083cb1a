// Files attached to a question on Discord: the message as the real discord.js client receives it
// from the fake, translated by discordAttachments, read from the attachment URLs the fake serves
// like Discord's CDN; sizes from the message refuse a big file before download.

import { Client, Events, GatewayIntentBits, Partials, type Message } from "discord.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAttachments } from "../../../src/attachments/read-attachments.js";
import { discordAttachments } from "../../../src/chat/discord/attachments.js";
import { FakeDiscord } from "../../fakes/discord/fake-discord.js";

let fake: FakeDiscord;
let client: Client;
const perChar = (text: string) => [...text].length;

beforeEach(async () => {
  fake = await FakeDiscord.start();
  client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    partials: [Partials.Channel],
    rest: { api: fake.apiUrl },
  });
  client.on(Events.Error, () => {});
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(fake.token);
  await ready;
});
afterEach(async () => {
  await client.destroy();
  await fake.stop();
});

describe("Discord attachments", () => {
  it("reads text attachments of a message, skips images and refuses an oversized file by its size field", async () => {
    const received = new Promise<Message>((resolve) => client.once(Events.MessageCreate, resolve));
    fake.say({
      channel: fake.world.channels.general,
      author: fake.world.users.alice,
      content: `<@${fake.world.bot.id}> 見て`,
      files: [
        { filename: "log.txt", contentType: "text/plain; charset=utf-8", data: Buffer.from("ERROR: disk full\n") },
        { filename: "config.json", data: Buffer.from('{"retries": 3}') },
        { filename: "cat.jpg", contentType: "image/jpeg", data: Buffer.from([0xff, 0xd8, 0xff]) },
        { filename: "dump.csv", contentType: "text/csv", data: Buffer.alloc(3000, "x") },
      ],
    });
    const message = await received;
    const read = await readAttachments(discordAttachments(message.attachments.values()), { budgetTokens: 1000, countTokens: perChar, maxBytes: 2048 });
    expect(read.blocks.map((b) => [b.name, b.text])).toEqual([
      ["log.txt", "ERROR: disk full\n"],
      ["config.json", '{"retries": 3}'],
    ]);
    expect(read.leftOut.map((l) => [l.name, l.reason])).toEqual([
      ["cat.jpg", "unsupported"],
      ["dump.csv", "too_large"],
    ]);
    // The image and the oversized file were never requested.
    expect(fake.downloads.map((p) => p.split("/").pop()).sort()).toEqual(["config.json", "log.txt"]);
  });
});
