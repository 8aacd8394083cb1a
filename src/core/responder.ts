// One question → one answer on the platform, through the shared inference queue. Platform
// agnostic: adapters give an IncomingQuestion and a ReplyChannel. Every question ends visibly:
// answered, refused with a reason, or failed with a message naming the cause — and answer()
// never rejects, so an adapter can fire and forget it. With a journal, every accepted question is
// written down before anything is shown, and the journal learns how it ended: done, or left for a
// retry when the platform failed (recovery.ts takes it from there).

import { BackendsUnavailableError } from "../inference/backends/errors.js";
import { CancelledError, ContextOverflowError, InferenceTimeoutError, QueueFullError } from "../inference/errors.js";
import type { InferenceQueueLike, InferenceTicket } from "../inference/queue-types.js";
import type { Conversation, GenerationResult } from "../inference/types.js";
import type { Journal, JournalEntry } from "./journal.js";
import { journaledChannel } from "./journaled-channel.js";
import { type AccessConfig, type AccessResult, checkAccess, isProbeAdmin } from "./access.js";
import { ChannelPacer } from "./channel-pacer.js";
import { messages } from "./messages.js";
import { cleanHistory } from "./status-texts.js";
import { RateLimiter } from "./rate-limit.js";
import { PlatformCallError, ReplyStream, withTimeout } from "./reply-stream.js";
import { StreamingSplitter } from "./split.js";
import { MessageDeletedError, type AnswerOutcome, type Asker, type IncomingQuestion, type ReplyChannel } from "./types.js";

export interface ResponderOptions {
  readonly queue: InferenceQueueLike;
  readonly systemPrompt: string;
  /**
   * At most one edit per this many ms per message while streaming — and per channel: answers
   * streaming in the same channel share that budget (platform limits are per channel).
   */
  readonly editIntervalMs: number;
  readonly access: AccessConfig;
  /** Clock of the rate limiter (tests). */
  readonly now?: () => number;
  /** A post or edit that takes longer than this fails the answer (default 30 s). */
  readonly platformTimeoutMs?: number;
  /** The answer journal; questions whose ReplyChannel has an address are journaled. */
  readonly journal?: Journal;
  /** Told how every question ended (metrics, logs); an observer that throws is ignored. */
  readonly onOutcome?: (outcome: AnswerOutcome, question: IncomingQuestion, durationMs: number) => void;
}

/** How a journaled answer ends, for the journal. */
interface Settled {
  readonly outcome: AnswerOutcome;
  /** The platform failed and nothing in chat says how the answer ended: retry from the journal. */
  readonly undelivered?: boolean;
}

interface Active {
  cancel(): void;
}

export class Responder {
  private readonly rate: RateLimiter;
  private readonly pacer: ChannelPacer;
  private readonly active = new Map<string, Set<Active>>();

  constructor(private readonly options: ResponderOptions) {
    this.rate = new RateLimiter(options.access.ratePerMinute, options.now);
    this.pacer = new ChannelPacer(options.editIntervalMs);
  }

  checkAccess(asker: Asker, channelId: string): AccessResult {
    return checkAccess(this.options.access, asker, channelId);
  }

  isProbeAdmin(asker: Asker): boolean {
    return isProbeAdmin(this.options.access, asker);
  }

  /** Cancels every answer in progress for the message `sourceKey` (it was deleted); true if there was one. */
  cancelSource(sourceKey: string): boolean {
    const answers = this.active.get(sourceKey);
    if (!answers || answers.size === 0) return false;
    for (const a of [...answers]) a.cancel();
    return true;
  }

  /** Number of answers in progress (for shutdown and tests). */
  get activeCount(): number {
    let n = 0;
    for (const set of this.active.values()) n += set.size;
    return n;
  }

