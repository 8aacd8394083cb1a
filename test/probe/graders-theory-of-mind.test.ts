import { describe, expect, it } from "vitest";
import { gradeTheoryOfMind } from "../../src/probe/graders/theory-of-mind.js";
import { THEORY_OF_MIND_SAMPLES } from "../fixtures/article-samples.js";

describe("theory-of-mind grader: the article's samples", () => {
  it.each(THEORY_OF_MIND_SAMPLES)("passes sample %#", (answer) => {
    const verdict = gradeTheoryOfMind(answer);
    expect(verdict).toEqual({ pass: true, reason: "最初に探す場所として『かご』と答えている" });
  });
});

const PASS: readonly string[] = [
  "箱ではなく、かごを探します。",
  "サリーは箱ではなくかごを探します。",
  "ボールは箱の中にありますが、サリーはかごを探します。",
  "サリーはアンがボールを箱に移したことを知らないので、最初にかごを探します。",
  "サリーは、ボールがまだかごの中にあると思っているため、かごの中を探すでしょう。",
  "最初に探すのは、自分がボールを入れたかごです。",
  "答え:かご",
  "かご",
  "正解は「かご」です。",
  "サリーは箱を探しません。かごを探します。",
  "サリーは最初にかごを探し、見つからないので次に箱を探します。",
  "サリーはかごを探します。その後、箱を探すかもしれません。",
  "サリーは箱を探すと思うかもしれませんが、実際にはかごを探します。",
  "サリーが最初に探すのは、元の場所、つまりかごです。",
  "サリーはボールを入れた場所、つまり籠の中を最初に探します。",
  "サリーは「かご」を探します。なぜなら、アンがボールを別の箱に移したことをサリーは見ていないからです。",
  "サリーは、かごではないでしょうか。",
  "サリーはかごを探すのではないでしょうか。",
  "サリーは**バスケット**を最初に探します。",
  "サリーが探すのはかごです。実際にボールがある場所は箱です。",
  "最初は、かごです。",
  "サリーはかごを探します。もしアンがボールを移すところを見ていたら、箱を探したでしょう。",
  "サリーは、アンがボールを移したことを知っていれば箱を探しますが、知らないのでかごを探します。",
  "サリーは カゴ を 探します。",
  "Sally will look in the basket first, because she did not see Anne move the ball to the box.",
  "She looks in the basket, not the box.",
  "サリーは、アンがボールをかごから箱に移したことを知りません。したがって、サリーは最初にかごを探します。",
  "サリーはボールを取り出そうとして、まずかごの中を探すと考えられます。実際にはボールは箱の中にあるため、かごの中には見つかりません。",
];

const FAIL: readonly [string, string][] = [
  ["かごではなく箱を探します。", "箱"],
  ["サリーはかごを探すのではなく、箱を探します。", "箱"],
  ["サリーはボールが箱にあることを知っているので、箱を探します。", "箱"],
  ["サリーは最初に箱の中を探します。", "箱"],
  ["サリーはかごと箱を探します。", "両方"],
  ["かごと箱を探す", "両方"],
  ["サリーはかごと箱の両方を探すでしょう。", "両方"],
  ["サリーはかごか箱のどちらかを探します。", "断定"],
  ["サリーはかごを探すかもしれません。", "断定"],
  ["サリーはかごを探すかもしれないし、箱を探すかもしれません。", "断定"],
  ["サリーはまず箱を探し、次にかごを探します。", "箱"],
  ["サリーはかごを探さず、箱を探します。", "箱"],
  ["サリーはかごは探しません。", "答えていない"],
  ["サリーが最初に探すのは箱です。かごではありません。", "箱"],
  ["ボールはかごの中にはありません。", "答えていない"],
  ["サリーは部屋の中を探します。", "答えていない"],
  ["わかりません。", "答えていない"],
  ["Sally will look in the box.", "箱"],
  ["Sally won't look in the basket; she will look in the box.", "箱"],
  ["サリーは、アンが移した場所を探します。", "箱"],
  ["サリーはかごを探すと答えるのは間違いで、箱を探します。", "箱"],
];

describe("theory-of-mind grader: hard cases", () => {
  it.each(PASS)("passes %s", (answer) => {
    expect(gradeTheoryOfMind(answer)).toMatchObject({ pass: true });
  });
  it.each(FAIL)("fails %s", (answer, why) => {
    const verdict = gradeTheoryOfMind(answer);
    expect(verdict.pass).toBe(false);
    expect(verdict.reason).toContain(why);
  });
  it("gives a one-line reason", () => {
    for (const answer of [...PASS, ...FAIL.map(([a]) => a)]) expect(gradeTheoryOfMind(answer).reason).not.toContain("\n");
  });
});
