// 心のモデル (Sally–Anne): where does Sally look first? Correct: the basket (かご).
// Reads each mention of a place and asks what it is the object of: the search verb that follows it
// (「かごを探します」), a negation (「箱ではなく」「かごは探しません」), a copula in an answer sentence
// (「最初に探すのはかごです」), or something else (「ボールは箱の中にあります」 — context, not the answer).

import type { Verdict } from "../types.js";
import { HEDGE, LEADING_CONNECTIVE, NEGATED_COPULA, RHETORICAL, STRAW_MAN, isQuestion, normalize, splitSentences, verbIsNegated } from "./text.js";

type Place = "basket" | "box";

interface Mention {
  readonly place: Place;
  readonly start: number;
  readonly end: number;
  readonly latin: boolean;
}

type Role = { kind: "target"; hedged: boolean } | { kind: "other" } | { kind: "coordinated"; hedged: boolean };

// Longer descriptions first, so that 「自分が入れた場所」 is one mention of the basket.
const PLACES: readonly [RegExp, Place][] = [
  [
    /(?:(?:自分|サリー)が)?(?:ボールを)?(?:最初に|初めに|はじめに)?(?:入れた|入れておいた|置いた|しまった)(?:場所|ところ|所|入れ物)|(?:元|もと)の(?:場所|ところ|位置|入れ物)/gu,
    "basket",
  ],
  [/(?:アンが)?(?:ボールを)?(?:移した|移された|移動した|隠した)(?:場所|ところ|先)|(?:別|新た|新しい)の?(?:場所|ところ)/gu, "box"],
  [/かご|籠|篭|カゴ|バスケット|\bbaskets?\b/giu, "basket"],
  [/箱|ボックス|\bbox(?:es)?\b/giu, "box"],
];

