import { writeFile } from "node:fs/promises";
import { openInference } from "../../app/inference.js";
import { openProbe, prepareDatasetSuite, withDatasetFile } from "../../app/probe-service.js";
import { isRemoteModelUri } from "../../config/schema.js";
import { resolveModelPath } from "../../inference/model-file.js";
import { evaluateGate, GATE_MODES, type GateMode } from "../../probe/gate.js";
import { ProbeHistory } from "../../probe/history-store.js";
import { readHistory } from "../../probe/run-history.js";
import { renderHistoryPng } from "../../probe/report/chart.js";
import { renderHistory } from "../../probe/report/history.js";
import { renderProbeJson } from "../../probe/report/json.js";
import { renderJunit } from "../../probe/report/junit.js";
import { renderProgressLine, renderTextReport } from "../../probe/report/text.js";
import { renderTranscript } from "../../probe/report/transcript.js";
import { loadSuite } from "../../probe/suite-loader.js";
import { parseCommandArgs, wholeNumber } from "../args.js";
import { configFlags, configFlagsHelp, configFromFlags } from "../config-flags.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

/** `--fail-on` found a drop: distinct from 1 (could not run) so CI can tell the two apart. */
export const GATE_FAILED_EXIT = 100;

export const help = `usage: elyza-bot probe [--suite NAME_OR_FILE] [--runs N] [--tests ID,ID] [--judge] [--model M] [--backend NAME] [--json]
                       [--fail-on regression|baseline|none] [--junit FILE] [--compare M] [--pass-k K] [--dataset FILE]
       elyza-bot probe history [--suite S] [--count N] [--png FILE]

Runs a probe suite (default: the article's three tests, 10 runs each) through the same queue as the
bot, grades every answer and prints the tallies.
Exit codes: 0 it ran (and passed the gate), ${GATE_FAILED_EXIT} the gate failed (the failing tests on stderr), 1 error.
${configFlagsHelp}
  --suite S      suite name in config/probes or a .yaml path (default: the configured suite)
  --runs N       runs per test (default: the suite's)
  --tests IDS    only these test ids, comma-separated
  --judge        grade with the judge model instead of the rule graders
  --backend NAME run against this one of engine.backends only (e.g. a llama-server or vLLM host)
  --json         print only the JSON result on stdout (progress still goes to stderr)
  --transcript F also write the full transcript (prompt, seed, answer, verdict, reason per run) as Markdown
  --fail-on G    regression: fail when a test falls below the previous stored run's 95% interval (same
                 suite and settings, any model); baseline: below the suite's baseline interval; none (default)
  --junit FILE   write JUnit XML (one test case per probe test) for CI
  --compare M    A/B: also run every test on a second model (a .gguf path, an hf: URI or a name from
                 probe.compareModels) with the same seeds, and compare the tallies
  --pass-k K     k of pass^k (default: the smaller of 5 and the runs)
  --dataset FILE a local dataset file for a dataset suite (instead of its hf: source)

probe history: the stored trend of every test; --png FILE draws it as a chart.`;

