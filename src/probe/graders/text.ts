// Japanese text helpers shared by the rule graders: normalisation, sentence splitting and the
// small pieces of negation / framing grammar that decide whether a phrase is asserted.

const CIRCLED = /([\u2460-\u2473])/u; // ①–⑳

/**
 * NFKC (full-width digits, letters, slashes and punctuation become ASCII), except that circled
 * numbers stay circled: NFKC would turn ① into "1", and the reading test's choices are ①–④.
 * Also: typographic quotes → ASCII, markdown emphasis dropped, spaces next to Japanese removed.
 */
export function normalize(text: string): string {
  const parts = text.replace(/\r\n?/g, "\n").split(CIRCLED);
  let out = parts.map((part, i) => (i % 2 === 1 ? part : part.normalize("NFKC"))).join("");
  out = out
    .replace(/[“”„‟〝〞]/g, '"')
    .replace(/[‘’]/g, "'")
    .replace(/\*\*|__|`/g, "")
    .replace(/^#+ */gm, "")
    .replace(/[ \t\u00a0\u3000]+/g, " ");
  // 「かご を 探す」 reads as 「かごを探す」; spaces between Latin words stay.
  const jp = "[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}ー、。「」『』【】《》〜]";
  return out.replace(new RegExp(`(?<=${jp}) | (?=${jp})`, "gu"), "");
}

const OPEN = '「『(【《"';
const CLOSE = '」』)】》"';

/**
 * Splits on 。!? (and ". " in English) outside brackets, and always on line breaks, so that a
 * quoted 「…。」 stays inside the sentence that quotes it.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  let current = "";
  let depth = 0;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? "";
    if (c === "\n") {
      push();
      depth = 0;
      continue;
    }
    current += c;
    if (c === '"') depth = depth > 0 ? depth - 1 : depth + 1;
    else if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && /[。!?]/.test(c)) push();
    else if (depth === 0 && c === "." && /[A-Za-z)]/.test(chars[i - 1] ?? "") && /\s|$/.test(chars[i + 1] ?? "")) push();
  }
  push();
  return sentences;

  function push(): void {
    const s = current.trim();
    if (s) sentences.push(s);
    current = "";
  }
}

/** A sentence that asks rather than states (but 「～ではないでしょうか」 is a soft assertion). */
export function isQuestion(sentence: string): boolean {
  const s = sentence.replace(/[」』")\s]+$/, "");
  if (/(?:では|じゃ)ない(?:でしょう|だろう)?か[??。]?$/.test(s)) return false;
  return /[??]$|(?:でしょう|ます|です|べき|だろう)か。?$|かどうか/.test(s);
}

/** 「～ではないでしょうか」「～じゃないかな」: grammatically negative, meant as "probably ～". */
export const RHETORICAL = /^(?:では|じゃ)な(?:い|かろう)(?:でしょうか|だろうか|か[。?!]?$|かと|かな)/;

/** Right after a noun: 「ではなく」「でなく」「ではない」「ではありません」「じゃない」… */
export const NEGATED_COPULA = /^(?:では|でも|で|じゃ)(?:なく|な[いかけ]|ありません|ありませ|はな|はありません)/;

/** Right after a verb phrase: the verb is negated (「探さない」「探しません」「探すのではなく」). */
export function verbIsNegated(phrase: string): boolean {
  const p = phrase.replace(/(?:違いな|違いあり|間違いな|しかな|ほかな|ほかあり|かもしれ|の?(?:では|じゃ)ない(?:でしょう|だろう)?か)\S*/g, "");
  return /(?:ない|ず(?:に|、|$)|ません|なかっ|のではな|わけではな|ことはな|わけじゃな|はずがな|はずはな)/.test(p);
}

/** Someone else's (wrong) view or a rejection: 「箱を探すと思うかもしれませんが」「～と答えるのは誤り」. */
export const STRAW_MAN =
  /と(?:思|考|答え)(?:う|え|る)?(?:かもしれ|がち|る人|う人|られがち)|と(?:思|考え)われがち|と(?:誤解|勘違い)|(?:のは|ことは|というのは)(?:間違|誤|不正解)|は(?:誤り|間違い)|might think|mistaken/i;

/** Uncertainty about one's own answer. */
export const HEDGE =
  /かもしれ|可能性があ|可能性もあ|わかりません|分かりません|わからない|分からない|断定でき|どちらとも|\b(?:might|may|maybe|perhaps|possibly|either)\b/i;

/** Connectives at the head of a conclusion: 「よって、」「したがって、」… */
export const LEADING_CONNECTIVE =
  /^(?:よって|したがって|従って|つまり|なので|そのため|ゆえに|故に|以上から|以上より|以上のことから|結論として|結論から言うと|結論|答えとして|この文脈において|この文脈では|この場合|ですから|だから|はい|so|therefore|thus)[、,:\s]*/i;
