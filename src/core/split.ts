// Splitting an answer into messages that fit a platform's limits (Discord 2,000 chars; Slack
// 3,000 per section block / bytes where bytes count). Breaks where a reader would: blank line,
// then newline, then sentence end, then space, then 、; never inside a surrogate pair. A cut inside
// a ``` code fence closes the fence at the end of the part and reopens it (same language) at the
// start of the next, so every message renders on its own. Nothing is dropped: the parts minus the
// added fence lines concatenate to the input (see SplitPart).
//
// Each cut depends only on the text up to a little past it, so the same step serves a growing
// stream (StreamingSplitter): once a part is cut it never changes as more text arrives.

import type { MessageLimits } from "./types.js";

export interface SplitPart {
  /** The message text: `opener + input.slice(start, end) + closer`. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Fence line added at the start to reopen a code block cut by the previous part ("" if none). */
  readonly opener: string;
  /** Fence added at the end to close a code block cut here ("" if none). */
  readonly closer: string;
}

/** An open ``` block carried from one part to the next. */
export interface OpenFence {
  /** The backticks as written (``` or longer). */
  readonly marker: string;
  /** The info string (language tag), reused when reopening. */
  readonly info: string;
}

interface FenceBlock {
  readonly openStart: number;
  /** Just past the opener line's newline (the code starts here). */
  readonly openEnd: number;
  /** Start of the closing fence line; Infinity while unclosed. */
  readonly closeStart: number;
  /** Just past the closing fence line; Infinity while unclosed. */
  readonly closeEnd: number;
  readonly fence: OpenFence;
}

export function fits(text: string, limits: MessageLimits): boolean {
  return text.length <= limits.maxChars && (limits.maxBytes === undefined || utf8Length(text) <= limits.maxBytes);
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Splits a complete text. An empty text gives one empty part. */
export function splitMessage(text: string, limits: MessageLimits): string[] {
  return splitMessageParts(text, limits).map((part) => part.text);
}

export function splitMessageParts(text: string, limits: MessageLimits): SplitPart[] {
  const parts: SplitPart[] = [];
  let start = 0;
  let fence: OpenFence | null = null;
  for (;;) {
    const step = splitStep(text, start, fence, limits);
    parts.push(step.part);
    if (step.final) return parts;
    start = step.part.end;
    fence = step.fenceAfter;
  }
}

export interface SplitStep {
  readonly part: SplitPart;
  /** True when the rest of the text fit into this part. */
  readonly final: boolean;
  /** The code block the cut fell inside, to reopen in the next part. */
  readonly fenceAfter: OpenFence | null;
}

/**
 * One part starting at `start` (inside `fence` if the previous part cut a code block). The cut
 * depends on text[start .. cut + 1] only, so a growing text yields the same cut once it is long
 * enough. `complete` says no more text will come: only then is a cut moved so that the rest is not
 * whitespace only (a whitespace-only message is rejected by the platforms).
 */
export function splitStep(text: string, start: number, fence: OpenFence | null, limits: MessageLimits, complete = true): SplitStep {
  const firstOpener = fence ? `${fence.marker}${fence.info}\n` : "";
  if (fits(firstOpener + text.slice(start), limits)) {
    const part = { text: firstOpener + text.slice(start), start, end: text.length, opener: firstOpener, closer: "" };
    return { part, final: true, fenceAfter: null };
  }
  const blocks = scanFences(text, start, fence);
  // Room kept for a closing fence: none at first, grown to "\n```" (or a longer marker) when the
  // cut turns out to fall inside a code block and the closer does not fit.
  let reserve = "";
  let opener = firstOpener;
  let withFences = true;
  for (let attempt = 0; attempt < 4; attempt++) {
    let maxEnd = fitEnd(text, start, budget(limits, opener + reserve));
    if (maxEnd === start) {
      // Limits too small to repeat fences: give them up rather than make no progress.
      opener = "";
      reserve = "";
      withFences = false;
      maxEnd = Math.max(fitEnd(text, start, limits), start + codePointLength(text, start));
    }
    const natural = chooseCut(text, start, maxEnd);
    const adjusted = adjustForFences(text, start, maxEnd + reserve.length, natural, blocks);
    const candidates = adjusted === natural ? [natural] : [adjusted, natural];
    // Never leave a whitespace-only rest: it would become an empty (rejected) message. While the
    // text still grows this is the streaming caller's concern (more text will follow).
    if (complete && text.slice(Math.min(...candidates)).trim() === "") {
      const visible = visibleRestCut(text, start, blocks);
      if (visible > start) candidates.splice(0, candidates.length, visible);
    }
    let needed: string | null = null;
    for (const cut of candidates) {
      const block = withFences ? (blocks.find((b) => b.openEnd <= cut && cut <= b.closeStart) ?? null) : null;
      const body = text.slice(start, cut);
      const closer = block ? (body.endsWith("\n") ? "" : "\n") + block.fence.marker : "";
      const part = { text: opener + body + closer, start, end: cut, opener, closer };
      if (fits(part.text, limits) || !withFences) return { part, final: false, fenceAfter: block?.fence ?? null };
      if (block && ("\n" + block.fence.marker).length > reserve.length) needed ??= "\n" + block.fence.marker;
    }
    if (needed === null) break;
    reserve = needed;
  }
  // Not reached with sane limits; cut without fences so that progress is still made.
  const end = Math.max(fitEnd(text, start, limits), start + codePointLength(text, start));
  const part = { text: text.slice(start, end), start, end, opener: "", closer: "" };
  return { part, final: false, fenceAfter: null };
}

function budget(limits: MessageLimits, overhead: string): MessageLimits {
  return {
    maxChars: limits.maxChars - overhead.length,
    ...(limits.maxBytes !== undefined ? { maxBytes: limits.maxBytes - utf8Length(overhead) } : {}),
  };
}

function codePointLength(text: string, index: number): number {
  const cp = text.codePointAt(index);
  return cp !== undefined && cp > 0xffff ? 2 : 1;
}

/** Largest end such that text[start, end) fits, stepping by whole code points. */
function fitEnd(text: string, start: number, limits: MessageLimits): number {
  let chars = 0;
  let bytes = 0;
  let i = start;
  const maxBytes = limits.maxBytes ?? Infinity;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    // Lone surrogates are sent as U+FFFD (3 bytes), as Buffer.byteLength counts them.
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp <= 0xffff ? 3 : 4;
    if (chars + units > limits.maxChars || bytes + size > maxBytes) break;
    chars += units;
    bytes += size;
    i += units;
  }
  return i;
}

