// Reads a dataset file with ELYZA-tasks-100's fields (input, output, eval_aspect; optionally
// category) into probe tests. CSV (ELYZA-tasks-100's own test.csv, with quoted multi-line fields)
// or JSON Lines. A bad row is an error naming the file, the row and the field — never skipped.

import { parse } from "csv-parse/sync";
import { SuiteError } from "../suite-loader.js";
import type { ProbeSuite, ProbeTest } from "../types.js";

export interface DatasetRow {
  readonly input: string;
  readonly output: string;
  readonly evalAspect: string;
  readonly category?: string;
  /** 1-based, header not counted. */
  readonly row: number;
}

const FIELDS = ["input", "output", "eval_aspect"] as const;

function records(text: string, file: string): Record<string, unknown>[] {
  if (/\.jsonl?$/i.test(file)) {
    return text
      .split(/\r?\n/)
      .map((line, i) => ({ line: line.trim(), i }))
      .filter(({ line }) => line !== "")
      .map(({ line, i }, index) => {
        try {
          const value: unknown = JSON.parse(line);
          if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
          return value as Record<string, unknown>;
        } catch (error) {
          throw new SuiteError(`${file}: row ${index + 1} (line ${i + 1}): not a JSON object (${(error as Error).message})`);
        }
      });
  }
  try {
    return parse<Record<string, unknown>>(text, { columns: true, bom: true, skip_empty_lines: true });
  } catch (error) {
    throw new SuiteError(`${file}: not a readable CSV file: ${((error as Error).message.split("\n")[0] ?? "").trim()}`);
  }
}

export function parseDataset(text: string, file: string): DatasetRow[] {
  const rows = records(text, file);
  if (rows.length === 0) throw new SuiteError(`${file}: the dataset has no rows`);
  return rows.map((record, i) => {
    const row = i + 1;
    for (const field of FIELDS) {
      const value = record[field];
      if (value === undefined || value === null) throw new SuiteError(`${file}: row ${row}: ${field}: required (fields: ${FIELDS.join(", ")})`);
      if (typeof value !== "string") throw new SuiteError(`${file}: row ${row}: ${field}: expected text, got ${typeof value}`);
      if (value.trim() === "") throw new SuiteError(`${file}: row ${row}: ${field}: must not be empty`);
    }
    const category = typeof record.category === "string" && record.category.trim() !== "" ? record.category.trim() : undefined;
    return {
      input: record.input as string,
      output: record.output as string,
      evalAspect: record.eval_aspect as string,
      ...(category !== undefined ? { category } : {}),
      row,
    };
  });
}

/** One test per row: the input is the prompt, the output the reference, eval_aspect the rubric. */
export function datasetTests(rows: readonly DatasetRow[], passScore: number): ProbeTest[] {
  const width = Math.max(3, String(rows.length).length);
  return rows.map((r) => ({
    id: `task-${String(r.row).padStart(width, "0")}`,
    title: `#${r.row} ${oneLine(r.input, 24)}`,
    prompt: r.input,
    reference: r.output,
    grader: { kind: "score", aspect: r.evalAspect, passScore },
    row: r.row,
    ...(r.category !== undefined ? { category: r.category } : {}),
  }));
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/gu, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** The suite with its tasks filled in from the dataset's text. */
export function withDatasetTests(suite: ProbeSuite, text: string, file: string): ProbeSuite {
  return { ...suite, tests: datasetTests(parseDataset(text, file), suite.dataset?.passScore ?? 3) };
}
