// Discord embeds for /probe: progress while it runs, the report when done. Plain JSON objects (no
// discord.js here; `new EmbedBuilder(embed)` or `{ embeds: [embed] }` both take them), kept within
// Discord's embed limits so a long answer can never make the message fail with 50035.

import {
  excerpt,
  firstFailure,
  formatArms,
  formatCi,
  formatCompare,
  formatDatasetSummary,
  formatPassK,
  formatDuration,
  formatReferences,
  formatRunLabel,
  formatSettings,
  formatShifts,
  formatTally,
  formatTokensPerSecond,
  probeStatus,
  runsDone,
  STATUS_MARK,
  testStatus,
  truncate,
} from "../../probe/report/format.js";
import type { ProbeStatus } from "../../probe/report/format.js";
import { progressBar } from "../../probe/report/progress.js";
import type { ProbeProgress, ProbeResult } from "../../probe/types.js";

export interface DiscordEmbedField {
  readonly name: string;
  readonly value: string;
  readonly inline?: boolean;
}

export interface DiscordEmbed {
  readonly title: string;
  readonly description?: string;
  readonly color: number;
  readonly fields: readonly DiscordEmbedField[];
  readonly footer?: { readonly text: string };
  readonly timestamp?: string;
}

/** Discord's documented embed limits. */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Title, description, field names and values and footer together. */
  total: 6000,
} as const;

export const PROBE_COLORS: Record<ProbeStatus | "running", number> = {
  running: 0x5865f2,
  ok: 0x2ecc71,
  below: 0xf1c40f,
  regressed: 0xe74c3c,
  none: 0x95a5a6,
  cancelled: 0x95a5a6,
};

/** Markdown characters in text we did not write (answers, reasons) would restyle the embed. */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/[\\*_~`|]/g, (c) => `\\${c}`);
}

export interface ProbeProgressMeta {
  readonly suite: string;
  readonly model?: string;
}

export function probeProgressEmbed(progress: ProbeProgress, meta: ProbeProgressMeta): DiscordEmbed {
  return fit({
    title: `プローブ実行中: ${meta.suite}`,
    description: `\`${progressBar(progress.done, progress.total)}\` ${progress.done}/${progress.total}`,
    color: PROBE_COLORS.running,
    fields: progress.perTest.map((t) => ({
      name: t.title,
      value: `${t.passed}/${t.done} 合格（全${t.total}回）${t.compare ? `\nB ${t.compare.passed}/${t.compare.done} 合格` : ""}`,
      inline: true,
    })),
    ...(meta.model ? { footer: { text: meta.model } } : {}),
  });
}

export function probeReportEmbed(result: ProbeResult): DiscordEmbed {
  const description: string[] = [formatSettings(result)];
  if (result.compare) description.push(escapeDiscordMarkdown(formatArms(result)));
  description.push(...formatDatasetSummary(result).map(escapeDiscordMarkdown));
  if (result.cancelled) {
    const { done, planned } = runsDone(result);
    description.push(`⛔ 中止されました: ${planned}回中${done}回の結果です`);
  }
  const shifts = formatShifts(result);
  if (shifts.length > 0) description.push(`⚠️ **前回から変化**\n${shifts.map((s) => `• ${escapeDiscordMarkdown(s)}`).join("\n")}`);

  const fields = result.tests.map((test): DiscordEmbedField => {
    const lines = [`**${formatTally(test)}** (${formatCi(test)})`];
    const refs = formatReferences(test);
    if (refs) lines.push(refs);
    const passK = formatPassK(test);
    if (passK) lines.push(escapeDiscordMarkdown(passK));
    if (test.compare) lines.push(escapeDiscordMarkdown(formatCompare(test)));
    const failure = firstFailure(test);
    if (failure) {
      lines.push(`✗ ${formatRunLabel(failure)}: ${escapeDiscordMarkdown(failure.reason)}`);
      lines.push(`> ${escapeDiscordMarkdown(excerpt(failure.answer))}`);
    }
    return { name: `${STATUS_MARK[testStatus(test, result)]} ${test.title}`, value: lines.join("\n"), inline: false };
  });

  return fit({
    title: `${result.cancelled ? "プローブ中止" : "プローブ結果"}: ${result.suite}`,
    description: description.join("\n"),
    color: PROBE_COLORS[probeStatus(result)],
    fields,
    footer: { text: `${result.model} · 所要時間 ${formatDuration(result.durationMs)} · ${formatTokensPerSecond(result.tokensPerSecond)}` },
    timestamp: result.startedAt,
  });
}

/**
 * Enforces every per-item limit, then the 6,000 total: fields that do not fit are dropped from
 * the end and named in the description.
 */
function fit(embed: DiscordEmbed): DiscordEmbed {
  const title = truncate(embed.title, DISCORD_LIMITS.title);
  const footer = embed.footer ? { text: truncate(embed.footer.text, DISCORD_LIMITS.footer) } : undefined;
  let fields = embed.fields.map((f) => ({
    ...f,
    name: truncate(f.name, DISCORD_LIMITS.fieldName),
    value: truncate(f.value, DISCORD_LIMITS.fieldValue),
  }));
  const note = (dropped: number) => (dropped > 0 ? `\nほか${dropped}件のテストは添付の記録を参照してください` : "");
  const total = fields.length;
  const size = (desc: string) => title.length + desc.length + (footer?.text.length ?? 0) + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  let description = truncate(embed.description ?? "", DISCORD_LIMITS.description - 40);
  if (fields.length > DISCORD_LIMITS.fields) fields = fields.slice(0, DISCORD_LIMITS.fields);
  while (fields.length > 0 && size(description + note(total - fields.length)) > DISCORD_LIMITS.total) fields = fields.slice(0, -1);
  description += note(total - fields.length);
  if (size(description) > DISCORD_LIMITS.total) description = truncate(description, Math.max(0, DISCORD_LIMITS.total - size("")));
  return {
    title,
    ...(description ? { description } : {}),
    color: embed.color,
    fields,
    ...(footer ? { footer } : {}),
    ...(embed.timestamp ? { timestamp: embed.timestamp } : {}),
  };
}
