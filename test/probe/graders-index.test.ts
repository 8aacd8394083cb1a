import { describe, expect, it } from "vitest";
import { gradeAnswer } from "../../src/probe/grade-answer.js";
import { gradeByRule, makeGrader } from "../../src/probe/graders/index.js";
import { loadSuite } from "../../src/probe/suite-loader.js";
import type { ProbeSuite, ProbeTest } from "../../src/probe/types.js";
import { MONTY_HALL_GPT4_SAMPLE, MONTY_HALL_SAMPLES } from "../fixtures/article-samples.js";

const suite = loadSuite("seed", "config/probes");
const tom = suite.tests[0]!;
const judged: ProbeTest = { ...tom, id: "judged", grader: { kind: "judge", rubric: "かごなら合格" } };

describe("gradeByRule / makeGrader", () => {
  it("grades by the test's rule", async () => {
    expect(gradeByRule(tom, "かごを探します。").pass).toBe(true);
    await expect(makeGrader("rule")(tom, "箱を探します。")).resolves.toMatchObject({ pass: false });
  });
  it("sends a judge-kind test to the judge in rule mode when one is given", async () => {
    const grade = makeGrader("rule", async () => '{"reason": "judge says so", "pass": true}');
    await expect(grade(judged, "箱")).resolves.toEqual({ pass: true, reason: "judge says so" });
    await expect(grade(tom, "箱を探します。")).resolves.toMatchObject({ pass: false });
  });
  it("says clearly when a judge-kind test has no judge", async () => {
    await expect(makeGrader("rule")(judged, "かご")).rejects.toThrow('test "judged" is graded by a judge model, and no judge model is available');
    expect(() => gradeByRule(judged, "かご")).toThrow("judge");
  });
  it("judge mode sends every test to the judge, and needs one", async () => {
    let asked = 0;
    const grade = makeGrader("judge", async () => {
      asked++;
      return '{"reason": "r", "pass": false}';
    });
    await expect(grade(tom, "かごを探します。")).resolves.toEqual({ pass: false, reason: "r" });
    expect(asked).toBe(1);
    expect(() => makeGrader("judge")).toThrow("judge grading needs a model");
  });
});

describe("gradeAnswer", () => {
  it("returns test, pass and reason", () => {
    expect(gradeAnswer(suite, "monty-hall", MONTY_HALL_GPT4_SAMPLE)).toEqual({
      test: "monty-hall",
      pass: true,
      reason: "切り替えを勧め、変えない場合 1/3・変えた場合 2/3 と正しく説明している",
    });
    expect(gradeAnswer(suite, "monty-hall", MONTY_HALL_SAMPLES[2]).pass).toBe(false);
    expect(gradeAnswer(suite, "reading", "①Alex\n").pass).toBe(true);
  });
  it("names the unknown id and the ids that exist, in one line", () => {
    expect(() => gradeAnswer(suite, "sudoku", "x")).toThrow('unknown test id "sudoku" in suite "seed" (tests: theory-of-mind, reading, monty-hall)');
  });
  it("refuses a judge-kind test", () => {
    const withJudge: ProbeSuite = { ...suite, tests: [judged] };
    expect(() => gradeAnswer(withJudge, "judged", "x")).toThrow("judge");
  });
});
