import { describe, expect, it } from "vitest";
import { gradeReading } from "../../src/probe/graders/reading.js";
import { PROMPTS, READING_SAMPLES } from "../fixtures/article-samples.js";

describe("reading grader: the article's samples", () => {
  it.each(READING_SAMPLES)("passes sample %#", (answer) => {
    expect(gradeReading(answer)).toEqual({ pass: true, reason: "①Alex を選んでいる" });
  });
});

const PASS: readonly string[] = [
  "①Alex",
  "①",
  "Alex",
  "正解は①です。",
  "正解は①",
  "「①Alex」",
  "正解は①Alexです。",
  "答え:①Alex",
  "Alexanderではなく①Alexです。",
  "正解は②Alexanderではなく①Alexです。",
  "Alexandraの愛称はAlexです。",
  "Alexandraの愛称は「Alex」である。Alexは男性の名Alexanderの愛称でもあります。",
  "①Alexが最も適切です。②Alexanderは男性の名前なので不適切です。",
  "①を選びます。",
  "(  )に入るのは①Alexです。",
  "本文には「Alexは男性にも女性にも使われる名前で、女性の名Alexandraの愛称であるが、男性の名Alexanderの愛称でもある。」とあります。したがって、Alexandraの愛称は①Alexです。",
  "②Alexanderが正しいと思うかもしれませんが、正解は①Alexです。",
  "選択肢1のAlexが正解です。",
  "The answer is ① Alex.",
  "①Alex(正解)",
  "Alexandraの愛称は①Alex、②Alexanderのどちらも考えられますが、①Alexが最も適切です。",
  "正解:①Alex\n\n解説:Alexは女性の名Alexandraの愛称であり、男性の名Alexanderの愛称でもあります。",
  "②Alexanderは男性の名前であり、Alexandraの愛称ではありません。正解は①Alexです。",
  "正解は ① Alex です。",
  "よって、①です。",
  "この文脈において、Alexandraの愛称は①Alexであり、③男性や④女性は名前ではなく性別を表すので当てはまりません。",
];

const FAIL: readonly [string, string][] = [
  ["②Alexander", "②Alexander を選んでいる"],
  ["正解は②です。", "②Alexander"],
  ["Alexandraの愛称はAlexanderです。", "愛称としている"],
  ["AlexanderはAlexandraの愛称です。", "愛称としている"],
  ["正解は④女性です。", "④女性"],
  ["③男性が最も適切です。", "③男性"],
  ["①Alexと②Alexanderの両方が当てはまります。", "複数"],
  ["正解は①と②です。", "複数"],
  ["①Alexまたは②Alexanderが適切です。", "複数"],
  ["答え:①Alex、②Alexander", "複数"],
  ["①Alexではなく②Alexanderです。", "②Alexander"],
  ["①Alexは適切ではありません。", "一つに決めて"],
  ["Alexは男性にも女性にも使われる名前です。", "一つに決めて"],
  ["わかりません。", "一つに決めて"],
  ["The answer is ② Alexander.", "②Alexander"],
];

describe("reading grader: hard cases", () => {
  it.each(PASS)("passes %s", (answer) => {
    expect(gradeReading(answer)).toMatchObject({ pass: true });
  });
  it.each(FAIL)("fails %s", (answer, why) => {
    const verdict = gradeReading(answer);
    expect(verdict.pass).toBe(false);
    expect(verdict.reason).toContain(why);
  });
  it("does not take the restated question or its choices as an answer", () => {
    expect(gradeReading(PROMPTS.reading).pass).toBe(false);
    expect(gradeReading(`${PROMPTS.reading}\n\n正解は①Alexです。`).pass).toBe(true);
  });
});
