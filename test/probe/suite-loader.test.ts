import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { SuiteError, listSuites, loadSuite } from "../../src/probe/suite-loader.js";

let dir: string;
const seed = parse(readFileSync("config/probes/seed.yaml", "utf8")) as Record<string, unknown> & { tests: Record<string, unknown>[] };

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : stringify(content));
  return file;
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SuiteError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected a SuiteError");
}

const mutate = (change: (s: typeof seed) => void) => {
  const copy = structuredClone(seed);
  change(copy);
  return copy;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "suites-"));
  write("seed.yaml", readFileSync("config/probes/seed.yaml", "utf8"));
  write(
    "other.yml",
    mutate((s) => (s.name = "other")),
  );
});

describe("loadSuite", () => {
  it("loads a bare name from the suites directory, .yaml or .yml", () => {
    expect(loadSuite("seed", dir).tests).toHaveLength(3);
    expect(loadSuite("other", dir).name).toBe("other");
    expect(listSuites(dir)).toEqual(["other", "seed"]);
  });

  it("loads a path (with a slash or a .yaml ending) as a file", () => {
    const file = write(
      "mine.yaml",
      mutate((s) => (s.name = "mine")),
    );
    expect(loadSuite(file, "/nonexistent").name).toBe("mine");
    expect(loadSuite("config/probes/seed.yaml", "/nonexistent").name).toBe("seed");
  });

  it("names the available suites for an unknown name", () => {
    const available = listSuites(dir).join(", ");
    expect(available).toContain("other, seed");
    expect(errorOf(() => loadSuite("nope", dir))).toBe(`suite error: ${path.join(dir, "nope.yaml")}: unknown suite "nope" (available: ${available})`);
    expect(errorOf(() => loadSuite("nope", path.join(dir, "none")))).toContain("(available: none in");
  });

  it("says when a file cannot be read", () => {
    expect(errorOf(() => loadSuite(path.join(dir, "missing.yaml"), dir))).toBe(
      `suite error: ${path.join(dir, "missing.yaml")}: cannot read suite file (no such file)`,
    );
    const sub = path.join(dir, "sub.yaml");
    mkdirSync(sub, { recursive: true });
    expect(errorOf(() => loadSuite(sub, dir))).toContain("is a directory");
  });

  it("reports bad YAML with its line", () => {
    const file = write("bad.yaml", "name: seed\ntests: [\n  - id: x\n");
    expect(errorOf(() => loadSuite(file, dir))).toMatch(new RegExp(`^suite error: ${file}: invalid YAML at line \\d+, column \\d+: `));
    const dup = write("dup-key.yaml", "name: a\nname: b\n");
    expect(errorOf(() => loadSuite(dup, dir))).toContain("invalid YAML");
    const list = write("list.yaml", "- a\n- b\n");
    expect(errorOf(() => loadSuite(list, dir))).toContain("expected a mapping");
  });

  it.each<[string, (s: typeof seed) => void, string]>([
    ["a missing prompt", (s) => delete s.tests[1]!.prompt, "tests[1].prompt: required"],
    ["an empty prompt", (s) => (s.tests[0]!.prompt = "  "), "tests[0].prompt: prompt must not be empty"],
    ["a number for a title", (s) => (s.tests[2]!.title = 3), "tests[2].title: expected a string, got number"],
    ["a duplicate test id", (s) => (s.tests[2]!.id = "reading"), 'tests[2].id: duplicate test id "reading" (also tests[1])'],
    [
      "an unknown rule",
      (s) => (s.tests[0]!.grader = { kind: "rule", rule: "sudoku" }),
      'tests[0].grader.rule: unknown rule "sudoku" (rules: theory-of-mind, reading, monty-hall)',
    ],
    ["an unknown grader kind", (s) => (s.tests[0]!.grader = { kind: "magic" }), 'tests[0].grader.kind: kind must be "rule" or "judge"'],
    ["a rule grader without a rule", (s) => (s.tests[0]!.grader = { kind: "rule" }), "tests[0].grader.rule: required"],
    ["a judge without a rubric", (s) => (s.tests[0]!.grader = { kind: "judge" }), "tests[0].grader.rubric: required"],
    ["runs of 0", (s) => (s.runs = 0), "runs: must be between 1 and 1000"],
    ["runs of 1001", (s) => (s.runs = 1001), "runs: must be between 1 and 1000"],
    ["fractional runs", (s) => (s.runs = 2.5), "runs: must be a whole number"],
    ["a snake_case key", (s) => ((s.sampling as Record<string, unknown>).top_p = 0.9), 'sampling: unknown key "top_p" (keys are camelCase'],
    ["top_p over 1", (s) => ((s.sampling as Record<string, unknown>).topP = 1.5), "sampling.topP: must be more than 0 and at most 1"],
    ["an unknown grading mode", (s) => (s.grading = "vibes"), 'grading: must be "rule" or "judge"'],
    ["no tests", (s) => (s.tests = []), "tests: must list at least one test"],
    ["passed over total", (s) => (s.tests[0]!.baseline = { passed: 11, total: 10 }), "tests[0].baseline.passed: passed must not exceed total"],
    ["a bad test id", (s) => (s.tests[0]!.id = "Theory Of Mind"), "tests[0].id: must be lower-case letters"],
    ["a missing name", (s) => delete s.name, "name: required"],
  ])("names the field for %s", (_, change, expected) => {
    const file = write("broken.yaml", mutate(change));
    expect(errorOf(() => loadSuite(file, dir))).toContain(`suite error: ${file}: ${expected}`);
  });

  it("accepts a judge-graded test", () => {
    const file = write(
      "judged.yaml",
      mutate((s) => (s.tests[0]!.grader = { kind: "judge", rubric: "かごと答えれば合格" })),
    );
    expect(loadSuite(file, dir).tests[0]!.grader).toEqual({ kind: "judge", rubric: "かごと答えれば合格" });
  });
});
