import { describe, expect, it } from "vitest";
import { StopText } from "../../src/inference/stop-text.js";

// Tokens here are byte strings; the detokenizer decodes them as UTF-8 like a byte-level BPE does.
const bytes = (text: string) => [...Buffer.from(text, "utf8")].map((b) => String.fromCharCode(b));
const decode = (tokens: readonly string[]) => Buffer.from(tokens.map((t) => t.charCodeAt(0))).toString("utf8");

function feed(stream: StopText<string>, tokens: readonly string[]) {
  const shown: string[] = [];
  for (const token of tokens) {
    const step = stream.push(token);
    shown.push(step.text);
    if (step.stopped) return { shown, stopped: true };
  }
  return { shown, stopped: false };
}

describe("StopText", () => {
  it("holds a character split over tokens until it is whole", () => {
    const stream = new StopText<string>(decode, []);
    const { shown } = feed(stream, bytes("日本"));
    expect(shown).toEqual(["", "", "日", "", "", "本"]);
  });

  it("stops at a trigger written over several tokens, showing only the text before it", () => {
    const stream = new StopText<string>((t) => t.join(""), ["<|eot_id|>"]);
    const { shown, stopped } = feed(stream, ["答え", "です", "<|", "eot", "_id", "|>", "続き"]);
    expect(stopped).toBe(true);
    expect(shown.join("")).toBe("答えです");
    expect(stream.flush()).toBe("");
  });

  it("releases held text once it can no longer be a trigger, and at the end", () => {
    const stream = new StopText<string>((t) => t.join(""), ["<|eot_id|>"]);
    expect(stream.push("a<").text).toBe("a");
    expect(stream.push("|e").text).toBe("");
    expect(stream.push("x").text).toBe("<|ex");
    expect(stream.push("<|").text).toBe("");
    expect(stream.flush()).toBe("<|");
  });

  it("gives up holding after 4 tokens: a real U+FFFD in the text is shown", () => {
    const stream = new StopText<string>(() => "\uFFFD", []);
    const shown = ["a", "b", "c", "d"].map((t) => stream.push(t).text);
    expect(shown).toEqual(["", "", "", "\uFFFD"]);
  });
});
