// Parses what follows `/probe` in chat (and the console) into an action. Errors are one line that
// quotes the word at fault, ready to show to the person who typed it.

import type { ProbeRunOptions } from "./types.js";

export type ProbeCommand =
  | { readonly action: "run"; readonly options: ProbeRunOptions }
  | { readonly action: "cancel" }
  | { readonly action: "history"; readonly suite?: string; readonly count?: number }
  | { readonly action: "help" };

export type ParsedProbeCommand = ProbeCommand | { readonly action: "error"; readonly message: string };

export interface ParseProbeOptions {
  /** Upper bound on runs per test; chat allows 100, the CLI may allow more. */
  readonly maxRuns?: number;
}

export const MAX_CHAT_RUNS = 100;
export const MAX_HISTORY_COUNT = 50;

export const PROBE_HELP = [
  "/probe [回数] [runs=N] [tests=id,id] [suite=名前] [judge|rule] [compare=名前] [passk=K] — 記事の推論テストを各N回実行して採点します（既定: 各10回）",
  "  compare=名前 — 設定済みの別モデル (probe.compareModels) でも同じテストを同じ seed で実行し、差を比べます (A/B)",
  "  suite=elyza-tasks-100 judge — ELYZA-tasks-100 の100問を審査モデルが1〜5点で採点します",
  "/probe cancel — 実行中のプローブを中止します",
  "/probe history [suite=名前] [件数] — テストごとの最近の結果を表とグラフ (PNG) で表示します",
  "/probe help — この説明",
  "例: /probe 5 · /probe runs=5 tests=reading,monty-hall suite=seed judge",
].join("\n");

const CANCEL = new Set(["cancel", "stop", "abort", "中止", "キャンセル"]);
const HISTORY = new Set(["history", "log", "履歴"]);
const HELP = new Set(["help", "?", "-h", "--help", "ヘルプ"]);
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Chat may only name suites in the configured directory, never a path on the host. */
const SUITE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseProbeCommand(input: string, options: ParseProbeOptions = {}): ParsedProbeCommand {
  const maxRuns = options.maxRuns ?? MAX_CHAT_RUNS;
  // NFKC: full-width digits, letters and "＝" typed with a Japanese IME become ASCII.
  const words = input
    .normalize("NFKC")
    .trim()
    .split(/\s+/u)
    .filter((w) => w !== "");
  if (words[0]?.toLowerCase() === "/probe") words.shift();
  const first = words[0]?.toLowerCase();
  if (first !== undefined && CANCEL.has(first)) return alone({ action: "cancel" }, words);
  if (first !== undefined && HELP.has(first)) return alone({ action: "help" }, words);
  if (first !== undefined && HISTORY.has(first)) return parseHistory(words.slice(1));
  if (first === "run") words.shift();
  return parseRun(words, maxRuns);
}

function alone(command: ProbeCommand, words: readonly string[]): ParsedProbeCommand {
  const extra = words[1];
  return extra === undefined ? command : error(extra, `/probe ${words[0]} には続けて何も書けません`);
}

function parseHistory(words: readonly string[]): ParsedProbeCommand {
  let suite: string | undefined;
  let count: number | undefined;
  for (const word of words) {
    const [key, value] = splitKeyValue(word);
    if (key === "suite") {
      if (suite !== undefined) return error(word, "suite が二度指定されています");
      const name = value?.replace(/\.ya?ml$/i, "");
      if (!name || !SUITE.test(name)) return error(word, "suite=名前 の形で指定してください（config/probes のファイル名。パスは使えません）");
      suite = name;
    } else if (key === undefined || key === "last" || key === "n") {
      const raw = key === undefined ? word : value;
      if (count !== undefined) return error(word, "件数が二度指定されています");
      const n = wholeNumber(raw);
      if (n === undefined || n < 1 || n > MAX_HISTORY_COUNT) return error(word, `件数は 1〜${MAX_HISTORY_COUNT} の整数で指定してください`);
      count = n;
    } else {
      return unknown(word);
    }
  }
  return { action: "history", ...(suite !== undefined ? { suite } : {}), ...(count !== undefined ? { count } : {}) };
}

