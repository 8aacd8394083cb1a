// The judge behind judge-mode grading: by default the bot's own model through the shared queue (at
// probe priority, so mentions still go first); or another model (`probe.judgeModel`), loaded on the
// first judged answer with a single sequence and its own small queue, and disposed with the bot; or
// one of engine.backends (`backend:NAME`, e.g. a larger model on a vLLM host), opened the same way.

import { BACKEND_REF, type AppConfig } from "../config/schema.js";
import type { InferenceQueueLike } from "../inference/queue-types.js";
import type { Ask } from "../probe/graders/index.js";
import { openInference, type Inference } from "./inference.js";

/** Disposing cancels the judge's own requests and frees its model (when it has one of its own). */
export interface Judge extends AsyncDisposable {
  readonly ask: Ask;
}

/** The judge answers deterministically: a verdict should not depend on a dice roll. */
const JUDGE_SAMPLING = { temperature: 0, maxTokens: 512 } as const;

export function createJudge(config: AppConfig, botQueue: InferenceQueueLike, status: NodeJS.WritableStream): Judge {
  const judgeModel = config.probe.judgeModel;
  if (judgeModel === null) {
    return { ask: askThrough(botQueue), [Symbol.asyncDispose]: async () => {} };
  }
  // Loaded like the bot's model, with one sequence: judging is a background job.
  let own: Promise<Inference> | undefined;
  const backend = judgeModel.match(BACKEND_REF)?.[1];
  const open = () => openInference(config, backend === undefined ? { status, model: judgeModel, parallel: 1 } : { status, backend });
  return {
    ask: async (conversation, signal) => {
      // A failed load is not cached: the next judged answer tries again.
      const { queue } = await (own ??= open().catch((error: unknown) => {
        own = undefined;
        throw error;
      }));
      return askThrough(queue)(conversation, signal);
    },
    [Symbol.asyncDispose]: async () => {
      const inference = await own?.catch(() => undefined);
      await inference?.[Symbol.asyncDispose]();
    },
  };
}

/** Judge requests queue at probe priority, so mentions still go first; `signal` withdraws one. */
function askThrough(queue: InferenceQueueLike): Ask {
  return async (conversation, signal) =>
    (await queue.submit({ userId: "probe-judge", priority: "probe", conversation, sampling: JUDGE_SAMPLING, ...(signal ? { signal } : {}) }).result).text;
}
