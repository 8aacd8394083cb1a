// The shape of a probe suite file (config/probes/*.yaml). Strict: an unknown key is an error, because
// a misspelt key (top_p for topP) would otherwise be ignored silently and change what is measured.

import { z } from "zod";
import type { ProbeSuite, RuleId } from "./types.js";

const RULE_IDS = ["theory-of-mind", "reading", "monty-hall"] as const satisfies readonly RuleId[];

const text = (what: string) => z.string().trim().min(1, `${what} must not be empty`).pipe(z.string());
// Prompts and references are kept byte for byte, so they are checked but never trimmed.
const verbatim = (what: string) => z.string().refine((s) => s.trim().length > 0, `${what} must not be empty`);

const tally = z
  .strictObject({
    passed: z.int().min(0, "must be 0 or more"),
    total: z.int().min(1, "must be 1 or more"),
  })
  .refine((t) => t.passed <= t.total, { message: "passed must not exceed total", path: ["passed"] });

const grader = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("rule"),
      rule: z.enum(RULE_IDS, {
        error: (issue) => (issue.input === undefined ? "required" : `unknown rule ${JSON.stringify(issue.input)} (rules: ${RULE_IDS.join(", ")})`),
      }),
    }),
    z.strictObject({ kind: z.literal("judge"), rubric: text("rubric") }),
  ],
  { error: (issue) => (issue.input === undefined ? "required" : `kind must be "rule" or "judge"`) },
);

const test = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and dashes, e.g. monty-hall"),
  title: text("title"),
  prompt: verbatim("prompt"),
  reference: verbatim("reference"),
  grader,
  baseline: tally.exactOptional(),
  references: z.array(z.strictObject({ label: text("label"), passed: z.int().min(0), total: z.int().min(1) })).exactOptional(),
});

const dataset = z.strictObject({
  source: text("source"),
  passScore: z.int("must be a whole number").min(1, "must be from 1 to 5").max(5, "must be from 1 to 5").default(3),
  reference: z.strictObject({ label: text("label"), score: z.number().min(1).max(5), judge: text("judge") }).exactOptional(),
});

export const suiteSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, dots, dashes or underscores"),
    description: z.string().exactOptional(),
    systemPrompt: verbatim("systemPrompt"),
    runs: z.int("must be a whole number").min(1, "must be between 1 and 1000").max(1000, "must be between 1 and 1000"),
    sampling: z.strictObject({
      temperature: z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2"),
      topP: z.number().gt(0, "must be more than 0 and at most 1").max(1, "must be more than 0 and at most 1"),
      maxTokens: z.int("must be a whole number").min(1, "must be 1 or more").max(32768, "must be at most 32768"),
    }),
    grading: z.enum(["rule", "judge"], { error: (issue) => (issue.input === undefined ? "required" : `must be "rule" or "judge"`) }),
    /** A dataset suite's tests come from its file (src/probe/dataset). */
    dataset: dataset.exactOptional(),
    tests: z
      .array(test)
      .default([])
      .superRefine((tests, ctx) => {
        const seen = new Map<string, number>();
        tests.forEach((t, i) => {
          const first = seen.get(t.id);
          if (first === undefined) seen.set(t.id, i);
          else ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate test id "${t.id}" (also tests[${first}])` });
        });
      }),
  })
  .superRefine((suite, ctx) => {
    if (!suite.dataset && suite.tests.length === 0)
      ctx.addIssue({ code: "custom", path: ["tests"], message: "must list at least one test (or name a dataset)" });
    if (suite.dataset && suite.tests.length > 0)
      ctx.addIssue({ code: "custom", path: ["tests"], message: "a dataset suite takes its tests from the dataset file; remove tests" });
  }) satisfies z.ZodType<ProbeSuite>;

/** Zod's type names that read badly in a message; the others are used as they are. */
const EXPECTED_NAMES: Partial<Record<string, string>> = { object: "a mapping", array: "a list", int: "a whole number" };

/** One readable message for an issue that has no message of its own in the schema. */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "required";
    const got = issue.input === null ? "null" : Array.isArray(issue.input) ? "a list" : typeof issue.input === "object" ? "a mapping" : typeof issue.input;
    const expected = EXPECTED_NAMES[issue.expected] ?? `a ${issue.expected}`;
    return `expected ${expected}, got ${got}`;
  }
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    const hint = issue.keys.some((k) => k.includes("_")) ? " (keys are camelCase, e.g. topP, maxTokens, systemPrompt)" : "";
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}${hint}`;
  }
  return undefined;
}
