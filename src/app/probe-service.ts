// Builds the probe runner of the process: suites from the configured directory, rule graders or a
// judge model (src/app/judge.ts), the SQLite history, and the model's fingerprint.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AppConfig } from "../config/schema.js";
import type { InferenceQueueLike } from "../inference/queue-types.js";
import { makeGrader } from "../probe/graders/index.js";
import { ProbeHistory } from "../probe/history.js";
import { ProbeRunner } from "../probe/runner.js";
import { loadSuite } from "../probe/suite-loader.js";
import type { ProbeResult, ProbeSuite } from "../probe/types.js";
import { renderTranscript, transcriptFileName } from "../probe/report/transcript.js";
import { createJudge } from "./judge.js";

export interface ProbeSetup {
  readonly runner: ProbeRunner;
  readonly history: ProbeHistory;
  close(): Promise<void>;
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
}

export function openProbe(options: ProbeSetupOptions): ProbeSetup {
  const { config, queue } = options;
  const judge = createJudge(config, queue, options.status);
  const graders = { rule: makeGrader("rule", judge.ask), judge: makeGrader("judge", judge.ask) };
  const history = new ProbeHistory(config.probe.dataDirectory);
  let fingerprint: Promise<string> | undefined;
  const runner = new ProbeRunner({
    queue,
    loadSuite: (name) => capAnswerLength(loadSuite(name, config.probe.suitesDirectory), config.sampling.maxTokens),
    grade: (test, answer, mode, signal) => graders[mode](test, answer, signal),
    modelName: options.modelName,
    modelHash: () => (fingerprint ??= options.fingerprint()),
    history,
    defaultSuite: config.probe.suite,
    maxInFlight: 2 * options.parallel,
    warn: options.warn,
  });
  return {
    runner,
    history,
    close: async () => {
      history.close();
      await judge.close();
    },
  };
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
