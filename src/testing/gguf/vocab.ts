// Byte-level BPE vocabulary in the shape of Llama 3's: the 256 byte tokens of GPT-2's
// bytes_to_unicode map first (so any UTF-8 text tokenizes and detokenizes exactly), merges, then
// Llama 3's control tokens. The merges are made up; the model's weights are random anyway.

/** ggml token types (llama_token_type). */
export const TokenType = { NORMAL: 1, CONTROL: 3 } as const;

/**
 * GPT-2's bytes_to_unicode, in its list order (printable bytes first): element i is the byte that
 * token id i stands for, as Llama 3's vocabulary orders them.
 */
export function byteLevelAlphabet(): { byte: number; char: string }[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const result = printable.map((b) => ({ byte: b, char: String.fromCodePoint(b) }));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) result.push({ byte: b, char: String.fromCodePoint(256 + n++) });
  }
  return result;
}

/** Text → its byte-level representation (each UTF-8 byte as its bytes_to_unicode char). */
export function toByteLevel(text: string): string {
  const map = new Map(byteLevelAlphabet().map(({ byte, char }) => [byte, char]));
  return [...Buffer.from(text, "utf8")].map((b) => map.get(b)!).join("");
}

/** Llama 3's 256 special tokens (ids 128000–128255 in the real vocabulary), in order. */
export function llama3SpecialTokens(count = 256): string[] {
  const named: Record<number, string> = {
    0: "<|begin_of_text|>",
    1: "<|end_of_text|>",
    6: "<|start_header_id|>",
    7: "<|end_header_id|>",
    9: "<|eot_id|>",
  };
  const result: string[] = [];
  let reserved = 0;
  for (let i = 0; i < count; i++) result.push(named[i] ?? `<|reserved_special_token_${reserved++}|>`);
  return result;
}

/**
 * Common pieces of English and Japanese text, turned into merges. They make tokenization look like
 * a real BPE vocabulary's (multi-byte tokens, Japanese characters as single tokens).
 */
const COMMON_PIECES = [
  "th",
  "he",
  "in",
  "er",
  "an",
  "re",
  "on",
  "at",
  "en",
  "nd",
  "is",
  "it",
  "or",
  "the",
  " the",
  " a",
  " t",
  " is",
  " of",
  " to",
  " and",
  " in",
  "ing",
  "ion",
  "\n\n",
  "  ",
  "の",
  "は",
  "を",
  "に",
  "が",
  "で",
  "と",
  "た",
  "し",
  "て",
  "す",
  "ま",
  "い",
  "か",
  "る",
  "な",
  "です",
  "ます",
  "でした",
  "ました",
  "日本",
  "東京",
  "首都",
  "質問",
  "回答",
  "答え",
  "。",
  "、",
  "？",
  "！",
  "「",
  "」",
  "（",
  "）",
  "・",
  "ー",
];

export interface Vocabulary {
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly number[];
  readonly merges: readonly string[];
  readonly bosId: number;
  readonly eosId: number;
  readonly eotId: number;
  /** Id of the first control token; every id from here on is a control token. */
  readonly firstControlId: number;
}

/**
 * Build a vocabulary of `normalCount` normal tokens (≥ 256 + the common pieces' merges) followed by
 * `specialCount` Llama 3 control tokens. With normalCount 128000 and specialCount 256 the ids match
 * the real Llama 3 vocabulary's special ids (128000 = <|begin_of_text|>, 128009 = <|eot_id|>).
 */
export function buildVocabulary(options: { normalCount?: number; specialCount: number }): Vocabulary {
  const alphabet = byteLevelAlphabet().map((a) => a.char);
  const tokens = [...alphabet];
  const known = new Set(tokens);
  const merges: string[] = [];
  const limit = options.normalCount ?? Infinity;
  const addMerge = (left: string, right: string): void => {
    const merged = left + right;
    if (known.has(merged) || tokens.length >= limit) return;
    known.add(merged);
    tokens.push(merged);
    merges.push(`${left} ${right}`);
  };

  // Each piece is built left to right, so every merge joins two tokens that already exist.
  for (const piece of COMMON_PIECES) {
    const chars = [...toByteLevel(piece)];
    let prefix = chars[0]!;
    for (const c of chars.slice(1)) {
      addMerge(prefix, c);
      prefix += c;
    }
  }
  // Filler for large vocabularies: every byte pair, then byte triples, in a fixed order.
  if (tokens.length < limit) {
    for (const a of alphabet) for (const b of alphabet) addMerge(a, b);
  }
  if (tokens.length < limit) {
    outer: for (const a of alphabet) {
      for (const b of alphabet) {
        for (const c of alphabet) {
          if (tokens.length >= limit) break outer;
          addMerge(a + b, c);
        }
      }
    }
  }
  if (options.normalCount !== undefined && tokens.length !== options.normalCount) {
    throw new RangeError(`cannot build ${options.normalCount} normal tokens (have ${tokens.length})`);
  }

  const firstControlId = tokens.length;
  const specials = llama3SpecialTokens(options.specialCount);
  tokens.push(...specials);
  const tokenTypes = tokens.map((_, i) => (i < firstControlId ? TokenType.NORMAL : TokenType.CONTROL));
  const idOf = (name: string): number => {
    const i = specials.indexOf(name);
    if (i < 0) throw new RangeError(`specialCount ${options.specialCount} leaves out ${name}`);
    return firstControlId + i;
  };
  return {
    tokens,
    tokenTypes,
    merges,
    bosId: idOf("<|begin_of_text|>"),
    eosId: idOf("<|eot_id|>"),
    eotId: idOf("<|eot_id|>"),
    firstControlId,
  };
}

/** Meta's Llama 3 Instruct chat template (not 3.1's): node-llama-cpp maps it to Llama3ChatWrapper. */
export const LLAMA3_CHAT_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
