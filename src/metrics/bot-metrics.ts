// Every metric of the bot, in one prom-client registry, so /metrics shows them all and tests can
// read one bot's figures without another's. Names start with elyza_, durations are in seconds,
// counters end in _total. Gauges that mirror live state (queue, sequences) are read at scrape time.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Priority, QueueStats } from "../inference/queue-types.js";

/** Seconds from ~10 ms (an idle queue) to the 10-minute total timeout. */
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

export type AnswerOutcomeLabel = "answered" | "refused" | "failed" | "cancelled";

export interface BotMetricsOptions {
  /** Node's own process metrics (CPU, memory, event loop lag), prefixed elyza_. Default true. */
  readonly processMetrics?: boolean;
}

export class BotMetrics {
  readonly registry = new Registry();

  private readonly queueWaiting: Gauge<"priority">;
  private readonly queueDepth: Gauge;
  private readonly runningSequences: Gauge;
  private queueStats: (() => QueueStats) | undefined;
  private readonly waitingByPriority: Record<Priority, number> = { interactive: 0, probe: 0 };

  // Interactive requests only (mentions, DMs, API calls: what people wait for). Probe runs fill the
  // queue on purpose and would drown the figures; their tokens are counted, their times are not.
  readonly queueWaitSeconds: Histogram;
  readonly firstTokenSeconds: Histogram;
  readonly generationSeconds: Histogram;
  readonly requestSeconds: Histogram;
  readonly generatedTokens: Counter<"priority">;
  readonly promptTokens: Counter<"priority">;
  private readonly answers: Counter<"outcome" | "reason">;
  private readonly apiCalls: Counter<"platform" | "method">;
  private readonly apiRetries: Counter<"platform" | "method">;
  private readonly apiRateLimited: Counter<"platform" | "method">;
  private readonly reconnects: Counter<"platform">;
  private readonly malformed: Counter<"platform" | "type">;
  private readonly journalReplays: Counter<"result">;
  private readonly probePassed: Gauge<"suite" | "test">;
  private readonly probeRuns: Gauge<"suite" | "test">;

  constructor(options: BotMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "elyza_" });
    // Read at scrape time from the queue itself (and, by priority, from the submit decorator).
    this.queueDepth = new Gauge({
      name: "elyza_queue_depth",
      help: "Requests waiting in the shared inference queue (not yet running)",
      registers,
      collect: () => {
        this.queueDepth.set(this.queueStats?.().waiting ?? 0);
      },
    });
    this.queueWaiting = new Gauge({
      name: "elyza_queue_waiting",
      help: "Requests waiting in the shared inference queue, by priority",
      labelNames: ["priority"],
      registers,
      collect: () => {
        for (const [priority, n] of Object.entries(this.waitingByPriority)) this.queueWaiting.set({ priority }, n);
      },
    });
    this.runningSequences = new Gauge({
      name: "elyza_running_sequences",
      help: "Generations running at once (sequences of the context in use)",
      registers,
      collect: () => {
        this.runningSequences.set(this.queueStats?.().running ?? 0);
      },
    });
    const histogram = (name: string, help: string) => new Histogram({ name, help, buckets: LATENCY_BUCKETS, registers });
    this.queueWaitSeconds = histogram("elyza_queue_wait_seconds", "Interactive requests: time from submission to the start of generation");
    this.firstTokenSeconds = histogram("elyza_first_token_seconds", "Interactive requests: time from submission to the first generated text");
    this.generationSeconds = histogram("elyza_generation_seconds", "Interactive requests: time from the start of generation to its end");
    this.requestSeconds = histogram("elyza_request_seconds", "Interactive requests: time from submission to the end, whatever the outcome");
    this.generatedTokens = new Counter({ name: "elyza_generated_tokens_total", help: "Tokens generated", labelNames: ["priority"], registers });
    this.promptTokens = new Counter({ name: "elyza_prompt_tokens_total", help: "Prompt tokens evaluated", labelNames: ["priority"], registers });
    this.answers = new Counter({
      name: "elyza_answers_total",
      help: "Questions by how they ended: answered, refused (by reason), failed (by kind), cancelled",
      labelNames: ["outcome", "reason"],
      registers,
    });
    this.apiCalls = new Counter({
      name: "elyza_platform_api_calls_total",
      help: "Platform API requests sent (every attempt)",
      labelNames: ["platform", "method"],
      registers,
    });
    this.apiRetries = new Counter({
      name: "elyza_platform_api_retries_total",
      help: "Platform API requests that were retries of a failed attempt",
      labelNames: ["platform", "method"],
      registers,
    });
    this.apiRateLimited = new Counter({
      name: "elyza_platform_api_rate_limited_total",
      help: "Platform API responses with HTTP 429",
      labelNames: ["platform", "method"],
      registers,
    });
    this.reconnects = new Counter({
      name: "elyza_platform_reconnects_total",
      help: "Gateway / Socket Mode connections re-established after a drop or refresh",
      labelNames: ["platform"],
      registers,
    });
    this.malformed = new Counter({
      name: "elyza_malformed_input_total",
      help: "Envelopes or events that were not what the bot expects (acked and ignored)",
      labelNames: ["platform", "type"],
      registers,
    });
    this.journalReplays = new Counter({
      name: "elyza_journal_replays_total",
      help: "Unfinished questions taken up again from the journal at start-up",
      labelNames: ["result"],
      registers,
    });
    this.probePassed = new Gauge({ name: "elyza_probe_passed", help: "Passed runs of each test in the last probe", labelNames: ["suite", "test"], registers });
    this.probeRuns = new Gauge({ name: "elyza_probe_runs", help: "Graded runs of each test in the last probe", labelNames: ["suite", "test"], registers });
    // Label sets that exist from the start read 0 instead of being absent.
    for (const priority of ["interactive", "probe"]) {
      this.generatedTokens.labels({ priority }).inc(0);
      this.promptTokens.labels({ priority }).inc(0);
    }
  }

  /** The queue whose stats() the depth and running gauges read. */
  observeQueue(stats: () => QueueStats): void {
    this.queueStats = stats;
  }

  /** The submit decorator's count of waiting requests (src/metrics/queue-metrics.ts). */
  waitingChanged(priority: Priority, delta: number): void {
    this.waitingByPriority[priority] = Math.max(0, this.waitingByPriority[priority] + delta);
  }

  answer(outcome: AnswerOutcomeLabel, reason: string): void {
    this.answers.inc({ outcome, reason });
  }

  apiCall(platform: string, method: string, attempt: { retry: boolean; rateLimited: boolean }): void {
    this.apiCalls.inc({ platform, method });
    if (attempt.retry) this.apiRetries.inc({ platform, method });
    if (attempt.rateLimited) this.apiRateLimited.inc({ platform, method });
  }

  reconnected(platform: string): void {
    this.reconnects.inc({ platform });
  }

  malformedInput(platform: string, type: string): void {
    this.malformed.inc({ platform, type });
  }

  /** For the journal (issue 8's other half): one call per question replayed at start-up. */
  journalReplayed(result: "answered" | "expired" | "interrupted" | "failed"): void {
    this.journalReplays.inc({ result });
  }

  probeTally(suite: string, test: string, passed: number, runs: number): void {
    this.probePassed.set({ suite, test }, passed);
    this.probeRuns.set({ suite, test }, runs);
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
