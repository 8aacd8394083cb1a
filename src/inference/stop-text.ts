// Turns sampled tokens into streamed text, and ends it at a stop trigger written out as text.
//
// Two things make the text of a token stream trickier than "detokenize each token": a token may
// end inside a UTF-8 character (Japanese is 3 bytes a character; byte-level BPE splits them), and a
// stop trigger such as "<|eot_id|>" written as plain characters spans several tokens. So text is
// held back while it ends in an incomplete character, or in what could be the start of a trigger,
// and released as soon as it cannot be either. Triggers that are single tokens (EOS, EOT) never
// get here: the sequence stops on them itself.

/** Characters of an incomplete UTF-8 sequence, as the detokenizer renders them. */
const REPLACEMENT = "\uFFFD";
/** A token ends a character within 4 bytes; beyond that a U+FFFD is really in the text. */
const MAX_HELD_TOKENS = 4;
/** Tokens of context the detokenizer is given (enough for a leading-space decision). */
const CONTEXT_TOKENS = 4;

export interface TextStep {
  /** Text safe to show now (may be ""). */
  readonly text: string;
  /** A stop trigger was reached: `text` ends before it, and generation should end. */
  readonly stopped: boolean;
}

export class StopText<T> {
  private pendingTokens: T[] = [];
  /** The last tokens already decoded: context for the detokenizer. */
  private decodedTokens: T[] = [];
  /** Text decoded but not yet released: it may be the start of a trigger. */
  private held = "";

  constructor(
    /** Text of tokens; `before` are the tokens before them (some tokenizers need that for spaces). */
    private readonly detokenize: (tokens: readonly T[], before: readonly T[]) => string,
    private readonly triggers: readonly string[],
  ) {}

  /** Adds one sampled token; returns the text that may be shown now. */
  push(token: T): TextStep {
    this.pendingTokens.push(token);
    const decoded = this.detokenize(this.pendingTokens, this.decodedTokens);
    if (decoded.endsWith(REPLACEMENT) && this.pendingTokens.length < MAX_HELD_TOKENS) return { text: "", stopped: false };
    this.decodedTokens = [...this.decodedTokens, ...this.pendingTokens].slice(-CONTEXT_TOKENS);
    this.pendingTokens = [];
    return this.release(this.held + decoded);
  }

  /** The end of generation: whatever is still held back is text after all. */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  private release(text: string): TextStep {
    let stopAt = -1;
    for (const trigger of this.triggers) {
      const at = text.indexOf(trigger);
      if (at >= 0 && (stopAt < 0 || at < stopAt)) stopAt = at;
    }
    if (stopAt >= 0) {
      this.held = "";
      return { text: text.slice(0, stopAt), stopped: true };
    }
    const keep = this.possibleTriggerStart(text);
    this.held = text.slice(text.length - keep);
    return { text: text.slice(0, text.length - keep), stopped: false };
  }

  /** Length of the longest end of `text` that is the beginning of a trigger. */
  private possibleTriggerStart(text: string): number {
    let longest = 0;
    for (const trigger of this.triggers) {
      for (let n = Math.min(trigger.length - 1, text.length); n > longest; n--) {
        if (text.endsWith(trigger.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
