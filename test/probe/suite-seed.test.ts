import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gradeByRule } from "../../src/probe/graders/index.js";
import { loadSuite } from "../../src/probe/suite-loader.js";
import * as article from "../fixtures/article-samples.js";

const suite = loadSuite("seed", "config/probes");
const byId = (id: string) => suite.tests.find((t) => t.id === id)!;

describe("config/probes/seed.yaml", () => {
  it("has the article's settings and baselines", () => {
    expect(suite.name).toBe("seed");
    expect(suite.systemPrompt).toBe(article.SYSTEM_PROMPT);
    expect(suite.runs).toBe(10);
    expect(suite.sampling).toEqual({ temperature: 0.6, topP: 0.9, maxTokens: 1200 });
    expect(suite.grading).toBe("rule");
    expect(suite.tests.map((t) => [t.id, t.title, t.grader, t.baseline])).toEqual([
      ["theory-of-mind", "心のモデル", { kind: "rule", rule: "theory-of-mind" }, { passed: 10, total: 10 }],
      ["reading", "国語の問題", { kind: "rule", rule: "reading" }, { passed: 10, total: 10 }],
      ["monty-hall", "モンティ・ホール問題", { kind: "rule", rule: "monty-hall" }, { passed: 0, total: 10 }],
    ]);
    expect(byId("monty-hall").references).toEqual([{ label: "GPT-4", passed: 10, total: 10 }]);
  });

  it.each(Object.entries(article.PROMPTS))("the %s prompt is the article's, byte for byte", (id, prompt) => {
    expect(Buffer.from(byId(id).prompt, "utf8").equals(Buffer.from(prompt, "utf8"))).toBe(true);
  });

  it("the Monty Hall reference is the article's 正答例 verbatim", () => {
    expect(byId("monty-hall").reference).toBe(article.MONTY_HALL_REFERENCE);
  });

  it("each reference answer passes its own grader", () => {
    for (const test of suite.tests) expect(gradeByRule(test, test.reference), test.id).toMatchObject({ pass: true });
  });
});

// The fixtures are copies; check them against the article (test/fixtures/seed-article.txt is the
// seed the project was given, shared/seeds/000_49a515a629e2920b.txt, copied unchanged).
describe("fixtures against the article text", () => {
  const text = readFileSync(article.ARTICLE_PATH, "utf8");
  const quoted = [
    ...Object.values(article.PROMPTS),
    article.MONTY_HALL_REFERENCE,
    ...article.THEORY_OF_MIND_SAMPLES,
    ...article.READING_SAMPLES,
    ...article.MONTY_HALL_SAMPLES,
    article.MONTY_HALL_GPT4_SAMPLE,
  ];
  it.each(quoted.map((q) => [q.slice(0, 20), q]))("%s… appears verbatim", (_, q) => {
    expect(text.includes(q)).toBe(true);
  });
  it("prompts are whole lines of the article (nothing cut off at either end)", () => {
    for (const prompt of Object.values(article.PROMPTS)) expect(text.includes(`\n${prompt}\n`)).toBe(true);
  });
  it("the system prompt is the article's DEFAULT_SYSTEM_PROMPT", () => {
    expect(text.includes(`DEFAULT_SYSTEM_PROMPT = "${article.SYSTEM_PROMPT}"`)).toBe(true);
  });
});
