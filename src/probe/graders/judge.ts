// Judge mode, as ELYZA-tasks-100 is graded: a model reads the question, the reference answer, the
// rubric and the answer, and returns {"reason": "...", "pass": true|false}. Models wrap JSON in prose
// and code fences and sometimes write it with full-width braces, so parsing is forgiving; a reply
// with no verdict in it fails the answer instead of failing the probe.

import type { Conversation } from "../../inference/types.js";
import type { ProbeTest, RuleId, Verdict } from "../types.js";

/** Rubrics for the rule-graded tests when they are graded by a judge instead. */
export const DEFAULT_RUBRICS: Record<RuleId, string> = {
  "theory-of-mind":
    "サリーが最初に探す場所として「かご」を一つだけ答えていれば合格。「箱」と答えている、かごと箱の両方を挙げている、断定していない場合は不合格。",
  reading:
    "選択肢の中から「①Alex」を一つだけ選んでいれば合格。②・③・④を選んでいる、Alexander を Alexandra の愛称としている、複数の選択肢を答えとしている場合は不合格。",
  "monty-hall":
    "選択を変えるべきだと答え、かつ変えない場合に金貨を得る確率は1/3、変えた場合は2/3であることを理由として示していれば合格。変えるべきでないとする、確率を1/2とする、確率の説明がない・誤っている場合は、結論が正しくても不合格。",
};

const JUDGE_SYSTEM_PROMPT =
  "あなたは採点者です。問題、正解例、採点基準、回答が与えられます。正解例と採点基準に従って、回答が合格か不合格かを厳密に判定してください。";

export function rubricFor(test: ProbeTest): string {
  switch (test.grader.kind) {
    case "judge":
      return test.grader.rubric;
    case "rule":
      return DEFAULT_RUBRICS[test.grader.rule];
    case "score":
      return test.grader.aspect;
  }
}

export function judgeConversation(test: ProbeTest, answer: string): Conversation {
  const text = [
    "# 問題",
    test.prompt,
    "",
    "# 正解例",
    test.reference,
    "",
    "# 採点基準",
    rubricFor(test),
    "",
    "# 回答",
    answer,
    "",
    "# 出力形式",
    "次の形式の JSON だけを出力してください。ほかの文章は書かないでください。",
    '{"reason": "判定の理由(日本語で一文)", "pass": true または false}',
  ].join("\n");
  return { systemPrompt: JUDGE_SYSTEM_PROMPT, turns: [{ role: "user", text }] };
}

/** Candidate JSON objects in the reply: every balanced {...}, last first (a model's final word wins). */
export function objects(text: string): string[] {
  const found: string[] = [];
  for (let start = text.indexOf("{"); start !== -1; start = text.indexOf("{", start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === "\\") i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) {
        found.push(text.slice(start, i + 1));
        break;
      }
    }
  }
  return found.reverse();
}

function asPass(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  if (["true", "pass", "yes", "合格", "正解", "はい"].includes(v)) return true;
  if (["false", "fail", "no", "不合格", "不正解", "いいえ"].includes(v)) return false;
  return undefined;
}

/** The verdict in a judge's reply, or undefined when there is none. */
/** A judge's reply with full-width JSON punctuation, curly quotes and code fences undone. */
export function normalizeJudgeReply(reply: string): string {
  return reply
    .replace(/[｛｝＂：，]/g, (c) => c.normalize("NFKC"))
    .replace(/[“”]/g, '"')
    .replace(/```(?:json)?/gi, "");
}

/**
 * The JSON objects in a judge's reply, parsed, first to last; each candidate is tried as written and
 * then with single quotes and trailing commas mended (what small judge models get wrong most).
 */
export function* judgeRecords(reply: string): Generator<Record<string, unknown>> {
  for (const candidate of objects(normalizeJudgeReply(reply))) {
    for (const source of [candidate, candidate.replace(/'/g, '"').replace(/,\s*}/g, "}")]) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(source);
      } catch {
        continue;
      }
      if (typeof parsed === "object" && parsed !== null) yield parsed as Record<string, unknown>;
    }
  }
}

/** A judge's reason, on one line. */
export function judgeReason(record: Record<string, unknown>): string {
  const raw = record.reason ?? record["理由"];
  return typeof raw === "string" && raw.trim() ? raw.replace(/\s+/g, " ").trim() : "judge gave no reason";
}

export function parseJudgeReply(reply: string): Verdict | undefined {
  const text = normalizeJudgeReply(reply);
  for (const record of judgeRecords(reply)) {
    const pass = asPass(record.pass ?? record["合格"]);
    if (pass !== undefined) return { pass, reason: judgeReason(record) };
  }
  // Broken JSON (an unescaped quote in the reason, a missing brace) that still states a verdict.
  const pass = /"?pass"?\s*:\s*"?(true|false)\b/i.exec(text);
  if (!pass) return undefined;
  const reason = /"?reason"?\s*:\s*"((?:[^"\\\n]|\\.)*)"/i.exec(text)?.[1]?.trim();
  return { pass: pass[1]!.toLowerCase() === "true", reason: reason || "judge gave no reason" };
}

export function judgeGrader(
  ask: (conversation: Conversation, signal?: AbortSignal) => Promise<string>,
): (test: ProbeTest, answer: string, signal?: AbortSignal) => Promise<Verdict> {
  return async (test, answer, signal) => {
    const reply = await ask(judgeConversation(test, answer), signal);
    return parseJudgeReply(reply) ?? { pass: false, reason: "judge returned no JSON verdict" };
  };
}
