// Several inference backends (the in-process engine, OpenAI-compatible servers) as ONE Engine under
// the shared queue: its `parallel` is the sum of their slots, so the queue's fairness, priorities,
// limits and cancellation apply unchanged, and each generation goes to the first backend (in the
// configured order) that is in rotation and has a free slot.
//
// Faults: a backend that fails a request or a health check leaves rotation and is checked again with
// a doubling back-off until it answers, then comes back by itself. A request that fails before its
// first token is retried once on another backend; one that fails after text was streamed rejects
// with BackendStreamError (the partial text and the cause), never a silent stop. When no backend is
// in rotation, generate() rejects at once with BackendsUnavailableError, naming each one's reason.
// The pool's `capacity` is the slots in rotation, so that the queue starts no more than those and
// the rest wait in the queue — with their place shown, interactive ones first, probe runs
// preempted for them — not here. (Requests the queue started before a backend left still wait
// here, in the order the queue started them.) With nothing in rotation the capacity is every
// slot: each request then goes through to be refused at once, naming every backend's reason.

import { BackendError, BackendStreamError, BackendsUnavailableError } from "./errors.js";
import type { Engine, EngineCapacity, GenerateOptions, GenerationResult } from "../types.js";

export type BackendKind = "in-process" | "openai";
export type BackendState = "up" | "down";

export interface PoolMember {
  readonly name: string;
  readonly kind: BackendKind;
  readonly engine: Engine;
  /** Generations it may run at once. */
  readonly slots: number;
  /** Health check: resolves when healthy, rejects with the reason. None: always healthy (in-process). */
  readonly check?: () => Promise<void>;
}

export interface BackendStatus {
  readonly name: string;
  readonly kind: BackendKind;
  readonly model: string;
  readonly state: BackendState;
  /** Why it is out of rotation (state "down"). */
  readonly reason?: string;
  readonly slots: number;
  readonly inUse: number;
  /** Round trip of the last successful health check; null when never checked (in-process). */
  readonly checkMs: number | null;
  /** Moving average of the time to first token of its answers; null before the first. */
  readonly firstTokenMs: number | null;
  /** Generations it finished (answered, cut by length, or cancelled). */
  readonly served: number;
  /** Requests it failed (and health checks it failed). */
  readonly failures: number;
}

export interface BackendPoolOptions {
  /** Health checks of backends in rotation, this often (default 10 s). */
  readonly checkIntervalMs?: number;
  /** First re-check of a backend out of rotation after this long, doubling up to retryMaxMs (defaults 1 s, 30 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Every change of a backend's state. */
  readonly log?: (level: "info" | "warn", message: string) => void;
}

interface Member {
  readonly spec: PoolMember;
  state: BackendState;
  reason: string | undefined;
  inUse: number;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  checkMs: number | null;
  firstTokenMs: number | null;
  served: number;
  failures: number;
}

interface Waiter {
  readonly exclude: ReadonlySet<Member>;
  resolve(member: Member | undefined): void;
  reject(error: Error): void;
}

/** Weight of the newest first-token time in the moving average. */
const EWMA = 0.3;

export class BackendPool implements Engine {
  readonly parallel: number;
  readonly modelName: string;
  readonly capacity: EngineCapacity = {
    current: () => {
      const inRotation = this.#members.reduce((sum, m) => sum + (m.state === "up" ? m.spec.slots : 0), 0);
      return inRotation > 0 ? inRotation : this.parallel;
    },
    subscribe: (listener) => {
      this.#capacityListeners.add(listener);
      return () => this.#capacityListeners.delete(listener);
    },
  };
  readonly #capacityListeners = new Set<() => void>();
  readonly #members: readonly Member[];
  readonly #waiters: Waiter[] = [];
  readonly #checkIntervalMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #log: NonNullable<BackendPoolOptions["log"]>;
  #disposed = false;
  /** The first dispose's work, which a second dispose waits for. */
  #disposal: Promise<void> | undefined;

