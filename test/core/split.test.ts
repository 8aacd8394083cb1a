import { describe, expect, it } from "vitest";
import { StreamingSplitter, fits, splitMessage, splitMessageParts, utf8Length, type SplitPart } from "../../src/core/split.js";
import type { MessageLimits } from "../../src/core/types.js";

/** Small deterministic PRNG so a failing case can be replayed from its seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const WORDS = ["日本", "の", "首都", "は", "東京", "です", "サリー", "かご", "箱", "hello", "world", "x", "😀", "𠮷野家", "é", "カタカナ", "ﾊﾝｶｸ"];
const PUNCT = ["。", "！", "？", "、", ". ", "! ", "? ", " ", "　", "」", "（補足）", "3.14", "http://a.b/?q=1"];
const LANGS = ["", "python", "ts", "日本語"];

/** Random answer-like text: paragraphs, lists, code fences with languages, emoji, long runs. */
function randomText(r: ReturnType<typeof rng>): string {
  let out = "";
  const blocks = 1 + r.int(12);
  for (let b = 0; b < blocks; b++) {
    const kind = r.int(10);
    if (kind < 2) {
      // Fences start a line, as the model writes them.
      if (out !== "" && !out.endsWith("\n")) out += "\n";
      const lang = r.pick(LANGS);
      const lines = 1 + r.int(30);
      out += "```" + lang + "\n";
      for (let l = 0; l < lines; l++) out += "  ".repeat(r.int(3)) + "x = " + r.pick(WORDS).repeat(1 + r.int(20)) + "\n";
      // The last block is sometimes unclosed (a stream cut short).
      out += b < blocks - 1 || r.next() < 0.8 ? "```\n" : "";
    } else if (kind < 3) {
      out += r.pick(WORDS).repeat(50 + r.int(400)); // no break opportunity at all
    } else {
      const sentences = 1 + r.int(15);
      for (let s = 0; s < sentences; s++) {
        const words = 1 + r.int(25);
        for (let w = 0; w < words; w++) out += r.pick(WORDS) + (r.next() < 0.1 ? r.pick(PUNCT) : "");
        out += r.pick(["。", "！", "？", ". ", "\n", "。\n", "」"]);
      }
    }
    out += r.pick(["\n\n", "\n", "\n\n\n", "", " "]);
  }
  return out;
}

/** Checks every invariant of a split; returns the parts for further checks. */
function checkParts(input: string, parts: readonly SplitPart[], limits: MessageLimits): void {
  expect(parts.length).toBeGreaterThan(0);
  expect(parts[0]!.start).toBe(0);
  expect(parts.at(-1)!.end).toBe(input.length);
  let joined = "";
  let fenceOpen: string | null = null; // language of the block open at a cut, as the next part must reopen it
  for (const [i, part] of parts.entries()) {
    expect(fits(part.text, limits), `part ${i} over limits: ${part.text.length} chars, ${utf8Length(part.text)} bytes`).toBe(true);
    expect(part.text).toBe(part.opener + input.slice(part.start, part.end) + part.closer);
    if (i > 0) expect(part.start).toBe(parts[i - 1]!.end);
    joined += input.slice(part.start, part.end);
    // Never between the halves of a surrogate pair.
    const before = input.charCodeAt(part.start - 1);
    const after = input.charCodeAt(part.start);
    expect(before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff).toBe(false);
    // A reopened block carries the language of the block that was cut.
    if (fenceOpen !== null) expect(part.opener).toBe("```" + fenceOpen + "\n");
    else expect(part.opener).toBe("");
    const last = i === parts.length - 1;
    if (!last) {
      // Fences balanced within every non-final part: it renders on its own.
      expect(fenceLines(part.text) % 2, `unbalanced fences in part ${i}:\n${part.text}`).toBe(0);
      expect(part.text.trim()).not.toBe("");
    }
    fenceOpen = part.closer !== "" ? langOpenAt(input, part.end) : null;
  }
  expect(joined).toBe(input);
  if (input.trim() !== "") expect(parts.at(-1)!.text.trim()).not.toBe("");
}

function fenceLines(text: string): number {
  return text.split("\n").filter((line) => /^ {0,3}```/.test(line)).length;
}

/** Language of the fence open at offset `at`, from the complete lines before it (the test's own scanner). */
function langOpenAt(text: string, at: number): string | null {
  let open: string | null = null;
  let pos = 0;
  for (const line of text.split("\n")) {
    const lineEnd = pos + line.length + 1;
    if (lineEnd > at) break;
    const m = /^ {0,3}```(.*)$/.exec(line);
    if (m) open = open === null ? m[1]!.trim() : null;
    pos = lineEnd;
  }
  return open;
}

/** Random texts per property test; SPLIT_SEEDS=20000 for a long local run. */
const SEEDS = Number(process.env.SPLIT_SEEDS ?? 400);

const LIMITS: MessageLimits[] = [{ maxChars: 2000 }, { maxChars: 3000, maxBytes: 3000 }, { maxChars: 120 }, { maxChars: 60, maxBytes: 90 }, { maxChars: 40 }];

