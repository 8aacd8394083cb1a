// Builds the probe runner of the process: suites from the configured directory, rule graders or a
// judge model (src/app/judge.ts), the SQLite history, and the model's fingerprint.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AppConfig } from "../config/schema.js";
import type { InferenceQueueLike } from "../inference/queue-types.js";
import { readDatasetFile } from "../probe/dataset/fetch.js";
import { withDatasetTests } from "../probe/dataset/parse.js";
import { makeGrader } from "../probe/graders/index.js";
import { ProbeHistory } from "../probe/history-store.js";
import { ProbeOptionsError } from "../probe/plan.js";
import { ProbeRunner } from "../probe/runner.js";
import type { CompareModel } from "../probe/runner-options.js";
import { loadSuite } from "../probe/suite-loader.js";
import type { HistoryChart, ProbeResult, ProbeSuite } from "../probe/types.js";
import { renderTranscript, transcriptFileName } from "../probe/report/transcript.js";
import { openInference } from "./inference.js";
import { createJudge } from "./judge.js";

/** Disposing closes the history store and the judge; twice is fine. */
export interface ProbeSetup extends AsyncDisposable {
  readonly runner: ProbeRunner;
  readonly history: ProbeHistory;
}

export interface ProbeSetupOptions {
  readonly config: AppConfig;
  readonly queue: InferenceQueueLike;
  readonly modelName: string;
  /** Identifies the model(s) answering (Inference.fingerprint). */
  readonly fingerprint: () => Promise<string>;
  /** Sequences of the engine: the runner keeps twice as many runs in the queue. */
  readonly parallel: number;
  readonly warn: (message: string) => void;
  /** Where a judge model's download progress and llama.cpp warnings go. */
  readonly status: NodeJS.WritableStream;
  /**
   * What `compare` may name. Default (chat): only the names in probe.compareModels. The CLI passes
   * "any": a file or hf: URI as given.
   */
  readonly compareNames?: "configured" | "any";
  /** A local file instead of a dataset suite's configured source (`probe --dataset FILE`). */
  readonly datasetFile?: string;
}

export function openProbe(options: ProbeSetupOptions): ProbeSetup {
  const { config, queue } = options;
  const judge = createJudge(config, queue, options.status);
  const graders = { rule: makeGrader("rule", judge.ask), judge: makeGrader("judge", judge.ask) };
  const history = new ProbeHistory(config.probe.dataDirectory);
  let fingerprint: Promise<string> | undefined;
  const runner = new ProbeRunner({
    queue,
    loadSuite: (name) => withDatasetFile(capAnswerLength(loadSuite(name, config.probe.suitesDirectory), config.sampling.maxTokens), options.datasetFile),
    grade: (test, answer, mode, signal) => graders[mode](test, answer, signal),
    modelName: options.modelName,
    modelHash: () => (fingerprint ??= options.fingerprint()),
    history,
    defaultSuite: config.probe.suite,
    maxInFlight: 2 * options.parallel,
    warn: options.warn,
    openCompare: (name) => openCompareModel(config, compareUri(config, name, options.compareNames ?? "configured"), options.status),
    prepareSuite: (suite) => prepareDatasetSuite(config, suite),
    judgeName: config.probe.judgeModel ?? `the bot's own model (${options.modelName})`,
  });
  return {
    runner,
    history,
    [Symbol.asyncDispose]: async () => {
      await history[Symbol.asyncDispose]();
      await judge[Symbol.asyncDispose]();
    },
  };
}

/** The model URI behind a `compare` name: a configured name, or (CLI) the file or URI itself. */
function compareUri(config: AppConfig, name: string, names: "configured" | "any"): string {
  const configured = config.probe.compareModels[name];
  if (configured !== undefined) return configured;
  if (names === "any") return name;
  const known = Object.keys(config.probe.compareModels);
  throw new ProbeOptionsError(
    `compare=${name}: not a configured model (${known.length ? `configured: ${known.join(", ")}` : "none configured: add them under probe.compareModels"})`,
  );
}

/**
 * Opens the second model of an A/B probe with the bot's engine settings, and releases it when the
 * probe is done. The one place that turns a compare target into a queue: a backend name would be
 * mapped here once backends exist.
 */
export async function openCompareModel(config: AppConfig, uri: string, status: NodeJS.WritableStream): Promise<CompareModel> {
  const inference = await openInference(config, { status, model: uri });
  let fingerprint: Promise<string> | undefined;
  return {
    modelName: inference.engine.modelName,
    queue: inference.queue,
    modelHash: () => (fingerprint ??= inference.fingerprint()),
    [Symbol.asyncDispose]: () => inference[Symbol.asyncDispose](),
  };
}

/** Reads a dataset suite's file (downloaded once into the model cache) into its tests. */
export async function prepareDatasetSuite(config: AppConfig, suite: ProbeSuite): Promise<ProbeSuite> {
  if (!suite.dataset) return suite;
  const suiteFile = path.join(config.probe.suitesDirectory, `${suite.name}.yaml`);
  const { file, text } = await readDatasetFile(suite.dataset.source, {
    directory: config.model.directory,
    localHint: `set dataset.source in ${suiteFile} (or pass --dataset FILE) to a local copy of the file`,
  });
  return withDatasetTests(suite, text, file);
}

/** The suite with `file` as its dataset source (`probe --dataset FILE`); other suites unchanged. */
export function withDatasetFile(suite: ProbeSuite, file: string | undefined): ProbeSuite {
  if (!file || !suite.dataset) return suite;
  return { ...suite, dataset: { ...suite.dataset, source: file } };
}

/**
 * The bot's answer limit (sampling.maxTokens, MAX_NEW_TOKENS) caps probe answers too, so a quick
 * check can run with short answers; the defaults of both are the article's 1200.
 */
function capAnswerLength(suite: ProbeSuite, maxTokens: number): ProbeSuite {
  if (suite.sampling.maxTokens <= maxTokens) return suite;
  return { ...suite, sampling: { ...suite.sampling, maxTokens } };
}

/** Writes a probe's Markdown transcript under `directory/transcripts/` and returns its path. */
export async function saveTranscript(directory: string, result: ProbeResult): Promise<string> {
  const dir = path.join(directory, "transcripts");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, transcriptFileName(result));
  await writeFile(file, renderTranscript(result));
  return file;
}

/** Writes a `/probe history` chart under `directory/charts/` and returns its path. */
export async function saveChart(directory: string, chart: HistoryChart): Promise<string> {
  const dir = path.join(directory, "charts");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, chart.fileName);
  await writeFile(file, chart.png);
  return file;
}
