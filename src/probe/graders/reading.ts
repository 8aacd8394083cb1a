// 国語の問題: which choice fills 「Alexandraの愛称は(  )である。」? Correct: ①Alex.
// Finds the choices the answer puts forward as ITS answer (after 「正解は」「Alexandraの愛称は」, before
// 「が最も適切」「を選びます」, or standing alone), not every choice it mentions while explaining.

import type { Verdict } from "../types.js";
import { LEADING_CONNECTIVE, NEGATED_COPULA, STRAW_MAN, isQuestion, normalize, splitSentences } from "./text.js";

type Choice = 1 | 2 | 3 | 4;

interface Mention {
  readonly choices: Set<Choice>;
  readonly start: number;
  readonly end: number;
  /** Written as a number (①, 選択肢1, 1番) rather than as the choice's word. */
  readonly numbered: boolean;
}

type Role = "chosen" | "rejected" | "context" | "coordinated";

const LABEL: Record<Choice, string> = { 1: "①Alex", 2: "②Alexander", 3: "③男性", 4: "④女性" };

// Alexandra is the subject of the blank, never a choice.
const TOKEN =
  /([\u2460-\u2463])|(?:選択肢|option |choice )\s*([1-4])(?![0-9])|([1-4])番(?!目)|(Alexandra|アレクサンドラ)|(Alexander|アレクサンダー|アレキサンダー)|(Alex|アレックス)(?![a-z])|(男性)|(女性)/gi;

