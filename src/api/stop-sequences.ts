// OpenAI's `stop`: the answer ends before the first occurrence of any stop string, which is not
// part of it. Streamed text is held back while it could still be the start of a stop string, so a
// client never sees text that is later taken back.

export class StopSequences {
  #pending = "";
  #stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The text that may be shown now, given the next chunk; after a stop, always "". */
  push(chunk: string): string {
    if (this.#stopped) return "";
    if (this.stops.length === 0) return chunk;
    this.#pending += chunk;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.#pending.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#stopped = true;
      const out = this.#pending.slice(0, cut);
      this.#pending = "";
      return out;
    }
    // Keep the longest tail that is a prefix of some stop string.
    let keep = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.#pending.length); n > keep; n--) {
        if (this.#pending.endsWith(stop.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    const out = this.#pending.slice(0, this.#pending.length - keep);
    this.#pending = this.#pending.slice(this.#pending.length - keep);
    return out;
  }

  /** What was held back, at the end of a generation that did not stop. */
  flush(): string {
    const out = this.#stopped ? "" : this.#pending;
    this.#pending = "";
    return out;
  }
}