  async answer(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome> {
    const started = Date.now();
    let outcome: AnswerOutcome;
    try {
      outcome = await this.answerUnsafe(question, reply);
    } catch (error) {
      // A bug here must not become an unhandled rejection in the adapter, nor pass unseen.
      await postQuietly(reply, messages.engineError, this.callTimeoutMs);
      outcome = { kind: "failed", reason: `internal error: ${describe(error)}` };
      if (this.options.journal?.get(question.sourceKey)?.state === "open") this.options.journal.failed(question.sourceKey, outcome.reason);
    }
    try {
      this.options.onOutcome?.(outcome, question, Date.now() - started);
    } catch {
      // An observer must not change what the adapter is told.
    }
    return outcome;
  }

  /**
   * Answers a journaled question again (after a restart, or a platform outage), without the access
   * and rate checks it passed when it was asked: its earlier messages are reused, not posted anew.
   */
  async replay(entry: JournalEntry, reply: ReplyChannel): Promise<AnswerOutcome> {
    const journal = this.options.journal;
    if (!journal) throw new Error("Responder.replay needs a journal");
    journal.resume(entry.key);
    try {
      return await this.generate(entry.key, entry.userKey, entry.channelKey, entry.conversation, reply, entry);
    } catch (error) {
      const outcome: AnswerOutcome = { kind: "failed", reason: `internal error: ${describe(error)}` };
      journal.failed(entry.key, outcome.reason);
      return outcome;
    }
  }

  private async answerUnsafe(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome> {
    const { asker } = question;
    const journal = reply.address ? this.options.journal : undefined;
    // A redelivered event, or one the previous process had already taken: never answered twice.
    if (journal?.has(question.sourceKey)) return { kind: "duplicate" };
    const access = this.checkAccess(asker, question.channelId);
    if (!access.ok) return refuse(reply, access.reason, this.callTimeoutMs);

    // An empty mention gets help, and does not use up the user's questions for the minute.
    if (question.text.trim() === "") return refuse(reply, messages.emptyQuestion, this.callTimeoutMs);

    const userKey = `${asker.platform}:${asker.userId}`;
    const allowed = this.rate.take(userKey);
    if (!allowed.ok) {
      const text = messages.rateLimited(this.rate.perMinute, Math.ceil(allowed.retryAfterMs / 1000));
      return refuse(reply, text, this.callTimeoutMs);
    }

    const conversation: Conversation = {
      systemPrompt: this.options.systemPrompt,
      turns: [...cleanHistory(question.history), { role: "user", text: question.text.trim() }],
    };
    const channelKey = `${asker.platform}:${question.channelId}`;
    if (journal && !journal.accept({ key: question.sourceKey, address: reply.address!, conversation, userKey, channelKey })) {
      return { kind: "duplicate" };
    }
    return this.generate(question.sourceKey, userKey, channelKey, conversation, reply, journal ? { messages: [] } : null);
  }

  private get callTimeoutMs(): number {
    return this.options.platformTimeoutMs ?? 30_000;
  }

  /** `journaled`: the journal has the question (with the messages an earlier attempt posted); null: not journaled. */
  private async generate(
    sourceKey: string,
    userId: string,
    channelKey: string,
    conversation: Conversation,
    platformReply: ReplyChannel,
    journaled: Pick<JournalEntry, "messages"> | null,
  ): Promise<AnswerOutcome> {
    const journal = journaled ? this.options.journal : undefined;
    const reply = journal ? journaledChannel(platformReply, journal, sourceKey, journaled!.messages) : platformReply;
    const settled = await this.generateAnswer(sourceKey, userId, channelKey, conversation, reply, platformReply);
    if (journal) {
      if (settled.outcome.kind === "failed" && settled.undelivered) journal.defer(sourceKey, settled.outcome.reason);
      else journal.done(sourceKey, settled.outcome.kind);
    }
    return settled.outcome;
  }

  private async generateAnswer(
    sourceKey: string,
    userId: string,
    channelKey: string,
    conversation: Conversation,
    reply: ReplyChannel,
    /** The channel without the journal's bookkeeping, for notices that are not parts of the answer. */
    noticeReply: ReplyChannel,
  ): Promise<Settled> {
    const format = reply.format ? safeFormat(reply.format.bind(reply)) : undefined;
    const splitter = new StreamingSplitter(reply.limits, format);
    let text = "";
    // -1 = not known yet; the ticket is asked once submit() returns.
    let position = -1;
    let cancelledByOwner = false;
    let ticket: InferenceTicket | null = null;
    const abort = new AbortController();

    const stop = (reason: string) => {
      ticket?.cancel(reason);
      abort.abort(new CancelledError(reason));
    };
    const stream = new ReplyStream(reply, {
      editIntervalMs: this.options.editIntervalMs,
      callTimeoutMs: this.callTimeoutMs,
      gate: (force) => this.pacer.take(channelKey, force),
      onFailure: (error) => stop(error.message),
    });
    const render = () => {
      if (text.trim() !== "") {
        const { parts, finalCount } = splitter.update(text);
        stream.show(parts, finalCount);
      } else {
        const p = position === -1 && ticket ? ticket.position() : position;
        stream.show([p > 0 ? messages.queued(p) : messages.thinking], 0);
      }
    };

    try {
      ticket = this.options.queue.submit({
        userId,
        priority: "interactive",
        conversation,
        signal: abort.signal,
        onPosition: (p) => {
          position = p;
          if (ticket) render();
        },
        onTextChunk: (chunk) => {
          text += chunk;
          position = 0;
          if (ticket) render();
        },
      });
    } catch (error) {
      if (error instanceof QueueFullError) {
        const outcome = await refuse(reply, error.kind === "user_limit" ? messages.userLimit : messages.queueFull, this.callTimeoutMs);
        return { outcome, undelivered: outcome.kind === "failed" };
      }
      const outcome: AnswerOutcome = { kind: "failed", reason: `submit failed: ${describe(error)}` };
      await postQuietly(reply, messages.engineError, this.callTimeoutMs);
      return { outcome };
    }

    const entry: Active = {
      cancel: () => {
        cancelledByOwner = true;
        stop("the question was deleted");
      },
    };
    this.track(sourceKey, entry);
    try {
      render(); // posts the placeholder at once
      let result: GenerationResult | null = null;
      let failure: unknown = null;
      try {
        result = await ticket.result;
      } catch (error) {
        failure = error;
      }

      // A failed post/edit already stopped the generation (onFailure); report it, show nothing more.
      if (stream.error) return platformOutcome(stream.error, stream, noticeReply, this.callTimeoutMs);

      const ending = decideEnding(result, failure, text, cancelledByOwner);
      const finalParts =
        ending.shownText.trim() === ""
          ? { parts: [ending.emptyMessage] }
          : splitter.finish(ending.note ? `${ending.shownText}\n\n${ending.note}` : ending.shownText);
      try {
        await stream.finish(finalParts.parts);
      } catch (error) {
        return platformOutcome(error instanceof PlatformCallError ? error : new PlatformCallError("edit", error), stream, noticeReply, this.callTimeoutMs);
      }
      return { outcome: ending.outcome(stream.messageCount) };
    } finally {
      this.untrack(sourceKey, entry);
      stream.close();
    }
  }

  private track(sourceKey: string, entry: Active): void {
    let set = this.active.get(sourceKey);
    if (!set) this.active.set(sourceKey, (set = new Set()));
    set.add(entry);
  }

  private untrack(sourceKey: string, entry: Active): void {
    const set = this.active.get(sourceKey);
    set?.delete(entry);
    if (set && set.size === 0) this.active.delete(sourceKey);
  }
}

interface Ending {
  /** The answer text to show (possibly partial). */
  readonly shownText: string;
  /** Remark appended after a partial answer. */
  readonly note: string | null;
  /** What the single message says when there is no answer text at all. */
  readonly emptyMessage: string;
  readonly outcome: (messageCount: number) => AnswerOutcome;
}

/** Turns the queue's verdict into what to show and what to report. */
function decideEnding(result: GenerationResult | null, failure: unknown, streamed: string, cancelledByOwner: boolean): Ending {
  const cancelled = (): Ending => ({
    shownText: streamed,
    note: messages.cutByCancel,
    emptyMessage: messages.cancelled,
    outcome: () => ({ kind: "cancelled" }),
  });
  if (cancelledByOwner || failure instanceof CancelledError || result?.stopReason === "aborted") return cancelled();
  if (failure instanceof InferenceTimeoutError) {
    return {
      shownText: streamed,
      note: messages.cutByTimeout,
      emptyMessage: messages.timeout(failure.kind),
      outcome: () => ({ kind: "failed", reason: `timeout (${failure.kind}): ${failure.message}` }),
    };
  }
  if (failure instanceof ContextOverflowError) {
    return {
      shownText: "",
      note: null,
      emptyMessage: messages.tooLong,
      outcome: () => ({ kind: "failed", reason: `context overflow: ${failure.message}` }),
    };
  }
  if (failure instanceof BackendsUnavailableError) {
    return {
      shownText: "",
      note: null,
      emptyMessage: messages.backendsUnavailable,
      outcome: () => ({ kind: "failed", reason: failure.message }),
    };
  }
  if (failure !== null || !result || result.stopReason === "error") {
    const reason = failure !== null ? describe(failure) : (result?.error ?? "unknown engine error");
    return {
      shownText: streamed,
      note: messages.cutByError,
      emptyMessage: messages.engineError,
      outcome: () => ({ kind: "failed", reason: `engine error: ${reason}` }),
    };
  }
  // The streamed text is what the user has seen; the result may add a last chunk that was not streamed.
  const text = result.text.startsWith(streamed) ? result.text : streamed;
  if (text.trim() === "") {
    return {
      shownText: "",
      note: null,
      emptyMessage: messages.emptyAnswer,
      outcome: () => ({ kind: "failed", reason: "empty answer" }),
    };
  }
  return {
    shownText: text,
    note: result.stopReason === "length" ? messages.cutByLength : null,
    emptyMessage: messages.emptyAnswer,
    outcome: (count) => ({ kind: "answered", text, messages: count }),
  };
}

async function platformOutcome(error: PlatformCallError, stream: ReplyStream, reply: ReplyChannel, timeoutMs: number): Promise<Settled> {
  stream.close();
  // The bot's own reply was deleted: the asker's way of saying "stop".
  if (error.cause instanceof MessageDeletedError || (error.cause instanceof Error && error.cause.name === "MessageDeletedError")) {
    return { outcome: { kind: "cancelled" } };
  }
  // Nothing was shown (the first post failed): there is no frozen answer to explain, but no answer either.
  if (stream.messageCount === 0) return { outcome: { kind: "failed", reason: error.message }, undelivered: true };
  // The message may be frozen mid-answer: say below it, best effort, that the answer broke off.
  const notice = await postQuietly(reply, messages.cutByError, timeoutMs);
  if (notice) return { outcome: { kind: "failed", reason: `${error.message} (the failure notice could not be posted either)` }, undelivered: true };
  return { outcome: { kind: "failed", reason: error.message } };
}

/** Posts a refusal; if even that fails the question failed (nobody saw why). */
async function refuse(reply: ReplyChannel, text: string, timeoutMs: number): Promise<AnswerOutcome> {
  const error = await postQuietly(reply, text, timeoutMs);
  if (error) return { kind: "failed", reason: `could not post the refusal (${text}): ${describe(error)}` };
  return { kind: "refused", reason: text };
}

async function postQuietly(reply: ReplyChannel, text: string, timeoutMs: number): Promise<unknown> {
  try {
    await withTimeout(reply.post(text), timeoutMs, "post");
    return null;
  } catch (error) {
    return error ?? new Error("post failed");
  }
}

/** A dialect converter that throws must not leave the placeholder stuck: fall back to the raw text. */
function safeFormat(format: (markdown: string) => string): (markdown: string) => string {
  return (markdown) => {
    try {
      return format(markdown);
    } catch {
      return markdown;
    }
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
