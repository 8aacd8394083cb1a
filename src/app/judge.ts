// The judge behind judge-mode grading: by default the bot's own model through the shared queue (at
// probe priority, so mentions still go first); or another model (`probe.judgeModel`), loaded on the
// first judged answer with a single sequence and its own small queue, and disposed with the bot.

import type { AppConfig } from "../config/schema.js";
import { defaultThreads } from "../config/threads.js";
import { LlamaEngine } from "../inference/engine.js";
import { resolveModelPath } from "../inference/model-file.js";
import { InferenceQueue } from "../inference/queue.js";
import type { InferenceQueueLike } from "../inference/queue-types.js";
import type { Ask } from "../probe/graders/index.js";

export interface Judge {
  readonly ask: Ask;
  close(): Promise<void>;
}

/** The judge answers deterministically: a verdict should not depend on a dice roll. */
const JUDGE_SAMPLING = { temperature: 0, maxTokens: 512 } as const;

export function createJudge(config: AppConfig, botQueue: InferenceQueueLike): Judge {
  const judgeModel = config.probe.judgeModel;
  if (judgeModel === null) {
    return {
      ask: async (conversation, signal) =>
        (await botQueue.submit({ userId: "probe-judge", priority: "probe", conversation, sampling: JUDGE_SAMPLING, ...(signal ? { signal } : {}) }).result)
          .text,
      close: async () => {},
    };
  }
  let own: Promise<{ engine: LlamaEngine; queue: InferenceQueue }> | undefined;
  const open = async () => {
    const modelPath = await resolveModelPath(judgeModel, { directory: config.model.directory });
    const engine = await LlamaEngine.load({
      modelPath,
      gpu: config.engine.gpu,
      threads: config.engine.threads || defaultThreads(),
      parallel: 1,
      contextSize: config.engine.contextSize,
      batchSize: config.engine.batchSize,
    });
    const queue = new InferenceQueue(engine, {
      sampling: { ...config.sampling, ...JUDGE_SAMPLING },
      maxWaiting: 1000,
      maxPerUser: 1000,
      timeouts: config.queue.timeouts,
    });
    return { engine, queue };
  };
  return {
    ask: async (conversation, signal) => {
      // A failed load is not cached: the next judged answer tries again.
      const { queue } = await (own ??= open().catch((error: unknown) => {
        own = undefined;
        throw error;
      }));
      return (await queue.submit({ userId: "probe-judge", priority: "probe", conversation, ...(signal ? { signal } : {}) }).result).text;
    },
    close: async () => {
      if (!own) return;
      const { engine, queue } = await own.catch(() => ({ engine: undefined, queue: undefined }));
      queue?.cancelAll("shutting down");
      await queue?.onIdle();
      await engine?.dispose();
    },
  };
}
