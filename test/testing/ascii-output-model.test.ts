// The asciiOutput option of the test-model generator: whatever the seed and sampling, the model only
// generates printable ASCII (valid UTF-8 after every token, so llama-server never aborts its stream)
// and never ends before max_tokens; the prompt side still takes Japanese.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaEngine } from "../../src/inference/engine.js";
import { planModel } from "../../src/testing/gguf/test-model.js";
import { asciiModelPath } from "../helpers/test-model.js";

describe("asciiOutput test models", () => {
  let engine: LlamaEngine;
  beforeAll(async () => {
    engine = await LlamaEngine.load({ modelPath: await asciiModelPath(), gpu: false, threads: 1, parallel: 4, contextSize: 512, batchSize: 256 });
  });
  afterAll(async () => {
    await engine?.[Symbol.asyncDispose]();
  });

  it("keeps output rows only for ASCII tokens; the plain model is unchanged", () => {
    const plain = planModel("tiny", 1);
    const ascii = planModel("tiny", 1, { asciiOutput: true });
    const output = ascii.tensors.find((t) => t.name === "output.weight")!;
    expect(output.init.kind === "uniform" && output.init.onlyRows?.rows.length).toBeGreaterThan(95);
    expect(plain.tensors.find((t) => t.name === "output.weight")!.init).not.toHaveProperty("onlyRows");
    expect(ascii.metadata).toEqual(plain.metadata);
  });

  it("generates only printable ASCII and runs to max_tokens, even at temperature 2", async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map((seed) =>
        engine.generate({
          conversation: { systemPrompt: "日本語で答えてください。", turns: [{ role: "user", text: "富士山の高さは？" }] },
          sampling: { temperature: 2, topP: 1, maxTokens: 48, seed },
        }),
      ),
    );
    for (const r of results) {
      expect(r.stopReason).toBe("length");
      expect(r.text).toMatch(/^[\x20-\x7e\n]+$/);
    }
  });
});
