// The ONE inference queue every request goes through (mentions, DMs, CLI, probes). p-queue runs up to
// `engine.parallel` generations at once, so the engine batches them across its sequences; FairQueue
// decides who starts next (interactive before probe, round-robin between users). This class adds the
// bounds, live positions, cancellation and time limits, and settles every result exactly once.
//
// Mentions first, for real: priority alone only orders the waiting line, so a mention arriving while
// probe runs hold every sequence waited for a probe answer of up to 1200 tokens (measured: 8.6× its
// idle latency with `probe --runs 4` on 4 sequences). So an interactive request that finds no free
// sequence PREEMPTS a running preemptible request (probe runs): the one with the least text so far
// is aborted at its next token, its sequence goes to the mention, and it goes back to the front of the
// probe lane to start again with the same seed — hence the same answer, so a probe's tallies do not
// depend on how many mentions came in. Reserving sequences for interactive work was the alternative;
// it idles GPU capacity whenever nobody is chatting, which is most of a probe's time.

import PQueue from "p-queue";
import { CancelledError, InferenceTimeoutError, QueueFullError } from "./errors.js";
import { FairQueue, type FairQueueOptions } from "./fair-queue.js";
import type { InferenceQueueLike, InferenceRequest, InferenceTicket, Priority, QueueStats, SamplingOverrides } from "./queue-types.js";
import { generateWithLimits, startTimer } from "./timed-generate.js";
import type { Engine, GenerationResult, SamplingOptions } from "./types.js";

export interface InferenceQueueOptions {
  /** Defaults; `request.sampling` overrides them field by field. */
  readonly sampling: SamplingOptions;
  /** Interactive requests waiting (not running) at most; one more is refused with QueueFullError "queue_full". */
  readonly maxWaiting: number;
  /** Interactive requests one user may have waiting or running; one more is refused with "user_limit". */
  readonly maxPerUser: number;
  /** Milliseconds; `Infinity` disables a limit. */
  readonly timeouts: { readonly queueWaitMs: number; readonly firstTokenMs: number; readonly totalMs: number };
}

/** p-queue priorities: greater starts first. */
const PRIORITY: Record<Priority, number> = { interactive: 1, probe: 0 };

type State = "waiting" | "running" | "done";
type Outcome = { readonly ok: GenerationResult } | { readonly error: unknown };

interface Entry {
  readonly id: number;
  /** Its id inside p-queue and FairQueue. */
  readonly key: string;
  readonly request: InferenceRequest;
  readonly preemptible: boolean;
  readonly submittedAt: number;
  state: State;
  /** Last position told to the owner. */
  position: number;
  /** Aborted only while waiting: p-queue then drops the task (and emits "idle" when it was the last). */
  unqueue: AbortController;
  /** Aborted only while running: ends the generation with its partial text (renewed after a preemption). */
  cancel: AbortController;
  /** Being stopped to make room for an interactive request; starts again afterwards. */
  preempting: boolean;
  /** The owner cancelled: never start again, even when a preemption is under way. */
  cancelled: boolean;
  /** Text chunks streamed by the current attempt (the cheapest run to preempt has the fewest). */
  chunks: number;
  waitTimer: NodeJS.Timeout | undefined;
  onSignal: (() => void) | undefined;
  settle(outcome: Outcome): void;
}

export class InferenceQueue implements InferenceQueueLike {
  readonly #engine: Engine;
  readonly #options: InferenceQueueOptions;
  readonly #fair = new FairQueue();
  readonly #pq: PQueue<FairQueue, FairQueueOptions>;
  /** Waiting and running requests by key. */
  readonly #entries = new Map<string, Entry>();
  readonly #perUser = new Map<string, number>();
  #waiting = 0;
  #running = 0;
  #preemptions = 0;
  #nextId = 1;
  #publishing = false;
  #republish = false;
  readonly #unsubscribe: () => void;

  constructor(engine: Engine, options: InferenceQueueOptions) {
    checkOptions(engine, options);
    this.#engine = engine;
    this.#options = options;
    this.#pq = new PQueue<FairQueue, FairQueueOptions>({ concurrency: concurrencyFor(engine), queueClass: FairQueue.sharing(this.#fair) });
    // Fewer slots (a backend left rotation): the requests beyond them wait here, where their place
    // is shown and interactive ones go first; more: the waiting ones start.
    this.#unsubscribe =
      engine.capacity?.subscribe(() => {
        this.#pq.concurrency = concurrencyFor(engine);
        this.#preemptFor();
        this.#publish();
      }) ?? (() => {});
  }

