// Dataset tasks (ELYZA-tasks-100) are not pass/fail: a judge scores each answer 1–5 against the
// task's reference answer and its eval_aspect, and returns {"reason": "...", "score": N}. The
// rubric below is this project's own, in the spirit of ELYZA-tasks-100's published 5-point scale.
// A reply without a usable score (no JSON, a score outside 1–5) counts as the lowest score, 1, says
// why with the dataset row, and is listed in the report: a broken judge can only lower the mean,
// never raise it, and never silently.

import type { Conversation } from "../../inference/types.js";
import type { ProbeTest, Verdict } from "../types.js";
import { judgeReason, judgeRecords } from "./judge.js";

const SYSTEM_PROMPT =
  "あなたは日本語の回答を公平に採点する審査員です。問題、正解例、採点の観点、回答が与えられます。正解例と採点の観点に照らし、回答の正確さと役立ち度を1〜5の整数で採点してください。";

const SCALE = [
  "5: 正確で、指示にすべて従っており、役に立つ",
  "4: おおむね正確で指示に従っているが、わずかな不足や冗長さがある",
  "3: 一部は正しいが、誤りや指示の取りこぼしがある",
  "2: 問題の趣旨には沿っているが、内容の大半が誤っている",
  "1: 誤っている、指示に従っていない、または回答になっていない",
  "不自然な日本語、事実と異なる記述、必要のない拒否は、それぞれ1点ずつ減点してください（最低1点）。",
].join("\n");

export function scoreConversation(test: ProbeTest, answer: string): Conversation {
  const aspect = test.grader.kind === "score" ? test.grader.aspect : "";
  const text = [
    "# 問題",
    test.prompt,
    "",
    "# 正解例",
    test.reference,
    "",
    "# 採点の観点",
    aspect,
    "",
    "# 採点の目安",
    SCALE,
    "",
    "# 回答",
    answer,
    "",
    "# 出力形式",
    "次の形式の JSON だけを出力してください。ほかの文章は書かないでください。",
    '{"reason": "採点の理由(日本語で一文)", "score": 1から5の整数}',
  ].join("\n");
  return { systemPrompt: SYSTEM_PROMPT, turns: [{ role: "user", text }] };
}

export type ScoreReply = { readonly ok: true; readonly score: number; readonly reason: string } | { readonly ok: false; readonly problem: string };

/** The score in a judge's reply: a whole number 1–5 (full-width digits and "4点" accepted). */
export function parseScoreReply(reply: string): ScoreReply {
  let outOfRange: unknown;
  for (const record of judgeRecords(reply)) {
    const raw = record.score ?? record["点数"] ?? record["スコア"];
    if (raw === undefined) continue;
    const value = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw.normalize("NFKC").replace(/点$/, "").trim()) : Number.NaN;
    if (!Number.isInteger(value) || value < 1 || value > 5) {
      outOfRange = raw;
      continue;
    }
    return { ok: true, score: value, reason: judgeReason(record) };
  }
  if (outOfRange !== undefined) return { ok: false, problem: `judge score ${JSON.stringify(outOfRange)} is not a whole number from 1 to 5` };
  return { ok: false, problem: "judge returned no JSON with a score" };
}

export function scoreGrader(
  ask: (conversation: Conversation, signal?: AbortSignal) => Promise<string>,
): (test: ProbeTest, answer: string, signal?: AbortSignal) => Promise<Verdict> {
  return async (test, answer, signal) => {
    if (test.grader.kind !== "score") throw new Error(`test "${test.id}" is not a dataset task`);
    const parsed = parseScoreReply(await ask(scoreConversation(test, answer), signal));
    if (!parsed.ok) return { pass: false, reason: `${parsed.problem} (dataset row ${test.row ?? "?"}; counted as 1)`, score: 1, unscored: true };
    return { pass: parsed.score >= test.grader.passScore, reason: parsed.reason, score: parsed.score };
  };
}
