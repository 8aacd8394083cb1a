// The judge model of judge-mode grading: loaded on first use, and a failed load is tried again.

import { copyFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import { PassThrough } from "node:stream";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJudge } from "../../src/app/judge.js";
import { loadConfig } from "../../src/config/load.js";
import type { InferenceQueueLike } from "../../src/inference/queue-types.js";
import { tinyModelPath } from "../helpers/test-model.js";

const unusedQueue: InferenceQueueLike = {
  submit: () => {
    throw new Error("the bot's queue must not be used when a judge model is configured");
  },
  stats: () => ({ waiting: 0, running: 0 }),
  onIdle: async () => {},
};

describe("createJudge with probe.judgeModel", () => {
  it("reports a missing judge model, then loads it once it is there", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-judge-"));
    const judgeFile = path.join(dir, "judge.gguf");
    const config = loadConfig({
      env: {},
      dotEnvFile: false,
      overrides: { engine: { threads: 1, contextSize: 512 }, probe: { judgeModel: judgeFile } },
    });
    const judge = createJudge(config, unusedQueue, new PassThrough());
    const ask = () => judge.ask({ systemPrompt: "", turns: [{ role: "user", text: "採点してください" }] });
    try {
      await expect(ask()).rejects.toThrow(judgeFile);
      copyFileSync(await tinyModelPath("tiny", 3), judgeFile);
      expect(typeof (await ask())).toBe("string");
    } finally {
      await judge[Symbol.asyncDispose]();
    }
  });
});