const SENTENCE_END = new Set(["。", "！", "？", "．"]);
const ASCII_SENTENCE_END = new Set(["!", "?", "."]);
const CLOSING = new Set(["」", "』", "）", ")", "】", "〉", "》", '"', "'", "”", "’"]);
const SPACE = new Set([" ", "\t", "\u3000"]);
const COMMA = new Set(["、", "，", ","]);

/** Best cut in (start, maxEnd] — maxEnd < text.length, i.e. the rest does not fit. */
function chooseCut(text: string, start: number, maxEnd: number): number {
  // Prefer a natural break only if it keeps at least half of the room used.
  const min = start + Math.floor((maxEnd - start) / 2);
  const ok = (c: number) => c > start && c >= min && c <= maxEnd;
  let cut = -1;

  const blank = text.lastIndexOf("\n\n", maxEnd - 2);
  if (blank >= start && ok(blank + 2)) cut = blank + 2;
  if (cut < 0) {
    const nl = text.lastIndexOf("\n", maxEnd - 1);
    if (nl >= start && ok(nl + 1)) cut = nl + 1;
  }
  if (cut < 0) cut = lastWhere(text, min, maxEnd, start, (c) => isSentenceEnd(text, c));
  if (cut >= 0) {
    // Keep a closing bracket or quote with its sentence: 「…。」 not 「…。 / 」.
    while (cut < maxEnd && CLOSING.has(text[cut]!)) cut++;
  }
  if (cut < 0) cut = lastWhere(text, min, maxEnd, start, (c) => SPACE.has(text[c - 1]!));
  if (cut < 0) cut = lastWhere(text, min, maxEnd, start, (c) => COMMA.has(text[c - 1]!));
  if (cut < 0) cut = maxEnd;

  return cut;
}

