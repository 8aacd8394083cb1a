// Grades one answer to one test of a suite by the test's rule, as `elyza-bot grade --test ID` prints
// it (one JSON line): the test looked up by id, refused when a judge model would have to grade it.

import { UserError } from "../errors.js";
import { gradeByRule } from "./graders/index.js";
import type { ProbeSuite } from "./types.js";

/** A test id that is not in the suite, or one no rule can grade: the CLI prints it as one line. */
export class GradeError extends UserError {
  override readonly name = "GradeError";
}

/** The verdict on `answer` for the suite's test `testId`; GradeError for an unknown or judged test. */
export function gradeAnswer(suite: ProbeSuite, testId: string, answer: string): { test: string; pass: boolean; reason: string } {
  const test = suite.tests.find((t) => t.id === testId);
  if (!test) {
    const ids = suite.tests.map((t) => t.id).join(", ");
    throw new GradeError(`unknown test id "${testId}" in suite "${suite.name}" (tests: ${ids})`);
  }
  if (test.grader.kind !== "rule") throw new GradeError(`test "${testId}" is graded by a judge model; grade only runs rule graders`);
  const verdict = gradeByRule(test, answer);
  return { test: test.id, pass: verdict.pass, reason: verdict.reason };
}
