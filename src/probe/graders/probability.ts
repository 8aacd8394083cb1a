// Probabilities written the ways an answer writes them: 1/3, 3分の1, 三分の一, 約33%, 33.3%, 0.33,
// 3回に1回, one third, 50%, 五分五分 … Input is normalize()d text (full-width already ASCII).

export type Fraction = "1/3" | "2/3" | "1/2";

export interface ProbabilityMention {
  readonly value: Fraction;
  readonly start: number;
  readonly end: number;
}

const KANJI: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };
const TARGETS: readonly [Fraction, number][] = [
  ["1/3", 1 / 3],
  ["2/3", 2 / 3],
  ["1/2", 1 / 2],
];

function kanji(s: string): number {
  return s.length === 2 && s.startsWith("十") ? 10 + (KANJI[s[1]!] ?? 0) : (KANJI[s] ?? Number.NaN);
}

function classify(value: number): Fraction | undefined {
  // 33%, 34%, 66%, 67%, 0.33 … all count: the answer rounds, the grader should not care.
  return TARGETS.find(([, v]) => Math.abs(value - v) <= 0.012)?.[0];
}

type Reader = readonly [RegExp, (m: RegExpMatchArray) => number | Fraction];

const READERS: readonly Reader[] = [
  [/50\s*[/:-]\s*50|fifty[- ]fifty|半々|五分五分|フィフティ・?フィフティ/gi, () => "1/2"],
  [/(?<![\d.])(\d+)\s*分\s*の\s*(\d+)/g, (m) => Number(m[2]) / Number(m[1])],
  [/([一二三四五六七八九十]{1,2})分の([一二三四五六七八九十]{1,2})/g, (m) => kanji(m[2]!) / kanji(m[1]!)],
  [/(?<![\d.])(\d+(?:\.\d+)?)\s*(?:%|パーセント|percent)/gi, (m) => Number(m[1]) / 100],
  [/(?<![\d./])(\d+)\s*\/\s*(\d+)(?![\d/])/g, (m) => Number(m[1]) / Number(m[2])],
  [/(?<![\d.])0\.(\d+)(?!\d)/g, (m) => Number(`0.${m[1]}`)],
  [/(\d+)\s*回\s*(?:に|中|のうち)\s*(\d+)\s*回/g, (m) => Number(m[2]) / Number(m[1])],
  [/([23二三])つ\s*に\s*([12一])つ/g, (m) => kanjiOrDigit(m[2]!) / kanjiOrDigit(m[1]!)],
  [/\b(?:one|a)[- ]third\b/gi, () => "1/3"],
  [/\btwo[- ]thirds\b/gi, () => "2/3"],
  [/\b(?:one[- ]half|a half)\b|半分の確率/gi, () => "1/2"],
];

function kanjiOrDigit(s: string): number {
  return /\d/.test(s) ? Number(s) : kanji(s);
}

/** Every probability the text states, in order; overlapping readings are taken once. */
export function findProbabilities(text: string): ProbabilityMention[] {
  // Spans that read as some other number (e.g. 100%) are kept too, so a later reader cannot re-read them.
  const spans: { value: Fraction | undefined; start: number; end: number }[] = [];
  for (const [re, read] of READERS) {
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (spans.some((f) => start < f.end && end > f.start)) continue;
      const raw = read(m);
      spans.push({ value: typeof raw === "string" ? raw : classify(raw), start, end });
    }
  }
  return spans.filter((f): f is ProbabilityMention => f.value !== undefined).sort((a, b) => a.start - b.start);
}
