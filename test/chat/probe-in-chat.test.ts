// /probe is decided once (src/core/probe-chat.ts): the same commands give the same texts on Slack,
// on Discord and in the terminal, in the same check order. Each platform through its real door: the
// Slack adapter against the fake Slack, the Discord adapter against the fake Discord, the
// terminal's command handler.

import { afterEach, describe, expect, it } from "vitest";
import { consoleProbeCommand } from "../../src/chat/console/probe-command.js";
import { probeMessages } from "../../src/core/messages.js";
import { ProbeChat } from "../../src/core/probe-chat.js";
import { PROBE_HELP } from "../../src/probe/command.js";
import { startHarness as startDiscord, type Harness as DiscordHarness } from "../fakes/discord/harness.js";
import { StubProbe } from "../fakes/discord/stub-probe.js";
import { startHarness as startSlack, type Harness as SlackHarness } from "../fakes/slack/harness.js";

let slack: SlackHarness | undefined;
let discord: DiscordHarness | undefined;
afterEach(async () => {
  await slack?.stop();
  await discord?.stop();
  slack = discord = undefined;
});

/** Commands every platform answers with one short text, none of which starts a run. */
const COMMANDS = ["help", "cancel", "frobnicate", "history suite=../etc"];
const CALLBACK = /^\/interactions\/\d+\/[^/]+\/callback$/;

async function slackReplies(h: SlackHarness, user: string, commands: readonly string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const text of commands) {
    const sent = h.fake.deliverCommand({ command: "/probe", text, user_id: user, channel_id: "C100" });
    const ack = await h.fake.waitForAck(sent.envelopeId, 3000);
    texts.push(String(ack.payload?.["text"]));
  }
  return texts;
}

async function discordReplies(h: DiscordHarness, user: "alice" | "bob", commands: readonly string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const [i, value] of commands.entries()) {
    h.fake.runCommand({ user: h.fake.world.users[user], channel: h.fake.world.channels.general, name: "probe", options: [{ type: 3, name: "args", value }] });
    const reply = await h.fake.waitFor(() => h.fake.requestsTo("POST", CALLBACK)[i], 3_000, `reply ${i + 1}`);
    texts.push(String(reply.body.data.content));
  }
  return texts;
}

async function consoleReplies(commands: readonly string[]): Promise<string[]> {
  const handler = consoleProbeCommand(new ProbeChat({ probe: new StubProbe(), core: { isProbeAdmin: () => false }, defaultSuite: "seed", historyCount: 10 }));
  const texts: string[] = [];
  for (const command of commands) {
    const out: string[] = [];
    expect(await handler(`/probe ${command}`, (t) => out.push(t), new AbortController().signal)).toBe(true);
    texts.push(out.join("\n"));
  }
  return texts;
}

describe("/probe in chat, written once", () => {
  it("answers help, cancel with nothing running, a typo and a bad suite with the same texts everywhere", async () => {
    slack = await startSlack({ access: { probeAdmins: ["UADMIN"] }, probe: new StubProbe() });
    discord = await startDiscord({ probe: new StubProbe() });
    const [onSlack, onDiscord, inTerminal] = [
      await slackReplies(slack, "UADMIN", COMMANDS),
      await discordReplies(discord, "alice", COMMANDS),
      await consoleReplies(COMMANDS),
    ];
    expect(onSlack).toEqual(inTerminal);
    expect(onDiscord).toEqual(inTerminal);
    expect(inTerminal[0]).toBe(PROBE_HELP);
    expect(inTerminal[1]).toBe(probeMessages.nothingToCancel);
    expect(inTerminal[2]).toContain("frobnicate");
    expect(inTerminal[3]).toContain("suite=../etc");
  });

  it("refuses a non-admin first, whatever the command (help too), with the same text on Slack and Discord", async () => {
    const slackProbe = new StubProbe();
    const discordProbe = new StubProbe();
    slack = await startSlack({ access: { probeAdmins: ["UADMIN"] }, probe: slackProbe });
    discord = await startDiscord({ probe: discordProbe });
    const commands = ["help", "cancel", "3"];
    const refusals = commands.map(() => probeMessages.notAdmin);
    expect(await slackReplies(slack, "U1", commands)).toEqual(refusals);
    expect(await discordReplies(discord, "bob", commands)).toEqual(refusals);
    expect([slackProbe.runs, slackProbe.cancels, discordProbe.runs, discordProbe.cancels]).toEqual([[], 0, [], 0]);
  });
});
