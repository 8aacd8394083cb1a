// The buttons under an answer — Stop while it streams, Regenerate and 👍/👎 once it is over — decided
// once for every platform. Adapters render the buttons the core asks for (ReplyChannel.controls) and
// turn a click into an AnswerClick; what a click may do, and who may do it, is decided here:
// - Stop and Regenerate: only the asker, or an admin (access.probeAdmins, the bot's admins);
//   anyone else is refused with a message only they see.
// - 👍/👎: anyone who can see the answer; one vote per person per answer (a second click changes it).
// The core remembers what it needs of each answer (the conversation, the seed, the text) in memory,
// bounded: a click on an answer older than that, or from before a restart, is told so.

import { LRUCache } from "lru-cache";
import type { Conversation, SamplingOptions } from "../inference/types.js";
import { type AccessConfig, isProbeAdmin } from "./access.js";
import type { Asker } from "./types.js";

export type AnswerAction = "stop" | "regenerate" | "up" | "down";

export const ANSWER_ACTIONS: readonly AnswerAction[] = ["stop", "regenerate", "up", "down"];

/** Which buttons an answer's last message carries. */
export type ControlsPhase = "streaming" | "finished" | "none";

export interface AnswerControls {
  /** Names the answer in the buttons' values (the click carries it back). */
  readonly answerId: string;
  readonly phase: ControlsPhase;
}

/** A button press, as the adapter translated it. */
export interface AnswerClick {
  readonly answerId: string;
  readonly action: AnswerAction;
  readonly clicker: Asker;
  /** The channel the click happened in (the feedback row names it). */
  readonly channelId: string;
}

/** What the click did; `notice` is for the clicker alone (ephemeral), absent when the message itself shows it. */
export type ClickResult =
  | { readonly kind: "stopped" }
  | { readonly kind: "regenerating" }
  | { readonly kind: "voted"; readonly notice: string }
  | { readonly kind: "refused"; readonly notice: string };

/** What the core keeps of one answer for its buttons. */
export interface AnswerRecord {
  readonly answerId: string;
  /** "platform:userId" of the asker. */
  readonly userKey: string;
  /** "platform:channelId" (the edit budget it shares). */
  readonly channelKey: string;
  readonly sourceKey: string;
  /** The conversation the answer was generated from (read once; Regenerate reuses it). */
  conversation: Conversation | null;
  readonly seed: number;
  /** The channel's sampling the answer ran with (chat.channels); undefined: the queue's defaults. */
  readonly sampling: Omit<SamplingOptions, "seed"> | undefined;
  /** The text shown so far (partial while streaming). */
  text: string;
  phase: "streaming" | "finished";
  /** Ends the generation at once (the queue frees the sequence); the partial text stays. */
  readonly stop: () => void;
}

export const actionNotices = {
  notYours: "この回答を停止・再生成できるのは、質問した人と管理者だけです。",
  unknown: "この回答の情報が残っていないため操作できません（ボットの再起動後、または古い回答です）。もう一度質問してください。",
  alreadyOver: "この回答はすでに終わっています。",
  stillStreaming: "回答の生成中は再生成できません。停止してからお試しください。",
  noFeedback: "このボットでは評価を記録していません。",
  voteFailed: "評価を記録できませんでした。しばらくしてからもう一度お試しください。",
  notFinished: "評価は回答が終わってからお願いします。",
  thanksUp: "👍 ありがとうございます。評価を記録しました。",
  thanksDown: "👎 ありがとうございます。評価を記録しました（改善に使わせていただきます）。",
} as const;

/** What to do with a click, before anything is done: pure, so every rule is tested on its own. */
export type ClickDecision =
  | { readonly kind: "stop"; readonly record: AnswerRecord }
  | { readonly kind: "regenerate"; readonly record: AnswerRecord }
  | { readonly kind: "vote"; readonly record: AnswerRecord; readonly rating: "up" | "down" }
  | { readonly kind: "refuse"; readonly notice: string };

export function decideClick(record: AnswerRecord | undefined, click: AnswerClick, access: AccessConfig): ClickDecision {
  if (!record) return { kind: "refuse", notice: actionNotices.unknown };
  if (click.action === "up" || click.action === "down") {
    if (record.phase !== "finished") return { kind: "refuse", notice: actionNotices.notFinished };
    return { kind: "vote", record, rating: click.action };
  }
  const mayControl = `${click.clicker.platform}:${click.clicker.userId}` === record.userKey || isProbeAdmin(access, click.clicker);
  if (!mayControl) return { kind: "refuse", notice: actionNotices.notYours };
  if (click.action === "stop") {
    return record.phase === "streaming" ? { kind: "stop", record } : { kind: "refuse", notice: actionNotices.alreadyOver };
  }
  return record.phase === "finished" ? { kind: "regenerate", record } : { kind: "refuse", notice: actionNotices.stillStreaming };
}

/**
 * Answers whose buttons still work: the newest ANSWERS_MAX, for at most a day. A record is small
 * (the conversation is shared with the queue's request), so this bounds memory at a few MB.
 */
const ANSWERS_MAX = 2_000;
const ANSWERS_TTL_MS = 24 * 60 * 60_000;

export class AnswerRecords {
  private readonly records = new LRUCache<string, AnswerRecord>({ max: ANSWERS_MAX, ttl: ANSWERS_TTL_MS });

  add(record: AnswerRecord): void {
    this.records.set(record.answerId, record);
  }

  get(answerId: string): AnswerRecord | undefined {
    return this.records.get(answerId);
  }

  delete(answerId: string): void {
    this.records.delete(answerId);
  }
}

/** A sampler seed: a positive 31-bit integer, different from `not` (Regenerate must not repeat the answer). */
export function newSeed(random: () => number = Math.random, not?: number): number {
  for (;;) {
    const seed = 1 + Math.floor(random() * 0x7ffffffe);
    if (seed !== not) return seed;
  }
}
