// 👎 answers as a draft probe suite (the format src/probe/suite-loader.ts reads), so that what went
// wrong in chat can be re-run after every model, quantization or prompt change. Each rated answer
// becomes one judge-graded test: the question verbatim as the prompt, and a rubric that shows the
// judge the answer people rejected, so a new answer that repeats it fails. Nobody has written a
// correct answer yet, so the reference tells the judge to go by the rubric; the file's comments ask
// the reader to replace it. The suite takes the system prompt and sampling most of the answers were
// produced with; where each answer came from (platform, channel, model, seed) is kept as a comment.

import { createHash } from "node:crypto";
import { Document, type YAMLMap, type YAMLSeq } from "yaml";
import type { FeedbackRow } from "./store.js";

export const DRAFT_REFERENCE = "（正解例は未記入です。採点基準に従って判定してください。）";
export const DRAFT_RUNS = 5;

export interface DraftSuiteOptions {
  /** The suite's name (letters, digits, dots, dashes, underscores). */
  readonly name: string;
  /** When the export ran, for the description. */
  readonly exportedAt: Date;
}

interface RatedAnswer {
  readonly first: FeedbackRow;
  readonly raters: number;
  readonly lastRatedAt: number;
}

/** Stable per answer: the same answer gets the same test id in every export, so suites can be merged by hand. */
export function feedbackTestId(row: Pick<FeedbackRow, "platform" | "answerMessageId">): string {
  return `feedback-${createHash("sha256").update(`${row.platform}\n${row.answerMessageId}`).digest("hex").slice(0, 10)}`;
}

export function rubricFor(answer: string): string {
  return [
    "この質問に対するチャットでの次の回答は、利用者に👎(よくない)と評価されました。",
    "この回答と同じ誤り・不適切さ(事実の誤り、質問に答えていない、論理の破綻、日本語の不自然さなど)を含む回答は不合格。",
    "質問に正確かつ誠実に答えていれば合格。",
    "",
    "👎と評価された回答:",
    answer,
  ].join("\n");
}

export interface DraftSuite {
  readonly yaml: string;
  /** Tests written: one per rated answer. */
  readonly tests: number;
}

/** The YAML text of the draft suite; `rows` are 👎 votes (several per answer are merged into one test). */
export function draftSuiteYaml(rows: readonly FeedbackRow[], options: DraftSuiteOptions): DraftSuite {
  const answers = new Map<string, RatedAnswer>();
  for (const row of rows) {
    if (row.rating !== "down") continue;
    const key = feedbackTestId(row);
    const seen = answers.get(key);
    answers.set(
      key,
      seen
        ? { first: seen.first, raters: seen.raters + 1, lastRatedAt: Math.max(seen.lastRatedAt, row.ratedAt) }
        : { first: row, raters: 1, lastRatedAt: row.ratedAt },
    );
  }
  if (answers.size === 0) throw new Error("draftSuiteYaml needs at least one 👎 vote");
  const list = [...answers.entries()].sort(([, a], [, b]) => a.first.ratedAt - b.first.ratedAt);

  const systemPrompt = mostCommon(
    list.map(([, a]) => a.first.systemPrompt),
    (s) => s,
  );
  const sampling = mostCommon(
    list.map(([, a]) => a.first.sampling),
    (s) => `${s.temperature}/${s.topP}/${s.maxTokens}`,
  );
  const suite = {
    name: options.name,
    description: `Draft from 👎 feedback in chat: ${list.length} answer${list.length === 1 ? "" : "s"}, exported ${options.exportedAt.toISOString()}.`,
    systemPrompt,
    runs: DRAFT_RUNS,
    sampling: { temperature: sampling.temperature, topP: sampling.topP, maxTokens: sampling.maxTokens },
    grading: "judge",
    tests: list.map(([id, { first }]) => ({
      id,
      title: titleOf(first.question),
      prompt: first.question,
      reference: DRAFT_REFERENCE,
      grader: { kind: "judge", rubric: rubricFor(first.answer) },
    })),
  };

  const doc = new Document(suite, { keepSourceTokens: false });
  doc.commentBefore = [
    " A DRAFT probe suite written by `elyza-bot feedback export` from answers rated 👎 in chat.",
    " Before relying on it: replace each test's reference with a correct answer (the judge compares",
    " against it), tighten the rubric, and delete tests that are not worth keeping.",
    " Run it with: elyza-bot probe --suite THIS_FILE",
  ].join("\n");
  const tests = doc.get("tests") as YAMLSeq<YAMLMap>;
  list.forEach(([, rated], i) => {
    const r = rated.first;
    const model = `${r.modelName}${r.modelFingerprint ? ` (fingerprint ${r.modelFingerprint.slice(0, 12)})` : ""}`;
    const item = tests.items[i];
    if (item) {
      item.commentBefore = [
        ` ${r.platform} channel ${r.channel}, question ${r.questionKey}, answer message ${r.answerMessageId}`,
        ` model ${model}, seed ${r.seed ?? "unknown"}, temperature ${r.sampling.temperature}, topP ${r.sampling.topP}, maxTokens ${r.sampling.maxTokens}`,
        ` 👎 by ${rated.raters} ${rated.raters === 1 ? "person" : "people"}, last ${new Date(rated.lastRatedAt).toISOString()}`,
      ].join("\n");
    }
  });
  return { yaml: doc.toString({ lineWidth: 0 }), tests: list.length };
}

/** The question's first line, shortened: a title has to fit a report line. */
function titleOf(question: string): string {
  const line =
    question
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? question.trim();
  return [...line].length > 40 ? `${[...line].slice(0, 40).join("")}…` : line;
}

/** The value most items share (the first of the most frequent ones). */
function mostCommon<T>(values: readonly T[], key: (value: T) => string): T {
  const counts = new Map<string, { value: T; n: number }>();
  for (const value of values) {
    const k = key(value);
    const seen = counts.get(k);
    counts.set(k, { value: seen?.value ?? value, n: (seen?.n ?? 0) + 1 });
  }
  let best: { value: T; n: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.n > best.n) best = entry;
  return best!.value;
}
