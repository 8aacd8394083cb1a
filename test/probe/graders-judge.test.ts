import { describe, expect, it } from "vitest";
import type { Conversation } from "../../src/inference/types.js";
import { DEFAULT_RUBRICS, judgeConversation, judgeGrader, parseJudgeReply } from "../../src/probe/graders/judge.js";
import type { ProbeTest } from "../../src/probe/types.js";
import { PROMPTS } from "../fixtures/article-samples.js";

const ruleTest: ProbeTest = {
  id: "theory-of-mind",
  title: "心のモデル",
  prompt: PROMPTS["theory-of-mind"],
  reference: "かご",
  grader: { kind: "rule", rule: "theory-of-mind" },
};
const judgeTest: ProbeTest = { ...ruleTest, id: "custom", grader: { kind: "judge", rubric: "かごと答えれば合格。" } };

describe("judge prompt", () => {
  it("holds the question, the reference, the rubric and the answer, and asks for JSON only", () => {
    const conversation = judgeConversation(judgeTest, "かごを探します。");
    expect(conversation.turns).toHaveLength(1);
    const text = conversation.turns[0]!.text;
    expect(conversation.turns[0]!.role).toBe("user");
    for (const part of [PROMPTS["theory-of-mind"], "# 正解例\nかご", "かごと答えれば合格。", "# 回答\nかごを探します。", '"pass"', '"reason"']) {
      expect(text).toContain(part);
    }
    expect(conversation.systemPrompt).toContain("採点者");
  });
  it("uses the default rubric of a rule test", () => {
    expect(judgeConversation(ruleTest, "x").turns[0]!.text).toContain(DEFAULT_RUBRICS["theory-of-mind"]);
  });
});

describe("parseJudgeReply", () => {
  it.each<[string, string, { pass: boolean; reason: string } | undefined]>([
    ["well-formed", '{"reason": "かごと答えている", "pass": true}', { pass: true, reason: "かごと答えている" }],
    ["fenced", '```json\n{"reason": "箱と答えている", "pass": false}\n```', { pass: false, reason: "箱と答えている" }],
    ["text around it", '採点結果は次の通りです。\n{"reason": "正しい", "pass": true}\n以上です。', { pass: true, reason: "正しい" }],
    ["full-width braces and quotes", "｛＂reason＂：＂正しい＂，＂pass＂：true｝", { pass: true, reason: "正しい" }],
    ["curly quotes", "{“reason”: “正しい”, “pass”: false}", { pass: false, reason: "正しい" }],
    ["pass as a string", '{"reason": "ok", "pass": "true"}', { pass: true, reason: "ok" }],
    ["pass in Japanese", '{"理由": "誤り", "合格": "不合格"}', { pass: false, reason: "誤り" }],
    ["single quotes and a trailing comma", "{'reason': 'ok', 'pass': true,}", { pass: true, reason: "ok" }],
    ["no reason", '{"pass": false}', { pass: false, reason: "judge gave no reason" }],
    ["several objects: the last verdict wins", '例: {"reason": "例", "pass": false}\n回答: {"reason": "本物", "pass": true}', { pass: true, reason: "本物" }],
    ["an unescaped quote inside the reason", '{"reason": "「かご"と答えている", "pass": true}', { pass: true, reason: "「かご" }],
    ["a multi-line reason becomes one line", '{"reason": "一行目\\n二行目", "pass": true}', { pass: true, reason: "一行目 二行目" }],
    ["garbage", "よくわかりません。", undefined],
    ["JSON without a verdict", '{"score": 4}', undefined],
    ["empty", "", undefined],
  ])("%s", (_, reply, expected) => {
    expect(parseJudgeReply(reply)).toEqual(expected);
  });
});

describe("judgeGrader", () => {
  it("asks once and returns the parsed verdict", async () => {
    const asked: Conversation[] = [];
    const grade = judgeGrader(async (c) => {
      asked.push(c);
      return '{"reason": "かごと答えている", "pass": true}';
    });
    await expect(grade(judgeTest, "かご")).resolves.toEqual({ pass: true, reason: "かごと答えている" });
    expect(asked).toHaveLength(1);
  });
  it("fails the answer, without throwing, when the judge returns no JSON verdict", async () => {
    const grade = judgeGrader(async () => "合格だと思います");
    await expect(grade(judgeTest, "かご")).resolves.toEqual({ pass: false, reason: "judge returned no JSON verdict" });
  });
  it("lets an error of the model through (e.g. a cancelled probe)", async () => {
    const grade = judgeGrader(async () => {
      throw new Error("cancelled");
    });
    await expect(grade(judgeTest, "かご")).rejects.toThrow("cancelled");
  });
});