export async function probe(args: readonly string[], io: CommandIo): Promise<number> {
  if (args[0] === "history") return probeHistory(args.slice(1), io);
  const { values, positionals } = parseCommandArgs("probe", args, {
    ...configFlags,
    suite: { type: "string" },
    runs: { type: "string" },
    tests: { type: "string" },
    judge: { type: "boolean" },
    json: { type: "boolean" },
    transcript: { type: "string" },
    backend: { type: "string" },
    "fail-on": { type: "string" },
    junit: { type: "string" },
    compare: { type: "string" },
    "pass-k": { type: "string" },
    dataset: { type: "string" },
  });
  if (values.help) return (io.out(help), 0);
  if (positionals.length > 0) throw new UsageError(`probe: unexpected argument "${positionals[0]}" (see elyza-bot probe --help)`);
  const runs = wholeNumber("--runs", values.runs, 1, 1000);
  const passK = wholeNumber("--pass-k", values["pass-k"], 1, 1000);
  const failOn = (values["fail-on"] ?? "none") as GateMode;
  if (!GATE_MODES.includes(failOn)) throw new UsageError(`--fail-on must be ${GATE_MODES.join(", ")} (got "${values["fail-on"]}")`);
  const config = configFromFlags(values, io.env);
  const suiteName = values.suite ?? config.probe.suite;
  // A bad suite, test id or compared model fails before minutes of model loading.
  const suite = loadSuite(suiteName, config.probe.suitesDirectory);
  const tests = values.tests
    ?.split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = suite.dataset ? [] : tests?.filter((id) => !suite.tests.some((t) => t.id === id));
  if (unknown?.length)
    throw new UsageError(`probe: unknown test id "${unknown[0]}" in suite ${suite.name} (tests: ${suite.tests.map((t) => t.id).join(", ")})`);
  if (values.dataset !== undefined && !suite.dataset) throw new UsageError(`--dataset: suite ${suite.name} is not a dataset suite`);
  const compare = values.compare;
  if (compare !== undefined && config.probe.compareModels[compare] === undefined && !isRemoteModelUri(compare)) {
    await resolveModelPath(compare, { directory: config.model.directory });
  }

  // A dataset is fetched (once) and checked row by row before the model loads, too.
  if (suite.dataset) await prepareDatasetSuite(config, withDatasetFile(suite, values.dataset));

  await using inference = await openInference(config, { status: io.stderr, ...(values.backend === undefined ? {} : { backend: values.backend }) });
  await using setup = openProbe({
    config,
    queue: inference.queue,
    modelName: inference.engine.modelName,
    fingerprint: inference.fingerprint,
    parallel: inference.engine.parallel,
    warn: (message) => io.err(`warning: ${message}`),
    status: io.stderr,
    compareNames: "any",
    ...(values.dataset !== undefined ? { datasetFile: values.dataset } : {}),
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
        ...(compare !== undefined ? { compare } : {}),
        ...(passK !== undefined ? { passK } : {}),
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
    const gate = evaluateGate(result, failOn);
    if (values.transcript) {
      await writeFile(values.transcript, renderTranscript(result));
      io.err(`transcript written to ${values.transcript}`);
    }
    if (values.junit) {
      await writeFile(values.junit, renderJunit(result, gate));
      io.err(`JUnit XML written to ${values.junit}`);
    }
    if (values.json) io.out(renderProbeJson(result, failOn === "none" ? undefined : gate));
    else io.out(renderTextReport(result));
    if (result.cancelled && failOn !== "none") {
      io.err("elyza-bot: the probe was cancelled, so the gate could not be checked");
      return 1;
    }
    if (!gate.passed) {
      const failed = gate.checks.filter((c) => c.status === "fail");
      io.err(`elyza-bot: gate --fail-on ${failOn} failed for ${failed.length} test${failed.length === 1 ? "" : "s"} (against ${gate.against}):`);
      for (const c of failed) io.err(`  ${c.id} ${c.title}: ${c.reason}`);
      return GATE_FAILED_EXIT;
    }
    if (failOn !== "none") io.err(`gate --fail-on ${failOn} passed (against ${gate.against})`);
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

const historyHelp = `usage: elyza-bot probe history [--config FILE] [--suite S] [--count N] [--png FILE]

Prints the stored tallies of every test of a suite, oldest first; --png also draws them as a chart
(the pass rate with its 95% interval as a band, the baseline as a dashed line). No model is loaded.`;

async function probeHistory(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs("probe history", args, {
    config: { type: "string" },
    suite: { type: "string" },
    count: { type: "string" },
    png: { type: "string" },
  });
  if (values.help) return (io.out(historyHelp), 0);
  if (positionals.length > 0) throw new UsageError(`probe history: unexpected argument "${positionals[0]}"`);
  const count = wholeNumber("--count", values.count, 1, 1000) ?? 20;
  const config = configFromFlags(values, io.env);
  await using history = new ProbeHistory(config.probe.dataDirectory);
  const loaded = loadSuite(values.suite ?? config.probe.suite, config.probe.suitesDirectory);
  const suite = loaded.name;
  const histories = readHistory(loaded, history, count);
  io.out(renderHistory(suite, histories).trimEnd());
  if (values.png) {
    await writeFile(values.png, renderHistoryPng(suite, histories));
    io.err(`chart written to ${values.png}`);
  }
  return 0;
}
