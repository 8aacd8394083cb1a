import { openAiMember } from "../../app/backends.js";
import { displayModelUri, type BackendConfig } from "../../config/schema.js";
import type { OpenAiBackend } from "../../inference/backends/openai-backend.js";
import { parseCommandArgs } from "../args.js";
import { configFlags, configFlagsHelp, configFromFlags } from "../config-flags.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

export const help = `usage: elyza-bot backends [--config FILE] [--json]

Lists the inference backends of engine.backends, in the order requests try them, each with its
state as seen from here. An openai backend is health-checked now (GET /models): up, or down with
the reason, the round trip as latency, and — when the server reports it (llama-server's /slots) —
how many of its slots are in use. The in-process backend is the model this host loads when the bot
starts (state "local", slots = engine.parallel, "auto" until it has measured its memory); it is not loaded for this listing.
${configFlagsHelp}
  --json         one JSON array instead of the table`;

interface Row {
  readonly name: string;
  readonly kind: BackendConfig["kind"];
  readonly state: "up" | "down" | "local";
  readonly slots: number | "auto";
  readonly inUse: number | null;
  readonly latencyMs: number | null;
  readonly model: string;
  readonly baseUrl?: string;
  readonly reason?: string;
}

export async function backends(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs("backends", args, { ...configFlags, json: { type: "boolean" } });
  if (values.help) return (io.out(help), 0);
  if (positionals.length > 0) throw new UsageError(`backends: unexpected argument "${positionals[0]}" (see elyza-bot backends --help)`);
  const config = configFromFlags(values, io.env);
  const rows = await Promise.all(
    config.engine.backends.map(async (backend): Promise<Row> => {
      if (backend.kind === "in-process") {
        return {
          name: backend.name,
          kind: backend.kind,
          state: "local",
          slots: config.engine.parallel,
          inUse: null,
          latencyMs: null,
          model: displayModelUri(config.model.uri),
        };
      }
      await using engine = openAiMember(backend, io.env).engine as OpenAiBackend;
      const base = { name: backend.name, kind: backend.kind, slots: backend.slots, model: backend.model, baseUrl: backend.baseUrl };
      const started = performance.now();
      try {
        await engine.check();
        const latencyMs = Math.round(performance.now() - started);
        return { ...base, state: "up", inUse: (await engine.busySlots()) ?? null, latencyMs };
      } catch (error) {
        const reason = (error instanceof Error ? error.message : String(error)).replace(`backend ${backend.name}: `, "");
        return { ...base, state: "down", inUse: null, latencyMs: null, reason };
      }
    }),
  );
  if (values.json) {
    io.out(JSON.stringify(rows));
    return 0;
  }
  const table = [
    ["name", "kind", "state", "slots", "in use", "latency", "model"],
    ...rows.map((r) => [
      r.name,
      r.kind,
      r.state,
      String(r.slots),
      r.inUse === null ? "-" : String(r.inUse),
      r.latencyMs === null ? "-" : `${r.latencyMs} ms`,
      r.baseUrl ? `${r.model} @ ${r.baseUrl}` : r.model,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) io.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
  for (const r of rows) if (r.reason) io.out(`${r.name}: ${r.reason}`);
  return 0;
}
