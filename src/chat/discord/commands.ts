// The slash commands the bot registers. One command, `/probe`, with one optional free-text option
// parsed by src/probe/command.ts — the same words work in Slack and the console, so people learn
// one syntax ("/probe 5 tests=reading", "/probe cancel", "/probe history").

import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord.js";

export const PROBE_COMMAND_NAME = "probe";
export const PROBE_ARGS_OPTION = "args";

export const probeCommand: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: PROBE_COMMAND_NAME,
  description: "推論テストを再実行して採点します（心のモデル・国語・モンティ・ホール）",
  description_localizations: { "en-US": "Re-run the reasoning tests and grade them", "en-GB": "Re-run the reasoning tests and grade them" },
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: PROBE_ARGS_OPTION,
      description: "例: 5 / runs=5 tests=reading,monty-hall / cancel / history / help",
      required: false,
      max_length: 200,
    },
  ],
  // Usable in servers and in DMs with the bot; who may actually run it is config (probeAdmins).
  contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
  integration_types: [ApplicationIntegrationType.GuildInstall],
};

export const commands: readonly RESTPostAPIChatInputApplicationCommandsJSONBody[] = [probeCommand];
