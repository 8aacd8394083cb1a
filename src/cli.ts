// elyza-bot's command line: start | ask | probe | grade | make-test-model | backends.
// User errors (bad flags, config, model path, suite, test id) print one line naming what is wrong
// and exit non-zero, without a stack trace.

import type { CommandIo } from "./cli/io.js";
import { UserError } from "./errors.js";
import { processIo } from "./cli/io.js";

type Command = (args: readonly string[], io: CommandIo) => Promise<number>;

// Loaded lazily so that `make-test-model` and `grade` do not load llama.cpp or the chat clients.
const commands: Record<string, () => Promise<Command>> = {
  start: async () => (await import("./cli/commands/start.js")).start,
  ask: async () => (await import("./cli/commands/ask.js")).ask,
  probe: async () => (await import("./cli/commands/probe.js")).probe,
  grade: async () => (await import("./cli/commands/grade.js")).grade,
  "make-test-model": async () => (await import("./cli/commands/make-test-model.js")).makeTestModel,
  backends: async () => (await import("./cli/commands/backends.js")).backends,
  feedback: async () => (await import("./cli/commands/feedback.js")).feedback,
};

export const help = `usage: elyza-bot <command> [options]

  start [--config FILE] [--model M] [--console]    run the bot (Slack/Discord when their tokens are set, else the terminal)
  ask [--model M] [--json] "question"               one answer, streamed to stdout
  probe [--suite S] [--runs N] [--model M] [--json] run a probe suite, print the tallies
        [--fail-on regression|baseline] [--junit F]  …as a CI gate (exit 100 on a drop)
        [--compare M]                              …as an A/B of two models
  probe history [--png FILE]                       the stored trend (as a chart with --png)
  grade --test ID [--suite S]                      grade one answer read from stdin
  make-test-model OUT.gguf [--seed N] [--shape S]  write a small random-weight GGUF
  backends [--config FILE] [--json]                list the inference backends: state, slots, in use, latency
  feedback export --out F.yaml [--since W]         write the 👎 answers from chat as a draft probe suite

Run elyza-bot <command> --help for a command's options.`;

export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(help);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.out((await import("./version.js")).version);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    io.err(`elyza-bot: unknown command "${name}" (commands: ${Object.keys(commands).join(", ")})`);
    return 2;
  }
  try {
    return await (
      await load()
    )(args, io);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const firstLine = (e.message.split("\n")[0] ?? "").trim() || e.name;
    if (e instanceof UserError) {
      io.err(`elyza-bot: ${firstLine}`);
      return e.exitCode;
    }
    io.err(`elyza-bot: unexpected error: ${firstLine}${io.env.DEBUG ? `\n${e.stack ?? ""}` : " (set DEBUG=1 for details)"}`);
    return 1;
  }
}
