// One question → one answer on the platform, through the shared inference queue: the ChatCore
// every adapter hands its questions to. It decides, the same way for every platform and in this
// order: already journaled or being answered (a redelivery) → deleted before it started → access → empty question →
// rate limit → placeholder → history and attached files (read only now: a refused question reads
// none, and a slow read no longer delays the first sign of life) → deleted while reading → queue
// (with the channel's system prompt and sampling) → streamed answer, with lines under it for what
// the model did not see (older turns dropped, files left out).
// Every question ends visibly: answered, refused with a reason, or failed with a message naming the
// cause — and answer() never rejects. With a journal, every accepted question is written down before
// anything is shown, and the journal learns how it ended: done, or left for a retry when the
// platform failed (recovery.ts takes it from there). Shutdown ([Symbol.asyncDispose]) is one policy
// for every platform: new questions are refused, every waiting and running answer is cancelled
// with the shutdown note, and their last edits are awaited for at most `drainMs`.

import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import pTimeout from "p-timeout";
import { BackendsUnavailableError } from "../inference/backends/errors.js";
import { CancelledError, ContextOverflowError, InferenceTimeoutError, QueueFullError } from "../inference/errors.js";
import type { InferenceQueueLike, InferenceTicket } from "../inference/queue-types.js";
import type { ChatTurn, Conversation, GenerationResult, SamplingOptions } from "../inference/types.js";
import { readAttachments, type ReadAttachmentsOptions } from "../attachments/read-attachments.js";
import { leftOutNotice, questionWithAttachments } from "../attachments/render.js";
import { chatSettingsFor, type ChannelSettingsConfig } from "../config/channel-settings.js";
import { historyNotice } from "./history-notice.js";
import type { FeedbackSampling, FeedbackVote } from "../feedback/store.js";
import {
  actionNotices,
  type AnswerClick,
  type AnswerControls,
  type AnswerRecord,
  AnswerRecords,
  type ClickResult,
  decideClick,
  newSeed,
} from "./answer-actions.js";
import type { Journal, JournalEntry } from "./journal.js";
import { journaledChannel } from "./journaled-channel.js";
import { type AccessConfig, type AccessResult, checkAccess, isProbeAdmin } from "./access.js";
import { ChannelPacer } from "./channel-pacer.js";
import { messages } from "./messages.js";
import { cleanHistory } from "./status-texts.js";
import { RateLimiter } from "./rate-limit.js";
import { PlatformCallError, ReplyStream, withTimeout } from "./reply-stream.js";
import { StreamingSplitter } from "./split.js";
import { MessageDeletedError, type AnswerOutcome, type Asker, type ChatCore, type IncomingQuestion, type ReplyChannel } from "./types.js";

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
  /** Shutdown waits at most this long for the cancelled answers' last edits (default 10 s). */
  readonly drainMs?: number;
  /** The answer journal; questions whose ReplyChannel has an address are journaled. */
  readonly journal?: Journal;
  /** Told how every question ended (metrics, logs); an observer that throws is ignored. */
  readonly onOutcome?: (outcome: AnswerOutcome, question: IncomingQuestion, durationMs: number) => void;
  /**
   * Per-channel system prompt and sampling (config chat.channels, see config/channel-settings.ts);
   * absent: `systemPrompt` for every channel and the queue's own sampling.
   */
  readonly channelSettings?: ChannelSettingsConfig;
  /**
   * How attached files are read into the question (budget, tokenizer, limits); absent: a budget
   * of DEFAULT_ATTACHMENT_TOKENS counted as one token per character (an over-estimate for Japanese).
   */
  readonly attachments?: Omit<ReadAttachmentsOptions, "signal">;
  /** Where 👍/👎 go, with what a vote must record about the model; absent: votes are refused. */
  readonly feedback?: AnswerFeedbackOptions;
  /** Source of the answers' seeds (tests); Math.random by default. */
  readonly random?: () => number;
}

export interface AnswerFeedbackOptions {
  readonly store: { record(vote: FeedbackVote): "added" | "changed" };
  readonly modelName: string;
  /** Identifies the model file(s) (computed once, on the first vote); null when unknown. */
  readonly modelFingerprint: () => Promise<string | null>;
  /** The queue's sampling defaults (answers use them; the seed is per answer). */
  readonly sampling: FeedbackSampling;
}