function findMentions(sentence: string): Mention[] {
  const mentions: Mention[] = [];
  for (const m of sentence.matchAll(TOKEN)) {
    const [, circled, optionNo, banNo, subject, alexander, alex, male, female] = m;
    if (subject) continue;
    const choice: Choice = circled
      ? ((circled.codePointAt(0)! - 0x245f) as Choice)
      : optionNo || banNo
        ? (Number(optionNo ?? banNo) as Choice)
        : alexander
          ? 2
          : alex
            ? 1
            : male
              ? 3
              : female
                ? 4
                : 1;
    const previous = mentions.at(-1);
    const numbered = Boolean(circled || optionNo || banNo);
    const gap = previous ? sentence.slice(previous.end, m.index) : "";
    // 「①Alex」「① Alex」「①の「Alex」」 are one mention of a choice (two choices if they disagree).
    if (previous?.numbered && !numbered && previous.choices.size === 1 && /^[\s「『"(:.の]*$/.test(gap)) {
      mentions[mentions.length - 1] = { ...previous, choices: new Set([...previous.choices, choice]), end: m.index + m[0].length };
    } else {
      mentions.push({ choices: new Set([choice]), start: m.index, end: m.index + m[0].length, numbered });
    }
  }
  return mentions;
}

const CLOSE = /^[」』")\s]*/;
const COORDINATOR = /^[」』")\s]*(と|や|、|,|・|\/|または|もしくは|あるいは|か|および|及び|and|or)[\s「『"(]*$/i;
const CHOSEN_AFTER =
  /^[((:]?(?:の?(?:両方|どちらも|いずれも|二つ|2つ))?(?:が|は|こそ|も)?(?:最も|もっとも|一番|いちばん)?(?:適切|正解|正しい|正しく|当てはま|あてはま|入り|入る|該当|ふさわしい|答え)/;
const NOT_CHOSEN_AFTER =
  /^(?:が|は)?(?:最も|もっとも)?(?:適切|正解|正し|当てはま|あてはま|ふさわし|該当)[^。、]{0,4}?(?:ではな|ではあり|でな|くな|くあり|らな|りませ|しな|しませ)/;
const PICKED_AFTER = /^を(?:選|選択|回答|答え)(?!ば|ませ)/;
const NICKNAME_AFTER = /^(?:は|が|こそ)[、「]?(?:女性の名前?)?「?Alexandra」?の愛称(?!でもあ)/;
const REJECTED_AFTER = /^(?:は|が)[^。]{0,30}?(?:誤り|間違|不正解|不適切|違います|違う|当てはまりません|当てはまらない)/;
const MARKER_BEFORE =
  /(?:正解|答え|解答|回答|正しい(?:選択肢|答え|もの|の)|適切な(?:選択肢|もの|答え|の)|適切なのは|(?:当て|あて)はまる(?:もの|選択肢|語|言葉|の)|入る(?:もの|語|言葉|の)|Alexandraの愛称|愛称|空欄|括弧|\(\s*\)|answer|correct (?:choice|option)|nickname (?:of|for) Alexandra)(?:は|には|に入るのは|:|=|としては|として|→|is)?[\s、,「『"(]*(?:選択肢)?[\s「『"(]*$/i;
const RUN_END = /^(?:の?(?:両方|どちらも|いずれも|二つ|2つ))?(?:です|である|だ|となります|になります|でしょう)?[。.!、]?$/;
const COPULA_END = /^(?:です|だ|である|でしょう|となります|になります)?[。.!]?$/;

function roleOf(sentence: string, m: Mention, next: Mention | undefined, prefix: string, alone: boolean): Role {
  const rawTail = sentence.slice(m.end, next?.start ?? sentence.length);
  if (next && COORDINATOR.test(rawTail)) return "coordinated";
  const tail = rawTail.replace(CLOSE, "");
  if (NEGATED_COPULA.test(tail) && !/^では?ない(?:でしょう|だろう)?か/.test(tail)) return "rejected";
  if (STRAW_MAN.test(tail)) return "context";
  if (NOT_CHOSEN_AFTER.test(tail)) return "rejected";
  if (CHOSEN_AFTER.test(tail) || PICKED_AFTER.test(tail) || NICKNAME_AFTER.test(tail)) return "chosen";
  if (REJECTED_AFTER.test(tail)) return "rejected";
  if (MARKER_BEFORE.test(prefix)) return "chosen";
  if (!next && alone && COPULA_END.test(tail)) {
    // 「①Alexです。」「よって①です。」: the whole sentence is the answer unless it has its own topic.
    const bare = prefix.replace(LEADING_CONNECTIVE, "").replace(/[\s、,:「『"(]/g, "");
    if (!/[はが]/.test(bare)) return "chosen";
  }
  return "context";
}

function chosenIn(sentence: string): { chosen: Set<Choice>; nickname: boolean } {
  const mentions = findMentions(sentence);
  const chosen = new Set<Choice>();
  let nickname = false;
  const roles: Role[] = [];
  for (const [i, m] of mentions.entries()) {
    // 「②Alexanderではなく①Alexです」: a rejected mention right before does not count as a topic.
    let first = i;
    for (let k = i - 1; k >= 0 && roles[k] === "rejected"; k--) {
      const gap = sentence.slice(mentions[k]!.end, mentions[k + 1]!.start).replace(CLOSE, "");
      if (!/^(?:では|で|じゃ)なく(?:て)?[、,]?\s*[「『"(]*$/.test(gap)) break;
      first = k;
    }
    roles.push(roleOf(sentence, m, mentions[i + 1], sentence.slice(0, mentions[first]!.start), first === 0));
  }
  // A run of coordinated mentions (「①と②」) shares the role of its first or last member.
  for (let i = 0; i < mentions.length;) {
    let j = i;
    while (roles[j] === "coordinated") j++;
    const run = mentions.slice(i, j + 1);
    // 「正解は①と②です」 lists both as the answer; 「…は①、②のどちらも考えられますが」 only weighs them.
    const marked = MARKER_BEFORE.test(sentence.slice(0, mentions[i]!.start));
    const runEnd = sentence.slice(mentions[j]!.end, mentions[j + 1]?.start ?? sentence.length).replace(CLOSE, "");
    const runChosen = roles[j] === "chosen" || (j > i && marked && RUN_END.test(runEnd));
    if (runChosen) {
      for (const m of run) for (const c of m.choices) chosen.add(c);
      nickname ||= /Alexandra」?の愛称/.test(sentence);
    }
    i = j + 1;
  }
  return { chosen, nickname };
}

export function gradeReading(answer: string): Verdict {
  const chosen = new Set<Choice>();
  let nickname = false;
  for (const sentence of splitSentences(normalize(answer))) {
    if (isQuestion(sentence)) continue;
    const found = chosenIn(sentence);
    for (const c of found.chosen) chosen.add(c);
    nickname ||= found.nickname;
  }
  const list = [...chosen].sort().map((c) => LABEL[c]);
  if (chosen.size === 0) return { pass: false, reason: "選択肢を一つに決めて答えていない" };
  if (chosen.size > 1) return { pass: false, reason: `複数の選択肢(${list.join("、")})を答えとして挙げている` };
  if (chosen.has(1)) return { pass: true, reason: "①Alex を選んでいる" };
  if (chosen.has(2) && nickname) return { pass: false, reason: "Alexander を Alexandra の愛称としている(正解は①Alex)" };
  return { pass: false, reason: `${list[0]} を選んでいる(正解は①Alex)` };
}