  submit(request: InferenceRequest): InferenceTicket {
    const { maxPerUser, maxWaiting } = this.#options;
    const mine = this.#perUser.get(request.userId) ?? 0;
    // The bounds protect people waiting for answers. Probe runs are bounded by the probe runner
    // itself (a few per parallel sequence in flight) and always start after interactive requests.
    if (!request.signal?.aborted && request.priority === "interactive") {
      if (mine >= maxPerUser) {
        throw new QueueFullError(
          "user_limit",
          `You already have ${mine} request${mine === 1 ? "" : "s"} waiting or being answered (the limit is ${maxPerUser}). Please wait for ${mine === 1 ? "it" : "them"} to finish.`,
        );
      }
      const mustWait = this.#pq.pending >= this.#pq.concurrency || this.#pq.size > 0;
      const waiting = this.#interactiveWaiting();
      if (mustWait && waiting >= maxWaiting) {
        throw new QueueFullError("queue_full", `The bot is busy: ${waiting} requests are already waiting. Please try again in a moment.`);
      }
    }

    const id = this.#nextId++;
    let settle!: (outcome: Outcome) => void;
    const result = new Promise<GenerationResult>((resolve, reject) => {
      settle = (outcome) => ("ok" in outcome ? resolve(outcome.ok) : reject(outcome.error));
    });
    // Callers still see a rejection; one nobody listens to must not crash the bot.
    result.catch(() => {});
    const entry: Entry = {
      id,
      key: String(id),
      request,
      preemptible: request.preemptible ?? (request.priority === "probe" && request.onTextChunk === undefined),
      submittedAt: performance.now(),
      state: "waiting",
      position: -1,
      unqueue: new AbortController(),
      cancel: new AbortController(),
      preempting: false,
      cancelled: false,
      chunks: 0,
      waitTimer: undefined,
      onSignal: undefined,
      settle,
    };
    const ticket: InferenceTicket = {
      id,
      result,
      position: () => (entry.state === "waiting" ? entry.position : entry.state === "running" ? 0 : -1),
      cancel: (reason) => this.#cancel(entry, reason),
    };
    if (request.signal?.aborted) {
      entry.state = "done";
      settle({ error: new CancelledError() });
      return ticket;
    }

    this.#entries.set(entry.key, entry);
    this.#perUser.set(request.userId, mine + 1);
    if (request.signal) {
      entry.onSignal = () => this.#cancel(entry);
      request.signal.addEventListener("abort", entry.onSignal, { once: true });
    }
    this.#enqueue(entry, false);
    if (entry.state === "waiting") {
      if (request.priority === "interactive") this.#preemptFor();
      this.#publish();
    }
    return ticket;
  }

