// Clicks on an answer's buttons (answer-buttons.ts) → the chat core's act(). The click is acked at
// once with a deferred update (Discord drops an interaction not answered within 3 s; the message
// itself changes through the reply channel's edits), then the core decides; what only the clicker
// should read (a refusal, the thanks for a vote) is an ephemeral follow-up. A regenerated answer
// replies to the question the old one answered, so the reply chain stays a conversation.

import { MessageFlags, type ButtonInteraction, type SendableChannels } from "discord.js";
import type { ChatCore } from "../../core/types.js";
import { parseAnswerCustomId } from "./answer-buttons.js";
import { askerOfInteraction } from "./probe-interaction.js";
import { DiscordReplyChannel } from "./reply-channel.js";
import type { RestRetryOptions } from "./rest-retry.js";
import type { DiscordLogger } from "./types.js";

export interface AnswerClickContext {
  readonly core: ChatCore;
  readonly logger: DiscordLogger;
  readonly restRetry: RestRetryOptions;
}

/** True when the interaction is one of the answer buttons (and is then handled; never rejects). */
export function isAnswerClick(interaction: ButtonInteraction): boolean {
  return parseAnswerCustomId(interaction.customId) !== undefined;
}

export async function handleAnswerClick(interaction: ButtonInteraction, ctx: AnswerClickContext): Promise<void> {
  const clicked = parseAnswerCustomId(interaction.customId);
  if (!clicked) return;
  const warn = (what: string, error: unknown) => ctx.logger.warn(`discord: answer button ${what}: ${error instanceof Error ? error.message : String(error)}`);
  try {
    await interaction.deferUpdate();
  } catch (error) {
    return warn("could not be acknowledged", error);
  }
  const ephemeral = async (content: string) => {
    try {
      await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
    } catch (error) {
      warn("reply failed", error);
    }
  };
  if (!ctx.core.act) return ephemeral("このボットではボタン操作を利用できません。");
  const channel = interaction.channel;
  const message = interaction.message;
  const result = await ctx.core.act(
    { answerId: clicked.answerId, action: clicked.action, clicker: askerOfInteraction(interaction), channelId: interaction.channelId },
    // The interaction's id names the new answer's nonces, so they differ from the old answer's.
    () =>
      new DiscordReplyChannel({
        channel: channel as SendableChannels,
        questionId: message.reference?.messageId ?? message.id,
        retry: ctx.restRetry,
        nonceBase: interaction.id,
      }),
  );
  ctx.logger.info(`discord: answer button ${clicked.action} by ${interaction.user.id}: ${result.kind}`);
  if ("notice" in result) await ephemeral(result.notice);
}
