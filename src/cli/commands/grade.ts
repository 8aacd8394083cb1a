import { loadConfig } from "../../config/load.js";
import { gradeAnswer } from "../../probe/grade-answer.js";
import { loadSuite } from "../../probe/suite-loader.js";
import { parseCommandArgs } from "../args.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

export const help = `usage: elyza-bot grade --test ID [--suite NAME_OR_FILE] [--config FILE] < answer.txt

Grades one answer (read from stdin) with the test's rule grader and prints one JSON line:
{"test":ID,"pass":true|false,"reason":"…"}. Exit 0 whatever the verdict.

  --test ID      theory-of-mind | reading | monty-hall (or a test of your suite)
  --suite S      suite name in config/probes or a .yaml path (default: the configured suite)`;

export async function grade(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs("grade", args, {
    test: { type: "string" },
    suite: { type: "string" },
    config: { type: "string" },
  });
  if (values.help) return (io.out(help), 0);
  if (!values.test) throw new UsageError("grade: --test ID is required (see elyza-bot grade --help)");
  if (positionals.length > 0) throw new UsageError("grade: the answer is read from stdin, not from arguments");
  const config = loadConfig({ ...(values.config === undefined ? {} : { configFile: values.config }), env: io.env });
  const suite = loadSuite(values.suite ?? config.probe.suite, config.probe.suitesDirectory);
  const answer = await readStdin(io.stdin);
  if (!answer.trim()) throw new UsageError("grade: stdin was empty; pipe the answer to grade into it");
  io.out(JSON.stringify(gradeAnswer(suite, values.test, answer)));
  return 0;
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}
