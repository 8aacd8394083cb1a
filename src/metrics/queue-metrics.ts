// Times requests from outside the queue: a decorator around InferenceQueueLike.submit that sees
// submission, the start (onPosition(0) or the first chunk, whichever comes first), the first
// chunk and the end, and counts the tokens of the result. The queue itself is not touched.

import type { InferenceQueueLike, InferenceRequest, InferenceTicket, Priority } from "../inference/queue-types.js";
import type { BotMetrics } from "./bot-metrics.js";

/** One finished request, for the log (milliseconds; undefined where the stage was not reached). */
export interface RequestEnd {
  readonly priority: Priority;
  readonly userId: string;
  readonly queueMs: number | undefined;
  readonly firstTokenMs: number | undefined;
  readonly generationMs: number | undefined;
  readonly totalMs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** The result's stopReason, or the rejection's error name. */
  readonly end: string;
}

export interface InstrumentOptions {
  readonly onEnd?: (end: RequestEnd) => void;
  readonly now?: () => number;
}

export function instrumentQueue(queue: InferenceQueueLike, metrics: BotMetrics, options: InstrumentOptions = {}): InferenceQueueLike {
  const now = options.now ?? performance.now.bind(performance);
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
      let firstChunkAt: number | undefined;
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
            firstChunkAt = now();
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
      const settle = (how: string, promptTokens: number, completionTokens: number) => {
        if (waiting) metrics.waitingChanged(priority, -1);
        waiting = false;
        const end = now();
        if (timed) {
          if (startedAt !== undefined) metrics.generationSeconds.observe((end - startedAt) / 1000);
          metrics.requestSeconds.observe((end - submittedAt) / 1000);
        }
        const ms = (t: number | undefined) => (t === undefined ? undefined : Math.round(t));
        options.onEnd?.({
          priority,
          userId: request.userId,
          queueMs: ms(startedAt === undefined ? undefined : startedAt - submittedAt),
          firstTokenMs: ms(firstChunkAt === undefined ? undefined : firstChunkAt - submittedAt),
          generationMs: ms(startedAt === undefined ? undefined : end - startedAt),
          totalMs: Math.round(end - submittedAt),
          promptTokens,
          completionTokens,
          end: how,
        });
      };
      ticket.result.then(
        (result) => {
          metrics.generatedTokens.inc(labels, result.completionTokens);
          metrics.promptTokens.inc(labels, result.promptTokens);
          settle(result.stopReason, result.promptTokens, result.completionTokens);
        },
        (error: unknown) => settle(error instanceof Error ? error.name : "error", 0, 0),
      );
      return ticket;
    },
  };
}
