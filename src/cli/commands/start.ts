import { createLogger } from "../../app/logger.js";
import { runBot } from "../../app/bot.js";
import { HeldOutput } from "../../app/held-output.js";
import { loadSecrets } from "../../config/secrets.js";
import { parseCommandArgs } from "../args.js";
import { configFlags, configFlagsHelp, configFromFlags } from "../config-flags.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

export const help = `usage: elyza-bot start [--config FILE] [--model M] [--console]

Runs the bot. Slack starts when SLACK_BOT_TOKEN (+ SLACK_APP_TOKEN, or SLACK_SIGNING_SECRET) is set,
Discord when DISCORD_TOKEN is set — both at once if both are; with neither, or with --console, a
chat in this terminal. All of them share one model and one queue.
${configFlagsHelp}
  --console      the terminal chat, even when platform tokens are set`;

export async function start(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs("start", args, { ...configFlags, console: { type: "boolean" } });
  if (values.help) return (io.out(help), 0);
  if (positionals.length > 0) throw new UsageError(`start: unexpected argument "${positionals[0]}" (see elyza-bot start --help)`);
  const config = configFromFlags(values, io.env);
  const secrets = loadSecrets(io.env);
  const terminal = values.console === true || (!secrets.slack && !secrets.discord);
  // A start-up error is one line on stderr (design.md). On the platforms, nothing else uses stdout,
  // so the log and the progress go there. The terminal chat owns stdout: its log stays on stderr,
  // held until start-up is done (src/app/held-output.ts).
  const held = terminal ? new HeldOutput(io.stderr) : undefined;
  const logger = createLogger(config.log.level, secrets, held ?? io.stdout);
  const status = terminal ? io.stderr : io.stdout;
  try {
    await runBot({ config, secrets, logger, console: terminal, stdin: io.stdin, stdout: io.stdout, status, onStarted: () => held?.release() });
  } catch (error) {
    held?.discard();
    throw error;
  }
  return 0;
}
