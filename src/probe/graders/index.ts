// Picks the grader for a test: the rule written for it, or the judge model.

import type { Conversation } from "../../inference/types.js";
import type { ProbeTest, RuleId, Verdict } from "../types.js";
import { judgeGrader } from "./judge.js";
import { scoreGrader } from "./score-judge.js";
import { gradeMontyHall } from "./monty-hall.js";
import { gradeReading } from "./reading.js";
import { gradeTheoryOfMind } from "./theory-of-mind.js";

export { DEFAULT_RUBRICS, judgeConversation, judgeGrader, parseJudgeReply } from "./judge.js";
export { parseScoreReply, scoreConversation, scoreGrader } from "./score-judge.js";

export const RULES: Record<RuleId, (answer: string) => Verdict> = {
  "theory-of-mind": gradeTheoryOfMind,
  reading: gradeReading,
  "monty-hall": gradeMontyHall,
};

export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** Asks the judge model; `signal` withdraws the request (the probe was cancelled). */
export type Ask = (conversation: Conversation, signal?: AbortSignal) => Promise<string>;
export type Grader = (test: ProbeTest, answer: string, signal?: AbortSignal) => Promise<Verdict>;

export function gradeByRule(test: ProbeTest, answer: string): Verdict {
  if (test.grader.kind !== "rule") throw new Error(`test "${test.id}" is graded by a judge model, not by a rule`);
  return RULES[test.grader.rule](answer);
}

/**
 * "rule": each test's own rule; a judge-kind test goes to the judge when `ask` is given.
 * "judge": every test goes to the judge (rule tests use the default rubric for their rule).
 * Dataset tasks ("score" graders) are always scored 1–5 by the judge, whatever the mode.
 */
export function makeGrader(mode: "rule" | "judge", ask?: Ask): Grader {
  const judge = ask ? judgeGrader(ask) : undefined;
  const score = ask ? scoreGrader(ask) : undefined;
  if (mode === "judge" && !judge) throw new Error("judge grading needs a model to ask, and none was given");
  return async (test, answer, signal) => {
    if (test.grader.kind === "score") {
      if (!score) throw new Error(`test "${test.id}" is scored by a judge model, and no judge model is available`);
      return score(test, answer, signal);
    }
    if (mode === "judge") return (judge as Grader)(test, answer, signal);
    if (test.grader.kind === "rule") return gradeByRule(test, answer);
    if (!judge) throw new Error(`test "${test.id}" is graded by a judge model, and no judge model is available`);
    return judge(test, answer, signal);
  };
}
