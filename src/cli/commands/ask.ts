import { openInference } from "../../app/inference.js";
import { parseCommandArgs, wholeNumber } from "../args.js";
import { configFlags, configFlagsHelp, configFromFlags } from "../config-flags.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

export const help = `usage: elyza-bot ask [--model M] [--config FILE] [--json] [--seed N] [--max-tokens N] "question"

Asks one question and streams the answer to stdout (through the same queue as the bot).
${configFlagsHelp}
  --json         print one JSON object: text, stopReason, tokens, timings
  --seed N       sampling seed (same seed and settings → same answer)
  --max-tokens N at most N new tokens`;

export async function ask(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs("ask", args, {
    ...configFlags,
    json: { type: "boolean" },
    seed: { type: "string" },
    "max-tokens": { type: "string" },
  });
  if (values.help) return (io.out(help), 0);
  const question = positionals.join(" ").trim();
  if (!question) throw new UsageError('ask: give the question as an argument, e.g. elyza-bot ask "日本の首都は？"');
  const seed = wholeNumber("--seed", values.seed, 0, 2 ** 32 - 1);
  const maxTokens = wholeNumber("--max-tokens", values["max-tokens"], 1, 8192);
  const config = configFromFlags(values, io.env);

  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once("SIGINT", onSigint);
  // Ctrl-C during a download or load stops it (a partial download is kept and resumes next time).
  await using inference = await openInference(config, { status: io.stderr, signal: interrupt.signal });
  try {
    const ticket = inference.queue.submit({
      userId: "cli",
      priority: "interactive",
      conversation: { systemPrompt: config.systemPrompt, turns: [{ role: "user", text: question }] },
      sampling: { ...(seed === undefined ? {} : { seed }), ...(maxTokens === undefined ? {} : { maxTokens }) },
      signal: interrupt.signal,
      ...(values.json ? {} : { onTextChunk: (chunk: string) => void io.stdout.write(chunk) }),
    });
    const result = await ticket.result;
    if (values.json) {
      // `binary`: which llama.cpp the local engine ran (npm run build:native's, or the prebuilt one).
      const binary = inference.local ? { binary: inference.local.binary } : {};
      io.out(JSON.stringify({ model: inference.engine.modelName, parallel: inference.engine.parallel, ...binary, ...result }));
    } else {
      io.stdout.write("\n");
      if (result.stopReason === "length") io.err(`(stopped at the ${result.completionTokens}-token limit)`);
    }
    return result.stopReason === "error" ? 1 : 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
