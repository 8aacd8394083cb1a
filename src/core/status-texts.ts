// Recognises the chat core's own status texts (placeholders, refusals, errors) in a thread, so that
// reading a thread back as history keeps the answers and drops "考え中…" and "順番待ち: 2番目".
// Built from src/core/messages.ts so that a change of wording there needs no change here.

import { stripLeftOutNotice } from "../attachments/render.js";
import { stripHistoryNotice } from "./history-notice.js";
import { messages } from "./messages.js";
import type { TimeoutKind } from "../inference/errors.js";
import type { ChatTurn } from "../inference/types.js";

const TIMEOUT_KINDS: readonly TimeoutKind[] = ["queue_wait", "first_token", "total"];
// Stand-ins for the numbers in templated texts; turned into \d+ in the pattern.
const N1 = 918273;
const N2 = 827364;

let cached: { exact: Set<string>; patterns: RegExp[]; notes: string[] } | undefined;

function build() {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const notes: string[] = [];
  for (const [key, value] of Object.entries(messages) as [string, unknown][]) {
    if (typeof value === "string") {
      if (key.startsWith("cutBy")) notes.push(value);
      else exact.add(value);
    } else if (typeof value === "function") {
      if (key === "timeout") {
        for (const kind of TIMEOUT_KINDS) exact.add((value as (k: TimeoutKind) => string)(kind));
        continue;
      }
      const sample = String((value as (a: number, b: number) => unknown)(N1, N2));
      const source = sample
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(String(N1), "\\d+")
        .replace(String(N2), "\\d+");
      patterns.push(new RegExp(`^${source}$`));
    }
  }
  return { exact, patterns, notes };
}

/** True for a text the chat core posts about an answer rather than as one. */
export function isStatusText(text: string): boolean {
  cached ??= build();
  const t = text.trim();
  return cached.exact.has(t) || cached.patterns.some((p) => p.test(t));
}

/**
 * Removes the core's remarks under an answer: the one after a partial answer ("（時間切れのため…）"),
 * the history-trim notice and the attachments left-out notice (put in that order; taken off in reverse).
 */
export function stripStatusNotes(text: string): string {
  cached ??= build();
  let t = stripHistoryNotice(stripLeftOutNotice(text.trimEnd())).trimEnd();
  for (const note of cached.notes) if (t.endsWith(note)) t = t.slice(0, -note.length).trimEnd();
  return t;
}

/**
 * History as read back from a platform, made fit for the prompt: the bot's status messages
 * (placeholders, refusals, errors) are dropped, the remark after a partial answer is stripped, and
 * consecutive turns of one role (an answer split over several messages) are joined.
 */
export function cleanHistory(turns: readonly ChatTurn[]): ChatTurn[] {
  const out: ChatTurn[] = [];
  for (const turn of turns) {
    const text = turn.role === "assistant" ? (isStatusText(turn.text) ? "" : stripStatusNotes(turn.text)) : turn.text.trim();
    if (text === "") continue;
    const last = out.at(-1);
    if (last && last.role === turn.role) out[out.length - 1] = { role: turn.role, text: `${last.text}\n${text}` };
    else out.push({ role: turn.role, text });
  }
  return out;
}