/**
 * A cut that leaves the last visible line to the next part: used when everything after the
 * natural cut is whitespace. If that line closes a code block, the code line before it goes too,
 * so the next part is a small code block rather than a lone fence.
 */
function visibleRestCut(text: string, start: number, blocks: readonly FenceBlock[]): number {
  const last = lastNonSpaceIndex(text);
  if (last <= start) return -1;
  const lineStart = text.lastIndexOf("\n", last) + 1;
  // Both sides of the cut must show something.
  const good = (c: number) => c > start && text.slice(start, c).trim() !== "";
  const closing = blocks.find((b) => b.closeStart === lineStart);
  if (closing) {
    const before = lastNonSpaceIndex(text.slice(0, lineStart));
    const codeLine = before >= closing.openEnd ? text.lastIndexOf("\n", before) + 1 : closing.openStart;
    // Failing that, cut before the closing line (an empty block follows) — never inside it.
    return [codeLine, lineStart].find(good) ?? -1;
  }
  return [lineStart, last].find(good) ?? -1;
}

function isSentenceEnd(text: string, c: number): boolean {
  const before = text[c - 1]!;
  if (SENTENCE_END.has(before)) return true;
  // "3.14", "?a=1" and "e.g" are not sentence ends: need whitespace after.
  return ASCII_SENTENCE_END.has(before) && /\s/.test(text[c] ?? " ");
}

function lastWhere(text: string, min: number, maxEnd: number, start: number, test: (c: number) => boolean): number {
  for (let c = maxEnd; c > start && c >= min; c--) if (test(c)) return c;
  return -1;
}

/** Start index of the last non-whitespace code point. */
function lastNonSpaceIndex(text: string): number {
  let i = text.length;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  if (i >= 2) {
    const unit = text.charCodeAt(i - 1);
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      const high = text.charCodeAt(i - 2);
      if (high >= 0xd800 && high <= 0xdbff) return i - 2;
    }
  }
  return i - 1;
}

/** Moves a cut that falls inside a fence line (or right after an opener) to a sensible place. */
function adjustForFences(text: string, start: number, maxEnd: number, cut: number, blocks: readonly FenceBlock[]): number {
  for (const b of blocks) {
    if (b.openStart > start && b.openStart < cut && cut <= b.openEnd) {
      // Inside the opener line, or just after it (an empty block would be closed at once): cut
      // before it, unless only whitespace precedes it (a blank message is rejected).
      if (text.slice(start, b.openStart).trim() !== "") return b.openStart;
      return cut < b.openEnd && b.openEnd <= maxEnd ? b.openEnd : cut;
    }
    if (b.closeStart <= cut && cut < b.closeEnd) {
      // Keep the closing line with its block when it fits; else cut before it.
      if (b.closeEnd <= maxEnd) return b.closeEnd;
      if (b.closeStart > start && b.closeStart < cut) return b.closeStart;
      return cut;
    }
  }
  return cut;
}

