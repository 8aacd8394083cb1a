import { writeTestModel, SHAPES, type ShapeName } from "../../testing/gguf/test-model.js";
import { parseCommandArgs, wholeNumber } from "../args.js";
import type { CommandIo } from "../io.js";
import { UsageError } from "../usage-error.js";

export const help = `usage: elyza-bot make-test-model OUT.gguf [--seed N] [--shape NAME]

Writes a small random-weight Llama-architecture GGUF with a byte-level tokenizer and the Llama 3
chat template, for tests and benchmarks. The same seed writes the same bytes.

  --seed N       random seed (default 1)
  --shape NAME   ${Object.keys(SHAPES).join(" | ")} (default tiny)`;

export async function makeTestModel(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs("make-test-model", args, {
    seed: { type: "string" },
    shape: { type: "string" },
  });
  if (values.help) return (io.out(help), 0);
  const [out, ...extra] = positionals;
  if (!out || extra.length > 0) throw new UsageError("make-test-model: give exactly one output path (see elyza-bot make-test-model --help)");
  const shape = values.shape ?? "tiny";
  if (!(shape in SHAPES)) throw new UsageError(`make-test-model: unknown --shape "${shape}" (choose ${Object.keys(SHAPES).join(", ")})`);
  const seed = wholeNumber("--seed", values.seed, 0, 2 ** 32 - 1) ?? 1;
  const started = Date.now();
  const { bytes } = await writeTestModel(out, { seed, shape: shape as ShapeName });
  io.err(`wrote ${out} (${shape}, seed ${seed}, ${(bytes / 1e6).toFixed(2)} MB) in ${Date.now() - started} ms`);
  return 0;
}
