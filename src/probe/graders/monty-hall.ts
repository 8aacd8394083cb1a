// モンティ・ホール問題: pass only when the answer recommends switching AND says why with the right
// numbers — staying wins 1/3, switching 2/3. The article counts a bare "switch" with wrong or missing
// reasoning as wrong (its sample 3), and so does this grader.

import type { Verdict } from "../types.js";
import { findProbabilities, type ProbabilityMention } from "./probability.js";
import { isQuestion, normalize, splitSentences } from "./text.js";

const STEM = "(?:変え|変更し|変更す|切り替え|切りかえ|乗り換え|乗りかえ|選び直|選びなお|選択し直|選択しなお|取り替え|交換し|交換す)";

const SWITCH = [
  new RegExp(`${STEM}[るす]?べき(?!では|でな|じゃ|か|でしょうか)`),
  new RegExp(`${STEM}[たる]?(?:ほう|方)が(?:よい|良い|いい|有利|得|賢明|確実|高)`),
  new RegExp(`${STEM}[るす]?ことを(?:お)?(?:勧め|すすめ|薦め|推奨)`),
  // 「変えることで、金貨を得る確率が1/3から2/3に上がります」 recommends without saying べき.
  new RegExp(
    `${STEM}(?:る|す|れば|た場合|たほうが)?(?:ことで|ことにより|と)?、?[^。]{0,20}?(?:より確実|有利|確率が[^。]{0,12}?(?:上が|高ま|高く|増え|2倍)|可能性が[^。]{0,8}?(?:上が|高ま|高く))`,
  ),
  new RegExp(`${STEM}(?:ましょう|てください|るのが(?:よい|良い|いい|正解|得策|賢明|有利))`),
  /\b(?:should|must)(?!n't)\s+(?:(?!not\b)\w+\s+){0,2}?(?:switch|change)\b/i,
  /\b(?:better to|recommend(?:ed)?(?: that you)?|advisable to)\s+(?:\w+\s+){0,1}?(?:switch|change)\b/i,
  /\bswitch(?:ing)? (?:is better|gives|doubles|wins)\b/i,
];

const STAY = [
  new RegExp(`${STEM}[るす]?べき(?:では(?:ない|ありません)|でない|じゃない)`),
  /(?:変え|変更し|切り替え|乗り換え|選び直さ)(?:ない|ず)(?:ほう|方)が(?:よい|良い|いい|有利|得)|(?:変え|変更し)ないべき/,
  new RegExp(`${STEM}[るす]?(?:必要|メリット|意味|利点|理由)(?:は|が)(?:ない|ありません|なく)`),
  // …but 「変えなくても確率は1/3のまま変わりません」 states a number, not a recommendation.
  new RegExp(`${STEM}(?:ても|なくても)、?[^。\\d分]{0,12}?(?:同じ|変わらない|変わりません|上がらない|上がりません|意味がない|意味はない|意味がありません)`),
  /(?:変えても変えなくても|どちらを選んでも|どちらでも|どちらの箱を選んでも)、?(?:確率は)?(?:同じ|変わらない|変わりません|構わない|よい|いい)/,
  /\b(?:should not|shouldn't|no need to|don't|do not|never)\s+(?:\w+\s+)?(?:switch|change)\b/i,
  /\b(?:doesn't|does not) matter\b|\bno advantage\b/i,
];

/** Someone else's view, or the intuition the answer goes on to refute. */
const FRAMED = /思うかもしれ|思いがち|考えがち|直感|一見|多くの人|と思われ|誤解|勘違い|錯覚|ように(?:思え|見え|感じ)|might think|seems?\b|intuiti/i;

// What a probability is about: the first pick (stay) or the other box (switch). Stay wins overlaps:
// 「変えない」 contains 「変え」.
const STAY_WORDS =
  /(?:変え|変更し|切り替え|乗り換え|選び直さ)(?:ない|なく|ず|なけれ|なかっ)|選択しなおさ|そのまま|(?:最初|初め|はじめ|一度)(?:に|の)?(?:選んだ|選択した)|選んだ箱|選択した箱|(?:最初|元|もと)の(?:箱|選択)|維持|\bstay|\bstick|\bkeep|\boriginal/gi;
const SWITCH_WORDS =
  /変え|変更|切り替え|切りかえ|乗り換え|乗りかえ|選び直|選びなお|選択し直|選択しなお|残り|残った|残る|もう(?:一|1)つの箱|(?:他|ほか|別)の箱|選ば(?:なかった|れていない|ない)|選んでいない|\bswitch|\bother (?:box|door)/gi;
/** 「変えない場合に外れる確率は2/3」: the probability of losing, which favours the other side. */
const LOSING = /外れ|はずれ|ハズレ|空(?:の箱|っぽ|箱|だ|で|を)|失敗|負け|\blos[et]|\bempty\b|\bgoat|\bwrong\b/i;
/** The host choosing between two empty boxes at random is a genuine 1/2. */
const HOST_PROBABILITY =
  /(?:開ける|開く|開けられる|取り除く|見せる)(?:確率|か)|(?:どちら|どれ)を(?:開け|取り除)|\b(?:opens?|reveals?)\b|ランダム|無作為|適当に|でたらめ|コイン|\brandom|\bcoin/i;

type Side = "stay" | "switch" | undefined;

interface Keyword {
  readonly side: "stay" | "switch";
  readonly start: number;
  readonly end: number;
}

function keywords(sentence: string): Keyword[] {
  const stay = [...sentence.matchAll(STAY_WORDS)].map((m) => ({ side: "stay" as const, start: m.index, end: m.index + m[0].length }));
  const sw = [...sentence.matchAll(SWITCH_WORDS)]
    .map((m) => ({ side: "switch" as const, start: m.index, end: m.index + m[0].length }))
    .filter((k) => !stay.some((s) => k.start < s.end && k.end > s.start));
  return [...stay, ...sw].sort((a, b) => a.end - b.end);
}

function sideOf(sentence: string, p: ProbabilityMention, all: readonly ProbabilityMention[], words: readonly Keyword[]): Side {
  // 「1/3から2/3に上がる」: the first number is where it came from, not a claim about either side.
  const next = all.find((q) => q.start >= p.end);
  if (next && /^\s*(?:から|→|->|to\b)\s*$/i.test(sentence.slice(p.end, next.start))) return undefined;
  const before = words.filter((k) => k.end <= p.start).at(-1);
  if (!before) return undefined;
  // Only the words after the previous number qualify this one: 「外れる確率は2/3、当たる確率は1/3」.
  const previous = all.filter((q) => q.end <= p.start).at(-1);
  const between = sentence.slice(Math.max(before.end, previous?.end ?? 0), p.start);
  if (!LOSING.test(between)) return before.side;
  return before.side === "stay" ? "switch" : "stay";
}

const CLAUSE_BREAK = /(?<=が|けど|けれど|けれども)、|しかし、?|ところが、?|\bbut\b|\bhowever\b/gi;

function clauses(sentence: string): string[] {
  return sentence.split(CLAUSE_BREAK);
}

/** The clause of the sentence that holds position `index`. */
function clauseAt(sentence: string, index: number): string {
  let start = 0;
  for (const m of sentence.matchAll(CLAUSE_BREAK)) {
    if (m.index >= index) return sentence.slice(start, m.index);
    start = m.index + m[0].length;
  }
  return sentence.slice(start);
}

function recommendation(sentences: readonly string[]): "switch" | "stay" | "mixed" | "none" {
  let toSwitch = false;
  let toStay = false;
  for (const [i, sentence] of sentences.entries()) {
    if (isQuestion(sentence)) continue;
    // A bare 「はい。」/「いいえ。」 first answers 「変えるべきでしょうか」 itself.
    if (i === 0 && /^(?:はい|yes)[、,。.!]?$/i.test(sentence)) toSwitch = true;
    if (i === 0 && /^(?:いいえ|no)[、,。.!]?$/i.test(sentence)) toStay = true;
    for (const clause of clauses(sentence)) {
      if (FRAMED.test(clause)) continue;
      const stay = STAY.some((re) => re.test(clause));
      toStay ||= stay;
      toSwitch ||= !stay && SWITCH.some((re) => re.test(clause));
    }
  }
  return toSwitch && toStay ? "mixed" : toSwitch ? "switch" : toStay ? "stay" : "none";
}

export function gradeMontyHall(answer: string): Verdict {
  const sentences = splitSentences(normalize(answer));
  const recommended = recommendation(sentences);
  if (recommended === "stay") return { pass: false, reason: "選択を変えるべきではない(変えても同じ)としている" };
  if (recommended === "mixed") return { pass: false, reason: "選択を変えるべきかどうかの結論が一貫していない" };
  if (recommended === "none") return { pass: false, reason: "選択を変えるべきだと答えていない" };

  let stay13 = false;
  let switch23 = false;
  let half = false;
  let reversed = false;
  for (const sentence of sentences) {
    if (isQuestion(sentence)) continue;
    const all = findProbabilities(sentence);
    const words = keywords(sentence);
    for (const p of all) {
      const framed = FRAMED.test(clauseAt(sentence, p.start));
      const after = sentence.slice(p.end);
      if (p.value === "1/2") {
        const refuted = /^\s*(?:では|じゃ)(?:なく|ない|ありませ)|^\s*にはなら|^\s*ではあり/.test(after);
        const clause = clauseAt(sentence, p.start);
        // A formula (「1/2 × 1/3 = 1/6」) uses 1/2 without claiming it as the answer.
        half ||= !framed && !refuted && !HOST_PROBABILITY.test(clause) && !/誤り|間違|\bnot\b|[×÷*=]/i.test(clause);
        continue;
      }
      const side = framed ? undefined : sideOf(sentence, p, all, words);
      if (p.value === "1/3") {
        stay13 = true;
        reversed ||= side === "switch";
      } else {
        switch23 = true;
        reversed ||= side === "stay";
      }
    }
  }
  if (half) return { pass: false, reason: "切り替えを勧めているが、確率を 1/2 としている" };
  if (reversed) return { pass: false, reason: "切り替えを勧めているが、1/3 と 2/3 の対応が逆になっている" };
  if (!switch23) return { pass: false, reason: "切り替えを勧めているが 2/3 の確率が示されていない" };
  if (!stay13) return { pass: false, reason: "切り替えを勧め 2/3 を示しているが、変えない場合の 1/3 が示されていない" };
  return { pass: true, reason: "切り替えを勧め、変えない場合 1/3・変えた場合 2/3 と正しく説明している" };
}