function parseRun(words: readonly string[], maxRuns: number): ParsedProbeCommand {
  let runs: number | undefined;
  let tests: string[] | undefined;
  let suite: string | undefined;
  let grading: "rule" | "judge" | undefined;
  let compare: string | undefined;
  let passK: number | undefined;
  for (const word of words) {
    const [key, value] = splitKeyValue(word);
    const lower = word.toLowerCase();
    if ((key === undefined && /^\d+$/.test(word)) || key === "runs" || key === "n") {
      if (runs !== undefined) return error(word, "回数が二度指定されています");
      const n = wholeNumber(key === undefined ? word : value);
      if (n === undefined || n < 1 || n > maxRuns) return error(word, `回数は 1〜${maxRuns} の整数で指定してください`);
      runs = n;
    } else if (key === "tests" || key === "test") {
      if (tests !== undefined) return error(word, "tests が二度指定されています");
      const ids = (value ?? "").split(",").filter((id) => id !== "");
      if (ids.length === 0) return error(word, "tests=id,id の形でテストを指定してください");
      const bad = ids.find((id) => !ID.test(id));
      if (bad !== undefined) return error(word, `テスト id「${bad}」に使えない文字があります`);
      tests = [...new Set(ids)];
    } else if (key === "suite") {
      if (suite !== undefined) return error(word, "suite が二度指定されています");
      const name = value?.replace(/\.ya?ml$/i, "");
      if (!name || !SUITE.test(name)) return error(word, "suite=名前 の形で指定してください（config/probes のファイル名。パスは使えません）");
      suite = name;
    } else if ((key === undefined && (lower === "judge" || lower === "rule")) || key === "grading" || key === "mode") {
      const mode = key === undefined ? lower : value?.toLowerCase();
      if (mode !== "judge" && mode !== "rule") return error(word, "採点は judge か rule です");
      if (grading !== undefined) return error(word, "採点方法が二度指定されています");
      grading = mode;
    } else if (key === "compare" || key === "vs") {
      if (compare !== undefined) return error(word, "compare が二度指定されています");
      // A name from probe.compareModels, never a path or URI: chat must not pick files on the host.
      if (!value || !SUITE.test(value)) return error(word, "compare=名前 の形で、設定済みのモデル名を指定してください（パスや URI は使えません）");
      compare = value;
    } else if (key === "passk" || key === "k") {
      if (passK !== undefined) return error(word, "passk が二度指定されています");
      const n = wholeNumber(value);
      if (n === undefined || n < 1 || n > maxRuns) return error(word, `passk は 1〜${maxRuns} の整数で指定してください`);
      passK = n;
    } else {
      return unknown(word);
    }
  }
  const options: ProbeRunOptions = {
    ...(compare !== undefined ? { compare } : {}),
    ...(passK !== undefined ? { passK } : {}),
    ...(suite !== undefined ? { suite } : {}),
    ...(runs !== undefined ? { runs } : {}),
    ...(tests !== undefined ? { tests } : {}),
    ...(grading !== undefined ? { grading } : {}),
  };
  return { action: "run", options };
}

/** "runs=5" → ["runs", "5"]; a word without "=" → [undefined, undefined]. Keys are case-insensitive. */
function splitKeyValue(word: string): [string | undefined, string | undefined] {
  const at = word.indexOf("=");
  if (at < 0) return [undefined, undefined];
  return [word.slice(0, at).toLowerCase(), word.slice(at + 1)];
}

function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,6}$/.test(text)) return undefined;
  return Number(text);
}

function error(word: string, why: string): ParsedProbeCommand {
  return { action: "error", message: `「${word}」: ${why}` };
}

function unknown(word: string): ParsedProbeCommand {
  return error(word, "分からない指定です（使い方は /probe help）");
}