  private constructor(members: readonly PoolMember[], options: BackendPoolOptions) {
    if (members.length === 0) throw new RangeError("backend pool: at least one backend is needed");
    const names = new Set<string>();
    for (const m of members) {
      if (names.has(m.name)) throw new RangeError(`backend pool: two backends are named "${m.name}"`);
      names.add(m.name);
      if (!Number.isInteger(m.slots) || m.slots < 1) throw new RangeError(`backend pool: ${m.name}: slots must be an integer ≥ 1, got ${m.slots}`);
    }
    this.#checkIntervalMs = options.checkIntervalMs ?? 10_000;
    this.#retryMinMs = options.retryMinMs ?? 1000;
    this.#retryMaxMs = options.retryMaxMs ?? 30_000;
    this.#log = options.log ?? (() => {});
    this.#members = members.map((spec) => ({
      spec,
      state: "up",
      reason: undefined,
      inUse: 0,
      backoffMs: this.#retryMinMs,
      timer: undefined,
      checkMs: null,
      firstTokenMs: null,
      served: 0,
      failures: 0,
    }));
    this.parallel = members.reduce((sum, m) => sum + m.slots, 0);
    this.modelName = members.length === 1 ? members[0]!.engine.modelName : members.map((m) => m.name).join(" + ");
  }

  /** A pool whose backends have been health-checked once (those that failed start out of rotation). */
  static async open(members: readonly PoolMember[], options: BackendPoolOptions = {}): Promise<BackendPool> {
    const pool = new BackendPool(members, options);
    await Promise.all(pool.#members.map((m) => pool.#check(m)));
    return pool;
  }

  status(): BackendStatus[] {
    return this.#members.map((m) => ({
      name: m.spec.name,
      kind: m.spec.kind,
      model: m.spec.engine.modelName,
      state: m.state,
      ...(m.reason === undefined ? {} : { reason: m.reason }),
      slots: m.spec.slots,
      inUse: m.inUse,
      checkMs: m.checkMs,
      firstTokenMs: m.firstTokenMs,
      served: m.served,
      failures: m.failures,
    }));
  }

  async generate(options: GenerateOptions): Promise<GenerationResult> {
    const tried = new Set<Member>();
    let failure: BackendError | undefined;
    // The first attempt, and one retry on another backend when the first failed before any text.
    for (let attempt = 0; attempt < 2; attempt++) {
      const member = await this.#acquire(tried, options.signal);
      if (!member) return abortedWhileWaiting();
      tried.add(member);
      try {
        const result = await member.spec.engine.generate(options);
        member.served++;
        const first = result.timings.firstTokenMs;
        if (first !== null) member.firstTokenMs = member.firstTokenMs === null ? first : EWMA * first + (1 - EWMA) * member.firstTokenMs;
        return result;
      } catch (error) {
        if (error instanceof BackendStreamError) {
          this.#failed(member, error.failure);
          throw error;
        }
        if (!(error instanceof BackendError) || !error.backendFault) throw error;
        this.#failed(member, error);
        failure = error;
        this.#log("warn", `${error.message}; retrying the request on another backend`);
      } finally {
        member.inUse--;
        this.#dispatch();
      }
    }
    throw failure!;
  }

  [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposal) return this.#disposal;
    this.#disposed = true;
    for (const m of this.#members) clearTimeout(m.timer);
    const error = new BackendsUnavailableError(this.#members.map((m) => ({ backend: m.spec.name, reason: "shutting down" })));
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#disposal = Promise.all(this.#members.map((m) => m.spec.engine[Symbol.asyncDispose]())).then(() => {});
    return this.#disposal;
  }

  /** A member with a free slot (its slot taken), undefined when `signal` aborted the wait. */
  #acquire(exclude: ReadonlySet<Member>, signal: AbortSignal | undefined): Promise<Member | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const free = this.#pick(exclude);
    if (free) {
      free.inUse++;
      return Promise.resolve(free);
    }
    const unavailable = this.#unavailable(exclude);
    if (unavailable) return Promise.reject(unavailable);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(undefined);
      };
      const waiter: Waiter = {
        exclude,
        resolve: (member) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(member);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** The first member in the configured order that is in rotation and has a free slot. */
  #pick(exclude: ReadonlySet<Member>): Member | undefined {
    return this.#members.find((m) => !exclude.has(m) && m.state === "up" && m.inUse < m.spec.slots);
  }

  /** The refusal when no member outside `exclude` is in rotation, else undefined. */
  #unavailable(exclude: ReadonlySet<Member>): BackendsUnavailableError | undefined {
    if (this.#members.some((m) => !exclude.has(m) && m.state === "up")) return undefined;
    return new BackendsUnavailableError(
      this.#members.map((m) => ({ backend: m.spec.name, reason: m.state === "down" ? (m.reason ?? "out of rotation") : "failed this request" })),
    );
  }

  /** Hands free slots to waiting requests in order; refuses those that nothing in rotation can serve. */
  #dispatch(): void {
    for (let i = 0; i < this.#waiters.length;) {
      const waiter = this.#waiters[i]!;
      const free = this.#pick(waiter.exclude);
      const unavailable = free ? undefined : this.#unavailable(waiter.exclude);
      if (!free && !unavailable) {
        i++;
        continue;
      }
      this.#waiters.splice(i, 1);
      if (free) {
        free.inUse++;
        waiter.resolve(free);
      } else {
        waiter.reject(unavailable!);
      }
    }
  }

  #failed(member: Member, error: BackendError): void {
    member.failures++;
    this.#down(member, error.message.replace(`backend ${member.spec.name}: `, ""));
  }

  #down(member: Member, reason: string): void {
    member.reason = reason;
    if (member.state === "up") {
      member.state = "down";
      member.backoffMs = this.#retryMinMs;
      this.#log("warn", `backend ${member.spec.name} is out of rotation: ${reason}; checking again in ${member.backoffMs} ms`);
      this.#schedule(member, member.backoffMs);
      this.#dispatch();
      this.#capacityChanged();
    }
  }

  #up(member: Member): void {
    if (member.state === "up") return;
    member.state = "up";
    member.reason = undefined;
    member.backoffMs = this.#retryMinMs;
    this.#log("info", `backend ${member.spec.name} is back in rotation`);
    this.#dispatch();
    this.#capacityChanged();
  }

  #capacityChanged(): void {
    for (const listener of [...this.#capacityListeners]) listener();
  }

  /** One health check, then the next one scheduled: at the interval when healthy, with back-off when not. */
  async #check(member: Member): Promise<void> {
    const check = member.spec.check;
    if (!check || this.#disposed) return;
    const started = performance.now();
    try {
      await check();
      member.checkMs = performance.now() - started;
      this.#up(member);
      this.#schedule(member, this.#checkIntervalMs);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).replace(`backend ${member.spec.name}: `, "");
      if (member.state === "up") {
        member.failures++;
        this.#down(member, reason);
        return; // #down scheduled the re-check
      }
      member.reason = reason;
      member.backoffMs = Math.min(member.backoffMs * 2, this.#retryMaxMs);
      this.#schedule(member, member.backoffMs);
    }
  }

  #schedule(member: Member, delayMs: number): void {
    if (this.#disposed || !member.spec.check) return;
    clearTimeout(member.timer);
    member.timer = setTimeout(() => void this.#check(member), delayMs);
    member.timer.unref();
  }
}

function abortedWhileWaiting(): GenerationResult {
  return {
    text: "",
    stopReason: "aborted",
    promptTokens: 0,
    completionTokens: 0,
    trimmedTurns: 0,
    timings: { queueMs: 0, firstTokenMs: null, generationMs: 0 },
  };
}
