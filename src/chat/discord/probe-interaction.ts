// `/probe` on Discord. The first response goes out at once (Discord drops an interaction not
// answered within 3 s): a refusal or a short answer as a reply, or deferReply() before a run.
// The run's progress and report then edit that reply (see probe-reply.ts).

import { MessageFlags, type ChatInputCommandInteraction } from "discord.js";
import type { Asker } from "../../core/types.js";
import { probeMessages } from "../../core/messages.js";
import { parseProbeCommand, PROBE_HELP } from "../../probe/command.js";
import { renderHistory } from "../../probe/report/history.js";
import { renderTranscript, transcriptFileName } from "../../probe/report/transcript.js";
import type { ProbeService } from "../../probe/types.js";
import { PROBE_ARGS_OPTION } from "./commands.js";
import { probeProgressEmbed, probeReportEmbed } from "./probe-embed.js";
import { ProbeReply } from "./probe-reply.js";
import type { DiscordLogger, DiscordResponder } from "./types.js";

export interface ProbeCommandContext {
  readonly responder: Pick<DiscordResponder, "isProbeAdmin">;
  readonly probe: ProbeService | undefined;
  readonly logger: DiscordLogger;
  /** How long after receipt the interaction token is used (Discord's lives 15 min). */
  readonly interactionTokenMs: number;
  readonly progressIntervalMs: number;
  /** Aborted when the adapter stops: no more edits. */
  readonly signal: AbortSignal;
}

/** The shared /probe wording (src/core/messages.ts); exported under this name for the tests. */
export const probeTexts = probeMessages;

const MAX_CONTENT = 2000;
const HISTORY_COUNT = 10;

export function askerOfInteraction(interaction: ChatInputCommandInteraction): Asker {
  const member = interaction.member;
  // A cached guild gives a GuildMember; otherwise Discord's raw member with role ids.
  const roleIds = !member
    ? []
    : Array.isArray(member.roles)
      ? [...member.roles]
      : member.roles.cache.filter((role) => role.id !== interaction.guildId).map((role) => role.id);
  return { platform: "discord", userId: interaction.user.id, roleIds };
}

export async function handleProbeCommand(interaction: ChatInputCommandInteraction, ctx: ProbeCommandContext): Promise<void> {
  const receivedAt = Date.now();
  try {
    const { probe } = ctx;
    if (!probe) return void (await ephemeral(interaction, probeTexts.unavailable));
    const command = parseProbeCommand(interaction.options.getString(PROBE_ARGS_OPTION) ?? "");
    if (command.action === "help") return void (await ephemeral(interaction, PROBE_HELP));
    if (!ctx.responder.isProbeAdmin(askerOfInteraction(interaction))) return void (await ephemeral(interaction, probeTexts.notAdmin));
    switch (command.action) {
      case "error":
        return void (await ephemeral(interaction, `${command.message}\n\n${PROBE_HELP}`));
      case "cancel":
        return void (await interaction.reply({ content: probe.cancel() ? probeTexts.cancelled : probeTexts.nothingToCancel }));
      case "history": {
        const suite = command.suite;
        const text = renderHistory(suite ?? "既定", probe.history(suite, command.count ?? HISTORY_COUNT));
        if (!probe.historyChart) return void (await interaction.reply({ content: codeBlock(text) }));
        // Rendering takes a moment: defer first (Discord's 3 s), then attach the chart.
        await interaction.deferReply();
        const chart = await probe.historyChart(suite, command.count ?? HISTORY_COUNT);
        return void (await interaction.editReply({ content: codeBlock(text), files: [{ attachment: chart.png, name: chart.fileName }] }));
      }
      case "run":
        await interaction.deferReply();
        await runProbe(interaction, ctx, probe, command.options, receivedAt);
        return;
    }
  } catch (error) {
    ctx.logger.error(`discord /probe: ${error instanceof Error ? error.message : String(error)}`);
    const text = probeTexts.failed(error instanceof Error ? error.message : String(error));
    if (interaction.deferred) await interaction.editReply({ content: truncate(text) }).catch(() => {});
    else if (!interaction.replied) await ephemeral(interaction, text).catch(() => {});
  }
}

async function runProbe(
  interaction: ChatInputCommandInteraction,
  ctx: ProbeCommandContext,
  probe: ProbeService,
  options: Parameters<ProbeService["run"]>[0],
  receivedAt: number,
): Promise<void> {
  const handle = probe.run(options, `discord:${interaction.user.id}`);
  const reply = new ProbeReply(interaction, {
    deadline: receivedAt + ctx.interactionTokenMs,
    progressIntervalMs: ctx.progressIntervalMs,
    onError: (error) => ctx.logger.warn(`discord /probe: update failed: ${error instanceof Error ? error.message : String(error)}`),
  });
  const onStop = () => reply.close();
  ctx.signal.addEventListener("abort", onStop, { once: true });
  const meta = { suite: options.suite ?? "既定" };
  const content = handle.joined ? probeTexts.joined : "";
  const unsubscribe = handle.onProgress((progress) => reply.progress({ content, embed: probeProgressEmbed(progress, meta) }));
  try {
    const result = await handle.result;
    unsubscribe();
    // Also when the bot is shutting down (the runner was cancelled first): the partial report
    // replaces the progress, so the message never stays at a progress bar for good.
    const file = { name: transcriptFileName(result), data: Buffer.from(renderTranscript(result), "utf8") };
    await reply.finish({ embed: probeReportEmbed(result), file });
  } catch (error) {
    unsubscribe();
    await reply.finish({ content: truncate(probeTexts.failed(error instanceof Error ? error.message : String(error))) });
  } finally {
    ctx.signal.removeEventListener("abort", onStop);
  }
}

async function ephemeral(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
  await interaction.reply({ content: truncate(content), flags: MessageFlags.Ephemeral });
}

function codeBlock(text: string): string {
  return truncate("```\n" + text.replaceAll("```", "`\u200b``") + "```");
}

function truncate(text: string): string {
  return text.length <= MAX_CONTENT ? text : `${text.slice(0, MAX_CONTENT - 4)}…` + (text.startsWith("```") ? "```" : "");
}