const OPENER = /^ {0,3}(`{3,})([^`]*)$/;
const CLOSER = /^ {0,3}(`{3,})[ \t\r]*$/;

/** Code blocks from `start` on; `fence` is a block already open at `start`. */
function scanFences(text: string, start: number, fence: OpenFence | null): FenceBlock[] {
  const blocks: FenceBlock[] = [];
  let open: { openStart: number; openEnd: number; fence: OpenFence } | null = fence ? { openStart: start, openEnd: start, fence } : null;
  let lineStart = start;
  // A part may start mid-line (cut at a sentence end): that line's rest is not a line start.
  if (start > 0 && text[start - 1] !== "\n") {
    const nl = text.indexOf("\n", start);
    lineStart = nl === -1 ? text.length : nl + 1;
  }
  while (lineStart < text.length) {
    const nl = text.indexOf("\n", lineStart);
    const lineEnd = nl === -1 ? text.length : nl;
    const next = nl === -1 ? text.length : nl + 1;
    const line = text.slice(lineStart, lineEnd);
    if (!open) {
      const m = OPENER.exec(line);
      if (m) open = { openStart: lineStart, openEnd: next, fence: { marker: m[1]!, info: m[2]!.trim() } };
    } else {
      const m = CLOSER.exec(line);
      if (m && m[1]!.length >= open.fence.marker.length) {
        blocks.push({ ...open, closeStart: lineStart, closeEnd: next });
        open = null;
      }
    }
    lineStart = next;
  }
  if (open) blocks.push({ ...open, closeStart: Infinity, closeEnd: Infinity });
  return blocks;
}

export interface StreamedParts {
  /** Display text of every part so far; the last one may still grow unless all are final. */
  readonly parts: readonly string[];
  /** The first `finalCount` parts will not change any more. */
  readonly finalCount: number;
  /** The same parts before formatting, with their place in the text. */
  readonly pieces: readonly SplitPart[];
}

/**
 * Incremental splitting of a growing text. Feed the whole text so far to update(); a part is
 * final once the text has grown past it. `format` (the platform's Markdown dialect) is applied
 * to each part on its own and the cut is tightened until the formatted part fits, so a dialect
 * that lengthens text (escaping, link syntax) never pushes a message over the limit.
 */
export class StreamingSplitter {
  private readonly done: string[] = [];
  private readonly donePieces: SplitPart[] = [];
  private start = 0;
  private fence: OpenFence | null = null;

  constructor(
    private readonly limits: MessageLimits,
    private readonly format: (markdown: string) => string = (s) => s,
  ) {}

  /** Offset in the raw text up to which parts are final. */
  get committedEnd(): number {
    return this.start;
  }

  update(text: string): StreamedParts {
    const current = this.advance(text, false);
    return {
      parts: [...this.done, current.shown],
      finalCount: this.done.length,
      pieces: [...this.donePieces, current.part],
    };
  }

  /** The text is complete: every part is final. A whitespace-only tail after a cut is dropped. */
  finish(text: string): StreamedParts {
    const current = this.advance(text, true);
    const dropTail = this.done.length > 0 && text.slice(this.start).trim() === "";
    const parts = dropTail ? [...this.done] : [...this.done, current.shown];
    const pieces = dropTail ? [...this.donePieces] : [...this.donePieces, current.part];
    return { parts, finalCount: parts.length, pieces };
  }

  /** Commits every part the text has grown past; returns the last part. */
  private advance(text: string, complete: boolean): SplitStep & { shown: string } {
    if (text.length < this.start) throw new Error("StreamingSplitter: the text must only grow");
    for (;;) {
      const step = this.formattedStep(text, complete);
      if (step.final) return step;
      // Only whitespace after the cut so far: posting it would be an empty message. Show the cut
      // part as still growing; the same cut is found again once visible text follows.
      if (!complete && text.slice(step.part.end).trim() === "") return step;
      this.done.push(step.shown);
      this.donePieces.push(step.part);
      this.start = step.part.end;
      this.fence = step.fenceAfter;
    }
  }

  private formattedStep(text: string, complete: boolean): SplitStep & { shown: string } {
    let limits = this.limits;
    let step = splitStep(text, this.start, this.fence, limits, complete);
    for (let attempt = 0; attempt < 12; attempt++) {
      const shown = this.format(step.part.text);
      if (fits(shown, this.limits)) return { ...step, shown };
      // Shrink the raw budget in proportion to how much the dialect grew the part.
      const charScale = this.limits.maxChars / Math.max(1, shown.length);
      const byteScale = this.limits.maxBytes !== undefined ? this.limits.maxBytes / Math.max(1, utf8Length(shown)) : 1;
      const scale = Math.min(charScale, byteScale, 0.98);
      limits = {
        maxChars: Math.max(1, Math.floor(Math.min(limits.maxChars, step.part.text.length) * scale)),
        ...(limits.maxBytes !== undefined ? { maxBytes: Math.max(4, Math.floor(Math.min(limits.maxBytes, utf8Length(step.part.text)) * scale)) } : {}),
      };
      step = splitStep(text, this.start, this.fence, limits, complete);
    }
    // A dialect that cannot be made to fit (pathological): send the raw part, which fits.
    return { ...step, shown: step.part.text };
  }
}