describe("splitMessage", () => {
  it("keeps a short text whole", () => {
    expect(splitMessage("こんにちは。", { maxChars: 2000 })).toEqual(["こんにちは。"]);
    expect(splitMessage("", { maxChars: 2000 })).toEqual([""]);
  });

  it("prefers a blank line, then a newline, then a sentence end", () => {
    const para = "あ".repeat(30);
    expect(splitMessage(`${para}\n\n${para}\n${para}`, { maxChars: 62 })).toEqual([`${para}\n\n`, `${para}\n${para}`]);
    expect(splitMessage(`${para}。${para}\n${para}`, { maxChars: 70 })).toEqual([`${para}。${para}\n`, para]);
    // A newline too early (less than half the room used) loses to a later sentence end.
    expect(splitMessage(`${para}\n${para}。${para}`, { maxChars: 70 })).toEqual([`${para}\n${para}。`, para]);
    expect(splitMessage(`${para}。${para}`, { maxChars: 50 })).toEqual([`${para}。`, para]);
    // The closing bracket stays with its sentence.
    expect(splitMessage(`「${para}。」${para}`, { maxChars: 50 })).toEqual([`「${para}。」`, para]);
    // "3.14" is not a sentence end: falls back to the space.
    expect(splitMessage("pi is 3.14159 and more text here", { maxChars: 20 })[0]).toBe("pi is 3.14159 and ");
  });

  it("counts UTF-8 bytes where the platform limits bytes (Japanese is 3 bytes a character)", () => {
    const text = "日本語".repeat(1000); // 3,000 characters, 9,000 bytes
    const parts = splitMessage(text, { maxChars: 3000, maxBytes: 3000 });
    for (const p of parts) expect(utf8Length(p)).toBeLessThanOrEqual(3000);
    expect(parts.join("")).toBe(text);
    expect(parts.length).toBe(3);
  });

  it("never cuts a surrogate pair", () => {
    const text = "😀".repeat(100);
    const parts = splitMessage(text, { maxChars: 7 });
    for (const p of parts) expect(p).toMatch(/^(😀)+$/u);
    expect(parts.join("")).toBe(text);
  });

  it("closes a cut code fence and reopens it with the same language", () => {
    const code = Array.from({ length: 20 }, (_, i) => `print(${i})`).join("\n");
    const text = `説明です。\n\n\`\`\`python\n${code}\n\`\`\`\n\n以上です。`;
    const parts = splitMessage(text, { maxChars: 100 });
    expect(parts.length).toBeGreaterThan(2);
    expect(parts[0]).toMatch(/```$/);
    expect(parts[1]!.startsWith("```python\n")).toBe(true);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(100);
    for (const p of parts.slice(0, -1)) expect(fenceLines(p) % 2).toBe(0);
  });

  it("holds every invariant over many random texts (property-style)", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = rng(seed);
      const text = randomText(r);
      const limits = LIMITS[seed % LIMITS.length]!;
      try {
        checkParts(text, splitMessageParts(text, limits), limits);
      } catch (error) {
        throw new Error(`seed ${seed}, limits ${JSON.stringify(limits)}: ${(error as Error).message}`);
      }
    }
  });
});

describe("StreamingSplitter", () => {
  it("never changes a final part as the text grows, and ends with nothing lost", () => {
    for (let seed = 1; seed <= SEEDS / 2; seed++) {
      const r = rng(seed * 7919);
      const text = randomText(r);
      const limits = LIMITS[seed % LIMITS.length]!;
      const splitter = new StreamingSplitter(limits);
      const finalSoFar: string[] = [];
      let at = 0;
      while (at < text.length) {
        at = Math.min(text.length, at + 1 + r.int(40));
        const { parts, finalCount } = splitter.update(text.slice(0, at));
        if (!parts.every((p) => fits(p, limits))) throw new Error(`seed ${seed}: a part over the limits`);
        // Earlier final parts are unchanged; new ones are appended. (Joined: a deep equal per update is slow.)
        expect(parts.slice(0, finalSoFar.length).join("\u0000")).toBe(finalSoFar.join("\u0000"));
        finalSoFar.push(...parts.slice(finalSoFar.length, finalCount));
        expect(finalCount).toBeGreaterThanOrEqual(finalSoFar.length);
      }
      const done = splitter.finish(text);
      expect(done.finalCount).toBe(done.parts.length);
      expect(done.parts.slice(0, finalSoFar.length)).toEqual(finalSoFar);
      expect(done.pieces.map((p) => p.text)).toEqual(done.parts);
      // Same invariants as a one-shot split, except that a whitespace-only tail may be dropped.
      const end = done.pieces.at(-1)!.end;
      expect(text.slice(end).trim()).toBe("");
      try {
        checkParts(text.slice(0, end), done.pieces, limits);
      } catch (error) {
        throw new Error(`seed ${seed}, limits ${JSON.stringify(limits)}: ${(error as Error).message}`);
      }
    }
  });

  it("fits the formatted part when the platform dialect lengthens text", () => {
    const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    const text = "A&B<C ".repeat(500);
    const splitter = new StreamingSplitter({ maxChars: 300 }, escape);
    const { parts } = splitter.finish(text);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(300);
    expect(parts.join("")).toBe(escape(text));
  });
});
