// `elyza-bot feedback export`: the 👎 answers of the feedback store (probe.dataDirectory/feedback.sqlite)
// as a draft probe suite file. No 👎 votes (at all, or since --since) is an error naming the store,
// so a script never mistakes an empty export for a written suite.

import { UserError } from "../../errors.js";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../config/load.js";
import { draftSuiteYaml } from "../../feedback/export-suite.js";
import { FEEDBACK_FILE, FeedbackStore } from "../../feedback/store.js";
import { parseCommandArgs } from "../args.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

export const help = `usage: elyza-bot feedback export --out FILE.yaml [--since WHEN] [--name NAME] [--config FILE]

Writes the answers rated 👎 in chat as a draft probe suite (judge-graded, one test per answer, the
question as the prompt and the rejected answer in the rubric). Edit the references, then run it with
elyza-bot probe --suite FILE.yaml. Exit 1 when there is no 👎 vote to export.

  --out FILE     where to write the suite (.yaml or .yml)
  --since WHEN   only votes cast since then: an ISO date or time (2026-12-01, 2026-12-01T09:00Z)
                 or a span back from now (30m, 12h, 7d)
  --name NAME    the suite's name (default: the file name without .yaml)
  --config FILE  YAML file overriding config/default.yaml (probe.dataDirectory holds the store)`;

/** A FeedbackError is the user's to fix (nothing to export): one line, exit 1. */
export class FeedbackError extends UserError {
  override readonly name = "FeedbackError";
}

const SPAN_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** --since as ms since the epoch: an ISO date/time, or a span like 7d back from `now`. */
export function parseSince(value: string, now: number): number {
  const span = /^(\d+)([mhd])$/.exec(value.trim());
  if (span) return now - Number(span[1]) * SPAN_MS[span[2] as keyof typeof SPAN_MS];
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const at = Date.parse(value.trim());
    if (!Number.isNaN(at)) return at;
  }
  throw new UsageError(`feedback export: --since must be an ISO date or time (2026-12-01, 2026-12-01T09:00Z) or a span like 30m, 12h, 7d (got "${value}")`);
}

export async function feedback(args: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h") return (io.out(help), sub === undefined ? 2 : 0);
  if (sub !== "export") throw new UsageError(`feedback: unknown subcommand "${sub}" (subcommands: export)`);
  const { values, positionals } = parseCommandArgs("feedback export", rest, {
    out: { type: "string" },
    since: { type: "string" },
    name: { type: "string" },
    config: { type: "string" },
  });
  if (values.help) return (io.out(help), 0);
  if (positionals.length > 0) throw new UsageError(`feedback export: unexpected argument "${positionals[0]}" (see elyza-bot feedback --help)`);
  if (!values.out) throw new UsageError("feedback export: --out FILE.yaml is required (see elyza-bot feedback --help)");
  if (!/\.ya?ml$/i.test(values.out))
    throw new UsageError(`feedback export: --out must end in .yaml or .yml, so that probe --suite reads it as a file (got "${values.out}")`);
  const name = values.name ?? path.basename(values.out).replace(/\.ya?ml$/i, "");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new UsageError(`feedback export: the suite name "${name}" must be letters, digits, dots, dashes or underscores (pass --name)`);
  }
  const now = Date.now();
  const since = values.since === undefined ? undefined : parseSince(values.since, now);

  const config = loadConfig({ ...(values.config === undefined ? {} : { configFile: values.config }), env: io.env });
  const file = path.join(config.probe.dataDirectory, FEEDBACK_FILE);
  // Opening would create an empty store: say there is none instead.
  if (!existsSync(file)) throw new FeedbackError(`feedback export: no feedback yet (${file} does not exist; 👍/👎 votes from chat are stored there)`);
  let rows;
  {
    await using store = new FeedbackStore(config.probe.dataDirectory);
    rows = store.list({ rating: "down", ...(since === undefined ? {} : { since }) });
  }
  if (rows.length === 0) {
    const when = since === undefined ? "" : ` since ${new Date(since).toISOString()}`;
    throw new FeedbackError(`feedback export: no 👎 votes${when} in ${file}; nothing to export`);
  }
  const { yaml, tests } = draftSuiteYaml(rows, { name, exportedAt: new Date(now) });
  try {
    writeFileSync(values.out, yaml);
  } catch (error) {
    throw new FeedbackError(`feedback export: cannot write ${values.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  io.out(
    `wrote ${values.out}: ${tests} test${tests === 1 ? "" : "s"} from ${rows.length} 👎 vote${rows.length === 1 ? "" : "s"} (a draft: fill in the references)`,
  );
  return 0;
}
