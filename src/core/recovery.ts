// Finishing what the journal says is unfinished. At start-up: every question the previous process
// left open (it crashed, was killed, lost the host). While running: answers a platform outage kept
// from being delivered, retried with the journal's backoff until `retryForMs` has passed since the
// first failure, then given up and reported in the log. For each entry:
//   - an answer was being shown (a reply message holds answer text) → that message gets the end
//     marker, so it never stays frozen mid-sentence;
//   - nothing but a placeholder (or nothing at all) was shown → it is answered now, reusing the
//     placeholder; after a restart, a question older than `maxAgeMs` is told to ask again instead.

import type { Journal, JournalEntry } from "./journal.js";
import { messages } from "./messages.js";
import type { Responder } from "./responder.js";
import { isStatusText, stripStatusNotes } from "./status-texts.js";
import { MessageDeletedError, type ReplyChannel, type ReplyChannelSource } from "./types.js";

/** What a replay did with an entry. */
export type ReplayAction = "answered" | "expired" | "ended" | "gave-up";

export interface RecoveryLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RecoveryOptions {
  readonly journal: Journal;
  readonly responder: Pick<Responder, "replay" | "cancelSource">;
  /** How to reach each running platform's conversations again; entries of others stay open for later. */
  readonly channels: ReadonlyMap<string, ReplyChannelSource>;
  /** After a restart, questions older than this are not answered any more (they are told to ask again). */
  readonly maxAgeMs: number;
  /** Deliveries are retried for this long after the first failure, then given up. */
  readonly retryForMs: number;
  readonly log: RecoveryLog;
  /** How often the journal is checked for retries that are due (default 1 s). */
  readonly pollMs?: number;
  readonly now?: () => number;
  /** Called for every entry handled from the journal (e.g. a metrics counter). */
  readonly onReplay?: (action: ReplayAction, entry: JournalEntry) => void;
}

export class Recovery {
  private readonly now: () => number;
  private readonly busy = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private count = 0;

  constructor(private readonly options: RecoveryOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /** Entries handled from the journal so far (for elyza_journal_replays_total). */
  get replays(): number {
    return this.count;
  }

  /**
   * Handles every entry the previous process left open; resolves when each has been handled (the
   * answers given, the markers set, or a retry scheduled). Also prunes old finished entries.
   */
  async recoverAtStart(): Promise<void> {
    const pruned = this.options.journal.prune();
    if (pruned > 0) this.options.log.info(`journal: pruned ${pruned} finished entries`);
    const left = this.options.journal.unfinished();
    if (left.length > 0) this.options.log.info(`journal: ${left.length} unfinished answers from before the restart`);
    await Promise.all(left.map((entry) => this.take(entry, "restart")));
  }

  /** Starts checking for due retries. */
  start(): void {
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => this.poll(), this.options.pollMs ?? 1_000);
    this.timer.unref();
  }

  /**
   * Stops retrying, cancels the answers being replayed (they end visibly, as others do at shutdown)
   * and waits for them. Safe to call twice.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const key of this.busy.keys()) this.options.responder.cancelSource(key);
    await Promise.allSettled([...this.busy.values()]);
  }

  private poll(): void {
    if (this.stopped) return;
    for (const entry of this.options.journal.due(this.now())) void this.take(entry, "retry");
  }

  private take(entry: JournalEntry, why: "restart" | "retry"): Promise<void> {
    const running = this.busy.get(entry.key);
    if (running) return running;
    const work = this.handle(entry, why)
      .catch((error: unknown) => this.options.log.error(`journal: replaying ${entry.key} failed: ${describe(error)}`))
      .finally(() => this.busy.delete(entry.key));
    this.busy.set(entry.key, work);
    return work;
  }

  private async handle(entry: JournalEntry, why: "restart" | "retry"): Promise<void> {
    const { journal, log } = this.options;
    const source = this.options.channels.get(entry.address.platform);
    if (!source) {
      if (why === "restart") log.warn(`journal: ${entry.key} stays unfinished: ${entry.address.platform} is not running`);
      return;
    }
    const now = this.now();
    if (why === "retry" && entry.failingSince !== null && now - entry.failingSince > this.options.retryForMs) {
      journal.failed(entry.key, "gave up");
      log.error(`journal: gave up delivering the answer to ${entry.key} after ${Math.round((now - entry.failingSince) / 1000)} s of platform failures`);
      this.replayed("gave-up", entry);
      return;
    }
    // Taken: not due again while this runs.
    journal.resume(entry.key);
    let reply: ReplyChannel;
    try {
      reply = await source(entry.address);
    } catch (error) {
      journal.defer(entry.key, `reopening the conversation failed: ${describe(error)}`);
      return;
    }
    const last = entry.messages.at(-1);
    if (last && entry.messages.some((m) => !isStatusText(m.text))) {
      this.replayed("ended", entry);
      await this.endInterrupted(entry, reply, last);
    } else if (why === "restart" && now - entry.acceptedAt > this.options.maxAgeMs) {
      this.replayed("expired", entry);
      await this.tellExpired(entry, reply);
    } else {
      this.replayed("answered", entry);
      const outcome = await this.options.responder.replay(entry, reply);
      log.info(`journal: answered ${entry.key} again: ${outcome.kind}${"reason" in outcome ? ` (${outcome.reason})` : ""}`);
    }
  }

  /** The answer broke off (the process died mid-answer, or the platform stopped taking edits). */
  private async endInterrupted(entry: JournalEntry, reply: ReplyChannel, last: { id: string; text: string }): Promise<void> {
    const { journal } = this.options;
    // It had ended after all (the final edit was sent just before the crash).
    if (stripStatusNotes(last.text) !== last.text.trimEnd()) return journal.done(entry.key, "ended before");
    const marked = `${last.text}\n\n${messages.cutByInterruption}`;
    try {
      // Edits carry the whole text: whatever the message shows now, afterwards it shows `marked`.
      if (fits(marked, reply)) {
        journal.shown(entry.key, last.id, marked);
        await reply.edit({ id: last.id }, marked);
      } else {
        const notice = await reply.post(messages.cutByInterruption, entry.messages.length);
        journal.posted(entry.key, entry.messages.length, notice.id, messages.cutByInterruption);
      }
      journal.done(entry.key, "interrupted");
    } catch (error) {
      if (error instanceof MessageDeletedError) return journal.done(entry.key, "cancelled");
      journal.defer(entry.key, `end marker: ${describe(error)}`);
    }
  }

  private async tellExpired(entry: JournalEntry, reply: ReplyChannel): Promise<void> {
    const { journal } = this.options;
    const first = entry.messages[0];
    try {
      if (first) {
        journal.shown(entry.key, first.id, messages.restartExpired);
        await reply.edit({ id: first.id }, messages.restartExpired);
      } else {
        const posted = await reply.post(messages.restartExpired, 0);
        journal.posted(entry.key, 0, posted.id, messages.restartExpired);
      }
      journal.done(entry.key, "expired");
    } catch (error) {
      if (error instanceof MessageDeletedError) return journal.done(entry.key, "cancelled");
      journal.defer(entry.key, `expiry notice: ${describe(error)}`);
    }
  }

  private replayed(action: ReplayAction, entry: JournalEntry): void {
    this.count++;
    this.options.onReplay?.(action, entry);
  }
}

function fits(text: string, reply: ReplyChannel): boolean {
  const { maxChars, maxBytes } = reply.limits;
  return text.length <= maxChars && (maxBytes === undefined || Buffer.byteLength(text, "utf8") <= maxBytes);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
