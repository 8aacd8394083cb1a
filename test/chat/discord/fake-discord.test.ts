// The fake itself, driven by a bare discord.js Client: if these fail, the adapter tests cannot be
// trusted. Each case checks one thing discord.js depends on (see shared/platform-notes.md).

import { Client, Events, GatewayIntentBits, Partials, type Message } from "discord.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeDiscord } from "../../fakes/discord/fake-discord.js";

let fake: FakeDiscord;
let client: Client;

beforeEach(async () => {
  fake = await FakeDiscord.start();
  client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
    partials: [Partials.Channel],
    rest: { api: fake.apiUrl },
  });
  client.on(Events.Error, () => {});
});

afterEach(async () => {
  await client.destroy();
  await fake.stop();
});

async function login(): Promise<void> {
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(fake.token);
  await ready;
}

describe("fake Discord", () => {
  it("gets a discord.js client ready with its guild, channel and thread cached", async () => {
    const started = Date.now();
    await login();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(client.user?.id).toBe(fake.world.bot.id);
    expect(client.channels.cache.has(fake.world.channels.general.id)).toBe(true);
    expect(client.channels.cache.get(fake.world.channels.thread.id)?.isThread()).toBe(true);
    expect(fake.gateway.connectionQueries[0]?.get("encoding")).toBe("json");
    expect(fake.gateway.connectionQueries[0]?.has("compress")).toBe(false);
    expect(fake.requestsTo("GET", /^\/gateway\/bot$/)[0]?.authorization).toBe(`Bot ${fake.token}`);
  });

  it("delivers guild and DM messages, and takes replies, edits and fetches", async () => {
    await login();
    const seen: Message[] = [];
    client.on(Events.MessageCreate, (m) => void seen.push(m));
    const { alice } = fake.world.users;
    const question = fake.say({ channel: fake.world.channels.general, author: alice, content: "hello" });
    fake.say({ channel: fake.world.channels.dm, author: alice, content: "dm" });
    const received = await fake.waitFor(() => seen.length >= 2 && seen, 5_000, "two messages");
    expect(received.map((m) => m.content)).toEqual(["hello", "dm"]);
    expect(received[1]?.channel.isDMBased()).toBe(true);
    expect(received[0]?.member?.roles.cache.has(fake.world.roles.admin.id)).toBe(true);

    const reply = await received[0]!.reply("hi @everyone");
    expect(reply.reference?.messageId).toBe(question.id);
    // No allowed_mentions on this client: Discord would ping everyone, and the fake says so.
    expect(reply.mentions.everyone).toBe(true);
    await reply.edit("edited");
    const fetched = await received[0]!.channel.messages.fetch({ message: reply.id, force: true });
    expect(fetched.content).toBe("edited");
    const post = fake.requestsTo("POST", /^\/channels\/\d+\/messages$/)[0];
    expect(post?.body.message_reference.message_id).toBe(question.id);
  });

  it("answers a 429 once with retry_after and discord.js retries after it", async () => {
    await login();
    fake.rateLimitOnce({ method: "POST", path: /^\/channels\/\d+\/messages$/, retryAfter: 0.3 });
    const channel = client.channels.cache.get(fake.world.channels.general.id);
    if (!channel?.isSendable()) throw new Error("no channel");
    const started = Date.now();
    await channel.send("after the limit");
    const posts = fake.requestsTo("POST", /^\/channels\/\d+\/messages$/);
    expect(posts.map((p) => p.status)).toEqual([429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(fake.botMessages().filter((m) => m.content === "after the limit")).toHaveLength(1);
  });

  it("refuses messages over 2,000 characters as Discord does", async () => {
    await login();
    const channel = client.channels.cache.get(fake.world.channels.general.id);
    if (!channel?.isSendable()) throw new Error("no channel");
    await expect(channel.send("あ".repeat(2001))).rejects.toMatchObject({ code: 50035 });
  });

  it("blanks content without the MessageContent intent unless the bot is mentioned", async () => {
    await client.destroy();
    client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages], rest: { api: fake.apiUrl } });
    client.on(Events.Error, () => {});
    await login();
    const seen: Message[] = [];
    client.on(Events.MessageCreate, (m) => void seen.push(m));
    const { alice } = fake.world.users;
    fake.say({ channel: fake.world.channels.general, author: alice, content: "secret" });
    fake.say({ channel: fake.world.channels.general, author: alice, content: `<@${fake.world.bot.id}> visible` });
    await fake.waitFor(() => seen.length >= 2, 5_000, "two messages");
    expect(seen.map((m) => m.content)).toEqual(["", `<@${fake.world.bot.id}> visible`]);
  });

  it("serves slash-command interactions: deferred callback 204, @original edit with a file", async () => {
    await login();
    const got = new Promise<import("discord.js").ChatInputCommandInteraction>((resolve) =>
      client.on(Events.InteractionCreate, (i) => {
        if (i.isChatInputCommand()) resolve(i);
      }),
    );
    fake.runCommand({ user: fake.world.users.alice, channel: fake.world.channels.general, name: "probe" });
    const interaction = await got;
    await interaction.deferReply();
    await interaction.editReply({ content: "done", files: [{ attachment: Buffer.from("# report"), name: "report.md" }] });
    const callback = fake.requestsTo("POST", /^\/interactions\//)[0];
    expect(callback?.status).toBe(204);
    expect(callback?.body.type).toBe(5);
    const edit = fake.requestsTo("PATCH", /\/messages\/@original$/)[0];
    expect(edit?.status).toBe(200);
    expect(edit?.files[0]?.filename).toBe("report.md");
    expect(edit?.files[0]?.data.toString()).toBe("# report");
    expect(edit?.body.content).toBe("done");
  });

  it("acknowledges heartbeats (discord.js measures a ping)", async () => {
    await client.destroy();
    await fake.stop();
    fake = await FakeDiscord.start({ heartbeatIntervalMs: 100 });
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    client.on(Events.Error, () => {});
    await login();
    await fake.waitFor(() => client.ws.ping >= 0, 5_000, "a heartbeat ACK");
    expect(client.ws.ping).toBeGreaterThanOrEqual(0);
  });

  it("honours enforce_nonce as Discord does: the same nonce from the same author returns the first message", async () => {
    await login();
    const channel = client.channels.cache.get(fake.world.channels.general.id);
    if (!channel?.isSendable()) throw new Error("general is not sendable");
    const first = await channel.send({ content: "一通目", nonce: "n-1", enforceNonce: true });
    const again = await channel.send({ content: "二通目", nonce: "n-1", enforceNonce: true });
    expect(again.id).toBe(first.id);
    expect(again.content).toBe("一通目");
    expect(again.nonce).toBe("n-1");
    // Without enforce_nonce, a nonce does not deduplicate (Discord only echoes it).
    const loose = await channel.send({ content: "三通目", nonce: "n-1", enforceNonce: false });
    expect(loose.id).not.toBe(first.id);
    expect(fake.botMessages().map((m) => m.content)).toEqual(["一通目", "三通目"]);
  });

  it("injects lost responses: the message is stored, the response is a 500", async () => {
    await login();
    const channel = client.channels.cache.get(fake.world.channels.general.id);
    if (!channel?.isSendable()) throw new Error("general is not sendable");
    const clear = fake.fault({ method: "POST", path: /^\/channels\/\d+\/messages$/, applied: true, status: 500 });
    // discord.js retries a 500 three times, then gives up with an HTTPError; every try was stored.
    await expect(channel.send({ content: "x" })).rejects.toMatchObject({ status: 500 });
    expect(fake.botMessages()).toHaveLength(4);
    clear();
    await channel.send({ content: "y" });
    expect(fake.botMessages()).toHaveLength(5);
  });
});
