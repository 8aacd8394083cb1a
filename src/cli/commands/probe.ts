import { writeFile } from "node:fs/promises";
import { openInference } from "../../app/inference.js";
import { openProbe } from "../../app/probe-service.js";
import { renderProbeJson } from "../../probe/report/json.js";
import { renderProgressLine, renderTextReport } from "../../probe/report/text.js";
import { renderTranscript } from "../../probe/report/transcript.js";
import { loadSuite } from "../../probe/suite-loader.js";
import { parseCommandArgs, wholeNumber } from "../args.js";
import { configFlags, configFlagsHelp, configFromFlags } from "../config-flags.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

export const help = `usage: elyza-bot probe [--suite NAME_OR_FILE] [--runs N] [--tests ID,ID] [--judge] [--model M] [--backend NAME] [--json]

Runs a probe suite (default: the article's three tests, 10 runs each) through the same queue as the
bot, grades every answer and prints the tallies. Exit 0 when it ran, whatever the tallies.
${configFlagsHelp}
  --suite S      suite name in config/probes or a .yaml path (default: the configured suite)
  --runs N       runs per test (default: the suite's)
  --tests IDS    only these test ids, comma-separated
  --judge        grade with the judge model instead of the rule graders
  --backend NAME run against this one of engine.backends only (e.g. a llama-server or vLLM host)
  --json         print only the JSON result on stdout (progress still goes to stderr)
  --transcript F also write the full transcript (prompt, seed, answer, verdict, reason per run) as Markdown`;

export async function probe(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs("probe", args, {
    ...configFlags,
    suite: { type: "string" },
    runs: { type: "string" },
    tests: { type: "string" },
    judge: { type: "boolean" },
    json: { type: "boolean" },
    transcript: { type: "string" },
    backend: { type: "string" },
  });
  if (values.help) return io.out(help), 0;
  if (positionals.length > 0) throw new UsageError(`probe: unexpected argument "${positionals[0]}" (see elyza-bot probe --help)`);
  const runs = wholeNumber("--runs", values.runs, 1, 1000);
  const config = configFromFlags(values, io.env);
  const suiteName = values.suite ?? config.probe.suite;
  // A bad suite or test id fails before minutes of model loading.
  const suite = loadSuite(suiteName, config.probe.suitesDirectory);
  const tests = values.tests?.split(",").map((t) => t.trim()).filter(Boolean);
  const unknown = tests?.filter((id) => !suite.tests.some((t) => t.id === id));
  if (unknown?.length) throw new UsageError(`probe: unknown test id "${unknown[0]}" in suite ${suite.name} (tests: ${suite.tests.map((t) => t.id).join(", ")})`);

  const inference = await openInference(config, { status: io.stderr, ...(values.backend === undefined ? {} : { backend: values.backend }) });
  const setup = openProbe({
    config,
    queue: inference.queue,
    modelName: inference.engine.modelName,
    fingerprint: inference.fingerprint,
    parallel: inference.engine.parallel,
    warn: (message) => io.err(`warning: ${message}`),
    status: io.stderr,
  });
  const onSigint = () => {
    io.err("\ncancelling the probe…");
    setup.runner.cancel();
  };
  process.once("SIGINT", onSigint);
  try {
    const handle = setup.runner.run(
      {
        suite: suiteName,
        ...(runs === undefined ? {} : { runs }),
        ...(tests ? { tests } : {}),
        ...(values.judge ? { grading: "judge" as const } : {}),
      },
      "cli",
    );
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
    handle.onProgress((progress) => {
      const line = renderProgressLine(progress);
      io.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    });
    const result = await handle.result;
    if (tty) io.stderr.write("\n");
    if (values.transcript) {
      await writeFile(values.transcript, renderTranscript(result));
      io.err(`transcript written to ${values.transcript}`);
    }
    if (values.json) io.out(renderProbeJson(result));
    else io.out(renderTextReport(result));
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
    await setup.close();
    await inference.close();
  }
}
