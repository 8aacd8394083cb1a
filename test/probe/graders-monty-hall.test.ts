import { describe, expect, it } from "vitest";
import { gradeMontyHall } from "../../src/probe/graders/monty-hall.js";
import { findProbabilities } from "../../src/probe/graders/probability.js";
import { normalize } from "../../src/probe/graders/text.js";
import { MONTY_HALL_GPT4_SAMPLE, MONTY_HALL_REFERENCE, MONTY_HALL_SAMPLES, PROMPTS } from "../fixtures/article-samples.js";

describe("monty-hall grader: the article's samples", () => {
  it("fails sample 1 (recommends not switching)", () => {
    expect(gradeMontyHall(MONTY_HALL_SAMPLES[0])).toEqual({ pass: false, reason: "選択を変えるべきではない(変えても同じ)としている" });
  });
  it("fails sample 2 (switches, but says 1/2)", () => {
    expect(gradeMontyHall(MONTY_HALL_SAMPLES[1])).toEqual({ pass: false, reason: "切り替えを勧めているが、確率を 1/2 としている" });
  });
  it("fails sample 3 (switches with wrong reasoning and no 2/3)", () => {
    expect(gradeMontyHall(MONTY_HALL_SAMPLES[2])).toEqual({ pass: false, reason: "切り替えを勧めているが 2/3 の確率が示されていない" });
  });
  it("passes the GPT-4 sample and the article's 正答例", () => {
    expect(gradeMontyHall(MONTY_HALL_GPT4_SAMPLE)).toMatchObject({ pass: true });
    expect(gradeMontyHall(MONTY_HALL_REFERENCE)).toMatchObject({ pass: true });
  });
});

describe("probability notations", () => {
  it.each([
    ["1/3", "1/3"],
    ["2/3", "2/3"],
    ["3分の1", "1/3"],
    ["3分の2", "2/3"],
    ["２／３", "2/3"],
    ["１/３", "1/3"],
    ["三分の二", "2/3"],
    ["三分の一", "1/3"],
    ["約33%", "1/3"],
    ["約67%", "2/3"],
    ["66.7%", "2/3"],
    ["33.3%", "1/3"],
    ["0.67", "2/3"],
    ["0.333", "1/3"],
    ["66.7パーセント", "2/3"],
    ["3回に2回", "2/3"],
    ["three: one third", "1/3"],
    ["two-thirds", "2/3"],
    ["1/2", "1/2"],
    ["2分の1", "1/2"],
    ["50%", "1/2"],
    ["五分五分", "1/2"],
    ["６６．７％", "2/3"],
  ])("reads %s as %s", (text, value) => {
    expect(findProbabilities(normalize(text)).map((p) => p.value)).toEqual([value]);
  });
  it("does not read other numbers", () => {
    expect(findProbabilities(normalize("100%確実に、3つの箱のうち1つ、2024/06/01、1/4"))).toEqual([]);
  });
});

