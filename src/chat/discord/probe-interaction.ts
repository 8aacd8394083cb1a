// /probe on Discord: the embed rendering of the core's /probe handler (src/core/probe-chat.ts),
// which decides everything else. The first response goes out at once (Discord drops an interaction
// not answered within 3 s): a short answer as an ephemeral reply, or deferReply() before a run or a
// chart. The run's progress and report then edit that reply (see probe-reply.ts).

import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction } from "discord.js";
import type { ProbeChat, ProbeChatSurface } from "../../core/probe-chat.js";
import type { Asker } from "../../core/types.js";
import { renderTranscript, transcriptFileName } from "../../probe/report/transcript.js";
import { PROBE_ARGS_OPTION } from "./commands.js";
import { probeProgressEmbed, probeReportEmbed } from "./probe-embed.js";
import { ProbeReply } from "./probe-reply.js";
import type { DiscordLogger } from "./types.js";

export interface ProbeCommandContext {
  readonly probeChat: ProbeChat;
  readonly logger: DiscordLogger;
  /** How long after receipt the interaction token is used (Discord's lives 15 min). */
  readonly interactionTokenMs: number;
  readonly progressIntervalMs: number;
}

const MAX_CONTENT = 2000;

export function askerOfInteraction(interaction: ChatInputCommandInteraction | ButtonInteraction): Asker {
  const member = interaction.member;
  // A cached guild gives a GuildMember; otherwise Discord's raw member with role ids.
  const roleIds = !member
    ? []
    : Array.isArray(member.roles)
      ? [...member.roles]
      : member.roles.cache.filter((role) => role.id !== interaction.guildId).map((role) => role.id);
  return { platform: "discord", userId: interaction.user.id, roleIds };
}

export function handleProbeCommand(interaction: ChatInputCommandInteraction, ctx: ProbeCommandContext): Promise<void> {
  const request = { asker: askerOfInteraction(interaction), text: interaction.options.getString(PROBE_ARGS_OPTION) ?? "" };
  return ctx.probeChat.handle(request, discordSurface(interaction, ctx, Date.now()));
}

function discordSurface(interaction: ChatInputCommandInteraction, ctx: ProbeCommandContext, receivedAt: number): ProbeChatSurface {
  const onError = (error: unknown) => ctx.logger.warn(`discord /probe: update failed: ${error instanceof Error ? error.message : String(error)}`);
  return {
    async reply(text) {
      // Also the core's last word after a failure: the reply may already be deferred by then.
      if (interaction.deferred) await interaction.editReply({ content: truncate(text) });
      else if (!interaction.replied) await interaction.reply({ content: truncate(text), flags: MessageFlags.Ephemeral });
    },
    async history(text, chart) {
      if (!chart) return void (await interaction.reply({ content: codeBlock(text) }));
      // Rendering takes a moment: defer first (Discord's 3 s), then attach the chart.
      await interaction.deferReply();
      const drawn = await chart();
      await interaction.editReply({ content: codeBlock(text), files: [{ attachment: drawn.png, name: drawn.fileName }] });
    },
    async startRun(suite) {
      await interaction.deferReply();
      const reply = new ProbeReply(interaction, { deadline: receivedAt + ctx.interactionTokenMs, progressIntervalMs: ctx.progressIntervalMs, onError });
      const meta = { suite };
      let content = "";
      return {
        joined(note) {
          content = note;
        },
        progress: (progress) => reply.progress({ content, embed: probeProgressEmbed(progress, meta) }),
        async report(result) {
          const file = { name: transcriptFileName(result), data: Buffer.from(renderTranscript(result), "utf8") };
          await reply.finish({ embed: probeReportEmbed(result), file });
        },
        failed: (text) => reply.finish({ content: truncate(text) }),
      };
    },
  };
}

function codeBlock(text: string): string {
  return truncate("```\n" + text.replaceAll("```", "`\u200b``") + "```");
}

function truncate(text: string): string {
  return text.length <= MAX_CONTENT ? text : `${text.slice(0, MAX_CONTENT - 4)}…` + (text.startsWith("```") ? "```" : "");
}