export const DEFAULT_ATTACHMENT_TOKENS = 2000;

/** How a journaled answer ends, for the journal. */
interface Settled {
  readonly outcome: AnswerOutcome;
  /** The platform failed and nothing in chat says how the answer ended: retry from the journal. */
  readonly undelivered?: boolean;
}

/** Why an answer was stopped by someone other than the engine. */
type StopCause = "deleted" | "shutdown" | "stopped";

interface Active {
  cancel(cause: StopCause): void;
}

/** What generate() needs of a question, whether newly asked or replayed from the journal. */
interface Job {
  readonly sourceKey: string;
  readonly userKey: string;
  readonly channelKey: string;
  /** The conversation to answer; for a new question, read after the placeholder is up. */
  readonly conversation: () => Promise<Prepared>;
  /** The channel's sampling (chat.channels); undefined: the queue's. */
  readonly sampling: Omit<SamplingOptions, "seed"> | undefined;
  /** The sampler's seed; a new one when absent. */
  readonly seed?: number;
}

interface Prepared {
  readonly conversation: Conversation;
  /** Lines put under the answer about what the model did not see (attachments left out). */
  readonly notes: readonly string[];
}

/**
 * Deleted messages are remembered this long: a deletion can reach the adapter before (or while) the
 * question is taken in, and a platform may deliver the question late. Bounded, so a flood of
 * deletions cannot grow memory.
 */
const DELETED_TTL_MS = 10 * 60_000;
const DELETED_MAX = 10_000;