const PASS: readonly string[] = [
  "選択を変えるべきです。変えない場合に金貨が手に入る確率は1/3ですが、変えた場合は2/3になります。",
  "はい、変えるべきです。最初に選んだ箱が当たりである確率は3分の1、残りの箱が当たりである確率は3分の2だからです。",
  "選択を変えた方が有利です。変えなければ当たる確率は約33%、変えれば約67%です。",
  "⑤で選択を変えるべきです。最初に選んだ箱に金貨が入っている確率は三分の一で、残りの一つの箱に入っている確率は三分の二になるからです。",
  "選択を変えることをお勧めします。変えた場合の当選確率は66.7%、変えない場合は33.3%です。",
  "変えるべきです。直感的には確率は1/2に思えますが、実際には変えない場合は1/3、変えた場合は2/3です。",
  "多くの人は確率が1/2だと考えがちですが、選択を変えると２／３、変えないと１／３なので、変えるべきです。",
  "確率は1/2ではありません。最初の選択のままだと1/3、変えると2/3です。したがって、選択を変えるべきです。",
  "選択を変えるべきです。最初に空の箱を選んでいる確率は2/3で、その場合は変えれば必ず当たります。最初に金貨の箱を選んでいる確率は1/3です。",
  "変えるべきです。選択を変えると、確率は1/3から2/3に上がります。",
  "変えるべきです。変えない場合に外れる確率は2/3、当たる確率は1/3です。変えれば当たる確率は0.67です。",
  "You should switch. Staying wins with probability 1/3, switching wins with probability 2/3.",
  "選択を**変えるべき**です。\n\n- 変えない場合:1/3\n- 変えた場合:2/3",
  "変えるべきです。あなたが金貨の箱を選んでいた場合、私が残りの二つのどちらを開けるかは1/2ですが、それでも変えない場合の確率は1/3、変える場合は2/3です。",
  "はい。\n最初に選んだ箱が当たる確率は1/3、残りの箱が当たる確率は2/3です。",
  "この問題は「モンティ・ホール問題」と呼ばれる有名な確率の問題です。\n\n結論から言うと、⑤で選択を変えるべきです。\n\n理由:\n1. 最初に箱を選んだとき、金貨が入っている確率は1/3です。\n2. 残りの2つの箱のどちらかに金貨が入っている確率は2/3です。\n3. 私が空の箱を1つ取り除いても、その2/3は選ばれていない残り1つの箱に集中します。",
  "変えるべきです。ベイズの定理より、P = (1/3 × 1) / (1/3 × 1/2 + 1/3 × 1) = 2/3 なので、変えない場合の1/3より高くなります。",
  "この問題はモンティ・ホール問題です。⑤で選択を変えることで、金貨を得る確率が1/3から2/3に上がります。",
  "選択を変えるべきです。選択を変えなくても確率は1/3のまま変わりませんが、変えれば2/3になります。",
  "結論:変えるべき。理由:最初の選択が正解である確率は1/3にすぎず、残りの箱の確率は2/3だから。",
];

const FAIL: readonly [string, string][] = [
  ["⑤で選択を変えるべきではありません。確率はどちらも1/2だからです。", "変えるべきではない"],
  ["変えるべきではない。最初の箱の確率は1/3のままで、残りの箱も1/3だからです。", "変えるべきではない"],
  ["変えても変えなくても、確率は同じです。", "変えるべきではない"],
  ["選択を変える必要はありません。", "変えるべきではない"],
  ["選択を変えるべきです。残り2つの箱のどちらかに金貨があるので、確率は1/2になります。", "1/2"],
  ["選択を変えるべきです。変えると確率が50%になるからです。", "1/2"],
  ["選択を変えるべきです。その方が有利だからです。", "2/3 の確率が示されていない"],
  ["変えた方がよいです。確率が上がるからです。", "2/3 の確率が示されていない"],
  ["選択を変えるべきです。変えると当たる確率は2/3になります。", "1/3 が示されていない"],
  ["選択を変えるべきです。変えない場合は2/3、変えた場合は1/3です。", "逆"],
  ["⑤で選択を変えるべきでしょうか。", "答えていない"],
  ["最初に選んだ箱が当たる確率は1/3、残りの箱は2/3です。", "答えていない"],
  ["変えるべきかどうかは、状況によります。", "答えていない"],
  ["You should not switch; both boxes have a 50% chance.", "変えるべきではない"],
  ["You should switch, because it is a fifty-fifty chance either way.", "1/2"],
  ["いいえ。どちらを選んでも確率は1/2です。", "変えるべきではない"],
  ["変えるべきです。最初の箱の確率は1/3ですが、残りの箱も1/3です。", "逆"],
  ["選択を変えるべきです。最初の選択が正しい確率は1/3です。空の箱が1つ取り除かれた後、残りの箱に金貨が入っている確率は1/2になります。", "1/2"],
  ["選択を変えても確率は上がりません。どちらも1/2です。", "変えるべきではない"],
  ["変えるべきです。しかし、変えなくても確率は同じです。", "一貫していない"],
];

describe("monty-hall grader: hard cases", () => {
  it.each(PASS)("passes %s", (answer) => {
    expect(gradeMontyHall(answer)).toMatchObject({ pass: true });
  });
  it.each(FAIL)("fails %s", (answer, why) => {
    const verdict = gradeMontyHall(answer);
    expect(verdict.pass).toBe(false);
    expect(verdict.reason).toContain(why);
  });
  it("does not read the restated question as a recommendation", () => {
    expect(gradeMontyHall(PROMPTS["monty-hall"]).pass).toBe(false);
  });
});