  stats(): QueueStats {
    return { waiting: this.#waiting, running: this.#running };
  }

  /** Running requests stopped so far to let an interactive request start at once. */
  get preemptions(): number {
    return this.#preemptions;
  }

  onIdle(): Promise<void> {
    return this.#pq.onIdle();
  }

  /** Cancels everything waiting or running (shutdown): waiting ones reject, running ones end "aborted". */
  cancelAll(reason?: string): void {
    for (const entry of [...this.#entries.values()]) this.#cancel(entry, reason);
  }

  /**
   * The end of the queue's life: cancels everything still waiting or running (as cancelAll) and
   * resolves once nothing runs. It does not free the engine, which the queue does not own.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#unsubscribe();
    this.cancelAll("shutting down");
    await this.onIdle();
  }

  /** Into the waiting line (again, at the front of its lane, after a preemption). */
  #enqueue(entry: Entry, front: boolean): void {
    this.#waiting++;
    const { queueWaitMs } = this.#options.timeouts;
    entry.waitTimer = startTimer(queueWaitMs, () => this.#drop(entry, new InferenceTimeoutError("queue_wait", queueWaitMs)));
    // Starts at once (synchronously, through #run) when a slot is free. #run never rejects; the add()
    // promise only rejects when `unqueue` aborts, and that outcome is settled by #drop.
    const { priority, userId } = entry.request;
    this.#pq.add(() => this.#run(entry), { id: entry.key, priority: PRIORITY[priority], userId, signal: entry.unqueue.signal, front }).catch(() => {});
  }

  /**
   * Makes room for interactive requests that found every sequence busy: for each of them not yet
   * covered by a preemption under way, stops the running preemptible request with the least text.
   * When the engine's capacity fell below what runs (a backend left rotation), as many more as run
   * beyond it: only then does a stop free a slot.
   */
  #preemptFor(): void {
    const waiting = this.#interactiveWaiting();
    if (waiting === 0) return;
    let under = 0;
    for (const entry of this.#entries.values()) if (entry.preempting) under++;
    let short = waiting + Math.max(0, this.#running - this.#pq.concurrency) - under;
    while (short > 0) {
      let victim: Entry | undefined;
      for (const entry of this.#entries.values()) {
        if (entry.state !== "running" || !entry.preemptible || entry.preempting || entry.cancelled) continue;
        if (!victim || entry.chunks < victim.chunks) victim = entry;
      }
      if (!victim) return;
      victim.preempting = true;
      this.#preemptions++;
      victim.cancel.abort();
      short--;
    }
  }

  /** Called by p-queue, synchronously, when FairQueue hands it this request. */
  async #run(entry: Entry): Promise<void> {
    if (entry.state !== "waiting") return;
    let outcome: Outcome;
    const startedAt = performance.now();
    try {
      this.#waiting--;
      this.#running++;
      entry.state = "running";
      entry.chunks = 0;
      clearTimeout(entry.waitTimer);
      entry.position = 0;
      this.#tell(entry, 0);
      this.#publish();
      const { request } = entry;
      const result = await generateWithLimits(
        this.#engine,
        {
          conversation: request.conversation,
          sampling: mergeSampling(this.#options.sampling, request.sampling),
          signal: entry.cancel.signal,
          onTextChunk: (chunk) => {
            entry.chunks++;
            request.onTextChunk?.(chunk);
          },
        },
        this.#options.timeouts,
      );
      outcome = { ok: fromSubmission(result, startedAt - entry.submittedAt) };
    } catch (error) {
      outcome = { error };
    }
    if (entry.preempting && !entry.cancelled) this.#requeue(entry);
    else this.#finish(entry, outcome);
  }

  /** A preempted request goes back to the front of its lane, as if it had never started. */
  #requeue(entry: Entry): void {
    this.#running--;
    entry.state = "waiting";
    entry.preempting = false;
    entry.cancel = new AbortController();
    entry.unqueue = new AbortController();
    // Still inside p-queue's task for this entry, so this only queues; the freed slot then goes to
    // the highest priority waiting: the interactive request this was stopped for.
    this.#enqueue(entry, true);
    this.#publish();
  }

  #cancel(entry: Entry, reason?: string): void {
    if (entry.state === "waiting") this.#drop(entry, new CancelledError(reason));
    else if (entry.state === "running") {
      entry.cancelled = true;
      entry.cancel.abort();
    }
  }

  /** Takes a waiting request out of the line and rejects it. */
  #drop(entry: Entry, error: Error): void {
    if (entry.state !== "waiting") return;
    this.#finish(entry, { error });
    entry.unqueue.abort(error); // p-queue removes it from FairQueue, synchronously
    this.#publish();
  }

  #finish(entry: Entry, outcome: Outcome): void {
    if (entry.state === "done") return;
    if (entry.state === "waiting") this.#waiting--;
    else this.#running--;
    entry.state = "done";
    clearTimeout(entry.waitTimer);
    if (entry.onSignal) entry.request.signal?.removeEventListener("abort", entry.onSignal);
    this.#entries.delete(entry.key);
    const left = (this.#perUser.get(entry.request.userId) ?? 1) - 1;
    if (left > 0) this.#perUser.set(entry.request.userId, left);
    else this.#perUser.delete(entry.request.userId);
    entry.settle(outcome);
  }

  #interactiveWaiting(): number {
    let n = 0;
    for (const entry of this.#entries.values()) if (entry.state === "waiting" && entry.request.priority === "interactive") n++;
    return n;
  }

  /** Recomputes every waiting position (O(n), n ≤ maxWaiting) and tells those that changed. */
  #publish(): void {
    // A callback may cancel or submit; finish this pass, then run another.
    if (this.#publishing) {
      this.#republish = true;
      return;
    }
    this.#publishing = true;
    try {
      do {
        this.#republish = false;
        let position = 0;
        for (const key of this.#fair.ids()) {
          const entry = this.#entries.get(key);
          if (!entry || entry.state !== "waiting") continue;
          position++;
          if (entry.position !== position) {
            entry.position = position;
            this.#tell(entry, position);
          }
        }
      } while (this.#republish);
    } finally {
      this.#publishing = false;
    }
  }

  #tell(entry: Entry, position: number): void {
    try {
      entry.request.onPosition?.(position);
    } catch (error) {
      // A rendering bug in an adapter must not break the queue's bookkeeping (we may be inside p-queue).
      process.emitWarning(`onPosition callback threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Engine timings are relative to the start of generation; people wait from submission. */
function fromSubmission(result: GenerationResult, queueMs: number): GenerationResult {
  const { firstTokenMs, generationMs } = result.timings;
  return { ...result, timings: { queueMs, firstTokenMs: firstTokenMs === null ? null : queueMs + firstTokenMs, generationMs } };
}

export function mergeSampling(defaults: SamplingOptions, overrides?: SamplingOverrides): SamplingOptions {
  const set = Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(set) };
}

/** Generations to run at once: what the engine can take now, within 1…parallel. */
function concurrencyFor(engine: Engine): number {
  return Math.min(engine.parallel, Math.max(1, engine.capacity?.current() ?? engine.parallel));
}

function checkOptions(engine: Engine, options: InferenceQueueOptions): void {
  const bad = (what: string, rule: string, value: number) => new RangeError(`inference queue: ${what} must be ${rule}, got ${value}`);
  if (!Number.isInteger(engine.parallel) || engine.parallel < 1) throw bad("engine.parallel", "an integer ≥ 1", engine.parallel);
  if (!(options.maxWaiting >= 0)) throw bad("maxWaiting", "≥ 0", options.maxWaiting);
  if (!(options.maxPerUser >= 1)) throw bad("maxPerUser", "≥ 1", options.maxPerUser);
  for (const [name, ms] of Object.entries(options.timeouts)) if (!(ms > 0)) throw bad(`timeouts.${name}`, "> 0 ms (Infinity: no limit)", ms);
}