function findMentions(sentence: string): Mention[] {
  const found: Mention[] = [];
  for (const [re, place] of PLACES) {
    for (const m of sentence.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (found.some((f) => start < f.end && end > f.start)) continue;
      found.push({ place, start, end, latin: /^[a-z]/i.test(m[0]) });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

const FILLER = /^[」』")]*(?:の(?:中|なか|内側|内部|中身|方|ほう|所|ところ|底))?[」』")]*/;
const GROUP = /^(?:の)?(?:両方|二つ|2つ|どちらも|どちらか|いずれか|いずれも)/;
const COORDINATOR =
  /^[」』")]*(?:の(?:中|なか))?(と|や|か|、|,|・|\/|→|または|もしくは|あるいは|および|及び| and(?: the| in the)? | or(?: the| in the)? )[「『"(]*$/;
const SEARCH = /探|捜|さが[しすそさせ]|見(?![つえせ])|み(?:る|ます|に行)|のぞ|覗|確認|調べ|チェック|開け|取り出そう|手を伸ば|向か/;
const STOP =
  /ので|のに|ため|から、|けれど|けど|が、|ますが|ですが|ても|(?<!を)ある|あり|あっ|入れ|入っ|入ら|移|置|隠|しまっ|知ら|知っ|思っ|信じ|気づ|気付|戻|出て|出る|ない|ません/;
const COPULA_END = /^(?:です|だ|である|でしょう|でした|と(?:思われ|考えられ)ます)?[。.!]?$/;
// 「最初に探すのはかごです」 answers; 「ボールがある場所は箱です」 does not.
const ANSWER_WORD = /探|捜|答|正解|向か|行く場所|見る場所|first|answer|look/i;

/** What this mention is, given the text up to the next mention. */
function roleOf(sentence: string, m: Mention, next: Mention | undefined): Role {
  const tailRaw = sentence.slice(m.end, next?.start ?? sentence.length);
  if (next) {
    const c = COORDINATOR.exec(tailRaw);
    if (c) return { kind: "coordinated", hedged: /^\s*(?:か|または|もしくは|あるいは|or\b)/.test(c[1] ?? "") };
  }
  if (m.latin) return englishRole(sentence.slice(0, m.start), tailRaw);
  let tail = tailRaw.replace(FILLER, "");
  const group = GROUP.exec(tail);
  tail = tail.slice(group?.[0].length ?? 0);
  const groupHedge = group ? /どちらか|いずれか/.test(group[0]) : false;
  if (RHETORICAL.test(tail)) return { kind: "target", hedged: groupHedge };
  if (NEGATED_COPULA.test(tail)) return { kind: "other" };
  const prefix = sentence.slice(0, m.start);
  if (!next && COPULA_END.test(tail)) {
    const bare =
      prefix
        .replace(LEADING_CONNECTIVE, "")
        .replace(/^(?:まず|最初は|最初に|はじめに|初めに)/, "")
        .replace(/[、,:\s「『"(]/g, "") === "";
    return bare || ANSWER_WORD.test(prefix) ? { kind: "target", hedged: groupHedge } : { kind: "other" };
  }
  const search = SEARCH.exec(tail);
  const stop = STOP.exec(tail);
  if (!search || (stop && stop.index < search.index)) return { kind: "other" };
  const verb = tail.slice(search.index);
  const phrase = verb.split(/[、。,!?\n]|(?<=[ますたる])(?:が|けど|ので|から)/)[0] ?? verb;
  if (verbIsNegated(phrase) || STRAW_MAN.test(verb)) return { kind: "other" };
  return { kind: "target", hedged: groupHedge || HEDGE.test(verb) };
}

/** English answers: the verb comes before the place. */
function englishRole(prefix: string, tail: string): Role {
  const segment = prefix.split(/\bbut\b|[,;]|\bbecause\b|\bsince\b|\bwhile\b|\balthough\b/i).pop() ?? "";
  if (/\b(?:not|never|instead of|rather than)\b|n't\b/i.test(segment)) return { kind: "other" };
  if (/^\s*,?\s*(?:not|rather)\b/i.test(tail) && !/\b(?:look|search|check)/i.test(segment)) return { kind: "other" };
  const hedged = /\b(?:might|may|could|perhaps|maybe|either)\b/i.test(segment);
  if (/\b(?:look|looks|looking|search|searches|searching|check|checks|go|goes|head|heads|reach|reaches)\b/i.test(segment)) return { kind: "target", hedged };
  if (/(?:answer|first)\s*(?:is|:)?\s*(?:in\s+)?(?:the\s+)?$/i.test(segment) || /^\s*(?:the\s+)?$/i.test(segment)) return { kind: "target", hedged };
  return { kind: "other" };
}

// Anything after these is what Sally does once the first search fails.
const LATER =
  /その後|そのあと|次に|つぎに|それから|続いて|二番目|2番目|見つからな|見つからず|見つけられな|なかったら|なければ|無ければ|ない場合|なかった場合|後で|あとで|\bthen\b|\bnext\b|after that|afterwards|if (?:it'?s )?not/i;
const FIRST = /最初|まず|初めに|はじめに|真っ先|一番に|いちばんに|\bfirst\b/i;
const HYPOTHETICAL = /^\s*(?:もし|仮に)|(?:知って|見て|気づいて)(?:いれば|いたら|いたなら)|^\s*(?:if|had)\b/i;
const ORDERED = /^の?順(?:に|で|番)/;

interface Claim {
  readonly places: Set<Place>;
  readonly hedged: boolean;
  readonly first: boolean;
}

function claimsOf(clause: string, first: boolean): Claim {
  const mentions = findMentions(clause);
  const roles = mentions.map((m, i) => roleOf(clause, m, mentions[i + 1]));
  const places = new Set<Place>();
  let hedged = false;
  // A run of coordinated mentions (「かごと箱」「かごか箱」) takes the role of its last member.
  for (let i = 0; i < mentions.length;) {
    let j = i;
    let orHedge = false;
    for (let r = roles[j]; r?.kind === "coordinated"; r = roles[++j]) orHedge ||= r.hedged;
    const last = roles[j];
    if (last?.kind === "target") {
      // 「かご、箱の順に探す」: only the first of an ordered list is searched first.
      const ordered = ORDERED.test(clause.slice(mentions[j]!.end).replace(FILLER, ""));
      for (const m of ordered ? mentions.slice(i, i + 1) : mentions.slice(i, j + 1)) places.add(m.place);
      hedged ||= last.hedged || (orHedge && !ordered);
    }
    i = j + 1;
  }
  return { places, hedged, first };
}

const NAME: Record<Place, string> = { basket: "かご", box: "箱" };

export function gradeTheoryOfMind(answer: string): Verdict {
  const claims: Claim[] = [];
  for (const sentence of splitSentences(normalize(answer))) {
    if (isQuestion(sentence)) continue;
    const later = LATER.exec(sentence);
    const clause = later ? sentence.slice(0, later.index) : sentence;
    // 「知っていれば箱を探すでしょう」 is what she would do, not what she does.
    for (const part of clause.split(/(?<=が|けど|けれど|けれども)、|しかし、?|\bbut\b/)) {
      if (!HYPOTHETICAL.test(part)) claims.push(claimsOf(part, FIRST.test(clause)));
    }
  }
  const withPlaces = claims.filter((c) => c.places.size > 0);
  const firstOnes = withPlaces.filter((c) => c.first);
  const chosen = firstOnes.length > 0 ? firstOnes : withPlaces;
  const places = new Set(chosen.flatMap((c) => [...c.places]));
  if (places.size === 0) return { pass: false, reason: "最初に探す場所(かご/箱)を答えていない" };
  const hedged = chosen.some((c) => c.hedged);
  if (places.size > 1) {
    return { pass: false, reason: hedged ? "最初に探す場所をかごか箱か断定していない" : "最初に探す場所としてかごと箱の両方を挙げている" };
  }
  const place = [...places][0]!;
  if (hedged) return { pass: false, reason: `最初に探す場所を『${NAME[place]}』と断定していない` };
  return place === "basket"
    ? { pass: true, reason: "最初に探す場所として『かご』と答えている" }
    : { pass: false, reason: "最初に探す場所として『箱』と答えている(正解はかご)" };
}
