// `elyza-bot grade --test ID`: grades one answer by the test's rule; the CLI prints the result as one
// JSON line.

import { UserError } from "../errors.js";
import { gradeByRule } from "./graders/index.js";
import type { ProbeSuite } from "./types.js";

/** A test id that is not in the suite, or one no rule can grade: the CLI prints it as one line. */
export class GradeError extends UserError {
  override readonly name = "GradeError";
}

export function gradeCommand(suite: ProbeSuite, testId: string, answer: string): { test: string; pass: boolean; reason: string } {
  const test = suite.tests.find((t) => t.id === testId);
  if (!test) {
    const ids = suite.tests.map((t) => t.id).join(", ");
    throw new GradeError(`unknown test id "${testId}" in suite "${suite.name}" (tests: ${ids})`);
  }
  if (test.grader.kind !== "rule") throw new GradeError(`test "${testId}" is graded by a judge model; grade only runs rule graders`);
  const verdict = gradeByRule(test, answer);
  return { test: test.id, pass: verdict.pass, reason: verdict.reason };
}