export class Responder implements ChatCore {
  private readonly rate: RateLimiter;
  private readonly pacer: ChannelPacer;
  private readonly active = new Map<string, Set<Active>>();
  private readonly deleted = new LRUCache<string, true>({ max: DELETED_MAX, ttl: DELETED_TTL_MS });
  /** What the buttons under recent answers need (answer-actions.ts). */
  private readonly answers = new AnswerRecords();
  /** Every answer() and replay() not yet ended: what shutdown waits for. */
  private readonly running = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ResponderOptions) {
    this.rate = new RateLimiter(options.access.ratePerMinute, options.now);
    this.pacer = new ChannelPacer(options.editIntervalMs);
  }

  isProbeAdmin(asker: Asker): boolean {
    return isProbeAdmin(this.options.access, asker);
  }

  cancelSource(sourceKey: string): boolean {
    this.deleted.set(sourceKey, true);
    return this.stopAnswers(sourceKey, "deleted");
  }

  async act(click: AnswerClick, reply: () => ReplyChannel): Promise<ClickResult> {
    const decision = decideClick(this.answers.get(click.answerId), click, this.options.access);
    switch (decision.kind) {
      case "refuse":
        return { kind: "refused", notice: decision.notice };
      case "stop":
        decision.record.stop();
        return { kind: "stopped" };
      case "vote":
        try {
          return await this.vote(decision.record, click, decision.rating);
        } catch {
          // The store failed (disk full, a locked file): the rater is told, the answer is unaffected.
          return { kind: "refused", notice: actionNotices.voteFailed };
        }
      case "regenerate":
        return this.regenerate(decision.record, click, reply);
    }
  }

  private async vote(record: AnswerRecord, click: AnswerClick, rating: "up" | "down"): Promise<ClickResult> {
    const feedback = this.options.feedback;
    if (!feedback) return { kind: "refused", notice: actionNotices.noFeedback };
    let fingerprint: string | null;
    try {
      fingerprint = await feedback.modelFingerprint();
    } catch {
      fingerprint = null; // the vote counts without it
    }
    const conversation = record.conversation;
    const question = conversation?.turns.at(-1)?.text ?? "";
    feedback.store.record({
      platform: click.clicker.platform as FeedbackVote["platform"],
      channel: click.channelId,
      questionKey: record.sourceKey,
      answerMessageId: record.answerId,
      asker: record.userKey.slice(record.userKey.indexOf(":") + 1),
      rater: click.clicker.userId,
      rating,
      question,
      answer: record.text,
      systemPrompt: conversation?.systemPrompt ?? this.options.systemPrompt,
      modelName: feedback.modelName,
      modelFingerprint: fingerprint,
      seed: record.seed,
      sampling: {
        temperature: record.sampling?.temperature ?? feedback.sampling.temperature,
        topP: record.sampling?.topP ?? feedback.sampling.topP,
        maxTokens: record.sampling?.maxTokens ?? feedback.sampling.maxTokens,
      },
    });
    return { kind: "voted", notice: rating === "up" ? actionNotices.thanksUp : actionNotices.thanksDown };
  }

  /**
   * A new answer to the same conversation with another seed, posted below the old one (which keeps
   * its text and votes: a 👎 on it must still point at what was rated). Counts as a question of
   * the clicker for the rate limit; the queue's per-user cap applies to the asker as before.
   */
  private regenerate(record: AnswerRecord, click: AnswerClick, reply: () => ReplyChannel): ClickResult {
    if (this.closing) return { kind: "refused", notice: messages.shuttingDown };
    const allowed = this.rate.take(`${click.clicker.platform}:${click.clicker.userId}`);
    if (!allowed.ok) return { kind: "refused", notice: messages.rateLimited(this.rate.perMinute, Math.ceil(allowed.retryAfterMs / 1000)) };
    const conversation = record.conversation!;
    const job: Job = {
      sourceKey: record.sourceKey,
      userKey: record.userKey,
      channelKey: record.channelKey,
      conversation: async () => ({ conversation, notes: [] }),
      sampling: record.sampling,
      seed: newSeed(this.options.random, record.seed),
    };
    void this.tracked(this.generate(job, reply(), null).catch(() => undefined));
    return { kind: "regenerating" };
  }

  /** Number of answers in progress (for shutdown and tests). */
  get activeCount(): number {
    let n = 0;
    for (const set of this.active.values()) n += set.size;
    return n;
  }

  answer(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome> {
    return this.tracked(this.answerReported(question, reply));
  }

  /**
   * Answers a journaled question again (after a restart, or a platform outage), without the access
   * and rate checks it passed when it was asked: its earlier messages are reused, not posted anew.
   */
  replay(entry: JournalEntry, reply: ReplyChannel): Promise<AnswerOutcome> {
    const journal = this.options.journal;
    if (!journal) throw new Error("Responder.replay needs a journal");
    return this.tracked(
      (async () => {
        journal.resume(entry.key);
        try {
          const channelId = entry.channelKey.slice(entry.channelKey.indexOf(":") + 1);
          const job: Job = {
            sourceKey: entry.key,
            userKey: entry.userKey,
            channelKey: entry.channelKey,
            conversation: async () => ({ conversation: entry.conversation, notes: entry.notes }),
            // As asked (a pane question used its context channel's); older entries: the channel's today.
            sampling: entry.sampling === undefined ? this.settingsFor(channelId).sampling : (entry.sampling ?? undefined),
          };
          return await this.generate(job, reply, entry);
        } catch (error) {
          const outcome: AnswerOutcome = { kind: "failed", reason: `internal error: ${describe(error)}` };
          journal.failed(entry.key, outcome.reason);
          return outcome;
        }
      })(),
    );
  }

  /**
   * Shutdown, the same for every platform: questions arriving from now on are refused visibly,
   * every waiting and running answer is cancelled (its message ends with the shutdown note), and
   * their last edits are awaited — at most `drainMs`, so a platform that hangs cannot hold the
   * process. Safe to call twice.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.closing ??= (async () => {
      for (const key of [...this.active.keys()]) this.stopAnswers(key, "shutdown");
      const drained = Promise.allSettled([...this.running]).then(() => undefined);
      await pTimeout(drained, { milliseconds: this.options.drainMs ?? 10_000, fallback: () => undefined });
    })();
    return this.closing;
  }

  private tracked<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    // The caller gets `work` itself (and its rejection, if any); this branch only forgets it.
    const forget = () => void this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async answerReported(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome> {
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

  private async answerUnsafe(question: IncomingQuestion, reply: ReplyChannel): Promise<AnswerOutcome> {
    const { asker } = question;
    const journal = reply.address ? this.options.journal : undefined;
    // A redelivered event, or one the previous process had already taken: never answered twice.
    if (journal?.has(question.sourceKey)) return { kind: "duplicate" };
    // The same message delivered again while its answer runs (a gateway replay): one answer.
    if (this.active.has(question.sourceKey)) return { kind: "duplicate" };
    // Deleted before the core had it: nobody is waiting for an answer any more.
    if (this.deleted.has(question.sourceKey)) return { kind: "cancelled" };
    if (this.closing) return refuse(reply, messages.shuttingDown, this.callTimeoutMs);
    const access: AccessResult = checkAccess(this.options.access, asker, question.channelId);
    if (!access.ok) return refuse(reply, access.reason, this.callTimeoutMs);

    // An empty mention gets help, and does not use up the user's questions for the minute.
    const text = question.text.trim();
    // Files alone are a question too (「これ」 is implied); the model then sees only them.
    if (text === "" && !question.attachments?.length) return refuse(reply, messages.emptyQuestion, this.callTimeoutMs);

    const userKey = `${asker.platform}:${asker.userId}`;
    const allowed = this.rate.take(userKey);
    if (!allowed.ok) {
      const wait = messages.rateLimited(this.rate.perMinute, Math.ceil(allowed.retryAfterMs / 1000));
      return refuse(reply, wait, this.callTimeoutMs);
    }

    const channelKey = `${asker.platform}:${question.channelId}`;
    const settings = question.settingsChannel
      ? this.settingsFor(question.settingsChannel.id, question.settingsChannel.name)
      : this.settingsFor(question.channelId, question.channelName);
    const conversationOf = (history: readonly ChatTurn[], asked = text): Conversation => ({
      systemPrompt: settings.systemPrompt,
      turns: [...cleanHistory(history), { role: "user", text: asked }],
    });
    // Journaled before anything is shown, with the question alone; the history joins it once read.
    const journaled = {
      key: question.sourceKey,
      address: reply.address!,
      conversation: conversationOf([]),
      userKey,
      channelKey,
      sampling: settings.sampling ?? null,
    };
    if (journal && !journal.accept(journaled)) {
      return { kind: "duplicate" };
    }
    const job: Job = {
      sourceKey: question.sourceKey,
      userKey,
      channelKey,
      conversation: async () => {
        const history = await question.loadHistory();
        // Files are read after the checks, like the history: a refused question downloads nothing.
        const files = question.attachments ?? [];
        const read = files.length > 0 ? await readAttachments(files, this.options.attachments ?? defaultAttachmentOptions) : undefined;
        const conversation = conversationOf(history, read ? questionWithAttachments(text, read).trimStart() : text);
        const notice = read ? leftOutNotice(read.leftOut) : undefined;
        const notes = notice ? [notice] : [];
        journal?.conversation(question.sourceKey, conversation, notes);
        return { conversation, notes };
      },
      sampling: settings.sampling,
    };
    return this.generate(job, reply, journal ? { messages: [] } : null);
  }

  /** The system prompt and sampling of a channel: chat.channels over the top level. */
  private settingsFor(channelId: string, channelName?: string): { systemPrompt: string; sampling: Omit<SamplingOptions, "seed"> | undefined } {
    const config = this.options.channelSettings;
    if (!config) return { systemPrompt: this.options.systemPrompt, sampling: undefined };
    return chatSettingsFor(config, channelId, new Date(this.options.now?.() ?? Date.now()), channelName);
  }

  private get callTimeoutMs(): number {
    return this.options.platformTimeoutMs ?? 30_000;
  }

  private stopAnswers(sourceKey: string, cause: StopCause): boolean {
    const answers = this.active.get(sourceKey);
    if (!answers || answers.size === 0) return false;
    for (const a of [...answers]) a.cancel(cause);
    return true;
  }

  /** `journaled`: the journal has the question (with the messages an earlier attempt posted); null: not journaled. */
  private async generate(job: Job, platformReply: ReplyChannel, journaled: Pick<JournalEntry, "messages"> | null): Promise<AnswerOutcome> {
    const journal = journaled ? this.options.journal : undefined;
    const reply = journal ? journaledChannel(platformReply, journal, job.sourceKey, journaled!.messages) : platformReply;
    const settled = await this.generateAnswer(job, reply, platformReply);
    if (journal) {
      if (settled.outcome.kind === "failed" && settled.undelivered) journal.defer(job.sourceKey, settled.outcome.reason);
      else journal.done(job.sourceKey, settled.outcome.kind);
    }
    return settled.outcome;
  }

  private async generateAnswer(
    job: Job,
    reply: ReplyChannel,
    /** The channel without the journal's bookkeeping, for notices that are not parts of the answer. */
    noticeReply: ReplyChannel,
  ): Promise<Settled> {
    const format = reply.format ? safeFormat(reply.format.bind(reply)) : undefined;
    const splitter = new StreamingSplitter(reply.limits, format);
    let text = "";
    // -1 = not known yet; the ticket is asked once submit() returns.
    let position = -1;
    let stoppedBy: StopCause | null = null;
    let ticket: InferenceTicket | null = null;
    const abort = new AbortController();

    const stop = (reason: string) => {
      ticket?.cancel(reason);
      abort.abort(new CancelledError(reason));
    };
    const ownPace = reply.editIntervalMs;
    const stream = new ReplyStream(reply, {
      editIntervalMs: ownPace ?? this.options.editIntervalMs,
      callTimeoutMs: this.callTimeoutMs,
      ...(ownPace === undefined ? { gate: (force: boolean) => this.pacer.take(job.channelKey, force) } : {}),
      onFailure: (error) => stop(error.message),
    });
    /** The placeholder shown as a status line (ReplyChannel.status), to set each one once. */
    let statusShown: string | undefined;
    const render = () => {
      if (text.trim() !== "") {
        const { parts, finalCount } = splitter.update(text);
        stream.show(parts, finalCount);
      } else {
        const p = position === -1 && ticket ? ticket.position() : position;
        const placeholder = p > 0 ? messages.queued(p) : messages.thinking;
        if (!reply.status) return stream.show([placeholder], 0);
        // A status line instead of a message: the first post is the answer's first text.
        if (placeholder === statusShown) return;
        statusShown = placeholder;
        void reply.status(placeholder).catch(() => undefined);
      }
    };
    /** Ends the answer with one text in place of the placeholder (a refusal, an error, a stop before the start). */
    const endWith = async (message: string, outcome: AnswerOutcome, undelivered = false): Promise<Settled> => {
      // No buttons on a refusal or an error (the record goes when the answer ends).
      await this.showControls(reply, { answerId: record.answerId, phase: "none" });
      try {
        await stream.finish([message]);
      } catch (error) {
        return platformOutcome(error instanceof PlatformCallError ? error : new PlatformCallError("edit", error), stream, noticeReply, this.callTimeoutMs);
      }
      return { outcome, ...(undelivered ? { undelivered } : {}) };
    };

    const entry: Active = {
      cancel: (cause) => {
        stoppedBy ??= cause;
        stop(cause === "deleted" ? "the question was deleted" : cause === "stopped" ? "stopped by the asker" : "the bot is shutting down");
      },
    };
    const record: AnswerRecord = {
      answerId: randomUUID(),
      userKey: job.userKey,
      channelKey: job.channelKey,
      sourceKey: job.sourceKey,
      conversation: null,
      seed: job.seed ?? newSeed(this.options.random),
      sampling: job.sampling,
      text: "",
      phase: "streaming",
      stop: () => entry.cancel("stopped"),
    };
    this.answers.add(record);
    this.track(job.sourceKey, entry);
    try {
      // The Stop button rides on the placeholder and every edit after it.
      void this.showControls(reply, { answerId: record.answerId, phase: "streaming" });
      render(); // posts the placeholder at once, before the history is read
      let prepared: Prepared;
      try {
        prepared = await job.conversation();
        record.conversation = prepared.conversation;
      } catch (error) {
        return await endWith(messages.engineError, { kind: "failed", reason: `reading the history failed: ${describe(error)}` });
      }
      if (stream.error) return platformOutcome(stream.error, stream, noticeReply, this.callTimeoutMs);
      if (stoppedBy) return await endWith(stoppedMessage(stoppedBy), { kind: "cancelled" });

      try {
        ticket = this.options.queue.submit({
          userId: job.userKey,
          priority: "interactive",
          conversation: prepared.conversation,
          sampling: { ...job.sampling, seed: record.seed },
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
          const refusal = error.kind === "user_limit" ? messages.userLimit : messages.queueFull;
          return await endWith(refusal, { kind: "refused", reason: refusal });
        }
        return await endWith(messages.engineError, { kind: "failed", reason: `submit failed: ${describe(error)}` });
      }
      render(); // the queue position, now that it is known

      let result: GenerationResult | null = null;
      let failure: unknown = null;
      try {
        result = await ticket.result;
      } catch (error) {
        failure = error;
      }

      // A failed post/edit already stopped the generation (onFailure); report it, show nothing more.
      if (stream.error) return platformOutcome(stream.error, stream, noticeReply, this.callTimeoutMs);

      const ending = decideEnding(result, failure, text, stoppedBy);
      // Under the answer, each on its own paragraph: why it stopped, what the model did not see.
      const notes = [ending.note, historyNotice(result?.trimmedTurns ?? 0), ...prepared.notes].filter((n): n is string => n !== null && n !== undefined);
      const finalParts = ending.shownText.trim() === "" ? { parts: [ending.emptyMessage] } : splitter.finish([ending.shownText, ...notes].join("\n\n"));
      // Regenerate and 👍/👎 go under any answer text that stays (a stopped one included); nothing
      // to rate or regenerate after a deletion, a shutdown or an answer without text.
      const rateable = ending.shownText.trim() !== "" && stoppedBy !== "deleted" && stoppedBy !== "shutdown";
      record.text = ending.shownText;
      try {
        await stream.finish(finalParts.parts);
      } catch (error) {
        return platformOutcome(error instanceof PlatformCallError ? error : new PlatformCallError("edit", error), stream, noticeReply, this.callTimeoutMs);
      }
      if (rateable) record.phase = "finished";
      // After the final text is shown, so that the buttons' re-render cannot race the last edit.
      await this.showControls(reply, { answerId: record.answerId, phase: rateable ? "finished" : "none" });
      return { outcome: ending.outcome(stream.messageCount) };
    } finally {
      if (record.phase === "streaming") this.answers.delete(record.answerId);
      this.untrack(job.sourceKey, entry);
      stream.close();
      if (reply.end) {
        try {
          await withTimeout(reply.end(), this.callTimeoutMs, "end");
        } catch {
          // Closing a stream is best effort: the text is shown already.
        }
      }
    }
  }

  /** Buttons are cosmetic: a platform that fails or hangs on them must not hold the answer. */
  private async showControls(reply: ReplyChannel, controls: AnswerControls): Promise<void> {
    if (!reply.controls) return;
    try {
      await withTimeout(reply.controls(controls), this.callTimeoutMs, "controls");
    } catch {
      // The answer itself goes on; only its buttons are missing.
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
function decideEnding(result: GenerationResult | null, failure: unknown, streamed: string, stoppedBy: StopCause | null): Ending {
  const cancelled = (): Ending => ({
    shownText: streamed,
    note: stoppedBy === "shutdown" ? messages.cutByShutdown : stoppedBy === "stopped" ? messages.cutByStop : messages.cutByCancel,
    emptyMessage: stoppedMessage(stoppedBy),
    outcome: () => ({ kind: "cancelled" }),
  });
  if (stoppedBy || failure instanceof CancelledError || result?.stopReason === "aborted") return cancelled();
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

function stoppedMessage(cause: StopCause | null): string {
  return cause === "shutdown" ? messages.shuttingDown : cause === "stopped" ? messages.stopped : messages.cancelled;
}

async function platformOutcome(error: PlatformCallError, stream: ReplyStream, reply: ReplyChannel, timeoutMs: number): Promise<Settled> {
  stream.close();
  // The bot's own reply was deleted: the asker's way of saying "stop".
  if (error.cause instanceof MessageDeletedError) {
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

const defaultAttachmentOptions: Omit<ReadAttachmentsOptions, "signal"> = {
  budgetTokens: DEFAULT_ATTACHMENT_TOKENS,
  countTokens: (text) => [...text].length,
};
