// Times requests from outside the queue: a decorator around InferenceQueueLike.submit that sees
// submission, the start (onPosition(0) or the first chunk, whichever comes first), the first
// chunk and the end, and counts the tokens of the result. The queue itself is not touched.

import type { InferenceQueueLike, InferenceRequest, InferenceTicket } from "../inference/queue-types.js";
import type { BotMetrics } from "./bot-metrics.js";

export function instrumentQueue<Q extends InferenceQueueLike>(queue: Q, metrics: BotMetrics, now: () => number = performance.now.bind(performance)): InferenceQueueLike {
  metrics.observeQueue(() => queue.stats());
  return {
    stats: () => queue.stats(),
    onIdle: () => queue.onIdle(),
    submit(request: InferenceRequest): InferenceTicket {
      const { priority } = request;
      const labels = { priority };
      // Latency histograms are for interactive requests (see BotMetrics).
      const timed = priority === "interactive";
      const submittedAt = now();
      let startedAt: number | undefined;
      let firstChunk = false;
      let waiting = false;
      const start = () => {
        if (startedAt !== undefined) return;
        startedAt = now();
        if (timed) metrics.queueWaitSeconds.observe((startedAt - submittedAt) / 1000);
        if (waiting) metrics.waitingChanged(priority, -1);
        waiting = false;
      };
      const ticket = queue.submit({
        ...request,
        onPosition: (position) => {
          if (position === 0) start();
          request.onPosition?.(position);
        },
        onTextChunk: (chunk) => {
          start();
          if (!firstChunk) {
            firstChunk = true;
            if (timed) metrics.firstTokenSeconds.observe((now() - submittedAt) / 1000);
          }
          request.onTextChunk?.(chunk);
        },
      });
      // Counted only once accepted: a refused submit (QueueFullError) threw above.
      if (startedAt === undefined) {
        waiting = true;
        metrics.waitingChanged(priority, 1);
      }
      const settle = () => {
        if (waiting) metrics.waitingChanged(priority, -1);
        waiting = false;
        if (!timed) return;
        const end = now();
        if (startedAt !== undefined) metrics.generationSeconds.observe((end - startedAt) / 1000);
        metrics.requestSeconds.observe((end - submittedAt) / 1000);
      };
      ticket.result.then(
        (result) => {
          settle();
          metrics.generatedTokens.inc(labels, result.completionTokens);
          metrics.promptTokens.inc(labels, result.promptTokens);
        },
        settle,
      );
      return ticket;
    },
  };
}
