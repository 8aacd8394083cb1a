// One error hierarchy: every error the user can fix is a UserError carrying its exit code, and the
// CLI prints it as one line by class, whatever its name.

import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { BodyError } from "../src/api/body.js";
import { ChatRequestError } from "../src/api/chat-request.js";
import { FatalError } from "../src/app/process-guards.js";
import { main } from "../src/cli.js";
import type { CommandIo } from "../src/cli/io.js";
import { UsageError } from "../src/cli/usage-error.js";
import { ConfigError } from "../src/config/errors.js";
import { ElyzaBotError, UserError } from "../src/errors.js";
import { BackendError, BackendsUnavailableError, BackendStreamError } from "../src/inference/backends/errors.js";
import { CancelledError, ContextOverflowError, InferenceTimeoutError, ModelFileError, QueueFullError } from "../src/inference/errors.js";
import { SourceBuildError } from "../src/build/llama-cpp-source.js";
import { GradeError } from "../src/probe/grade-answer.js";
import { ProbeOptionsError } from "../src/probe/plan.js";
import { SuiteError } from "../src/probe/suite-loader.js";

function io(input = ""): CommandIo & { lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  const stdin = new PassThrough();
  stdin.end(input);
  return {
    lines,
    out: (line) => void lines.out.push(line),
    err: (line) => void lines.err.push(line),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin,
    env: { ...process.env, MODEL: "" },
  };
}

describe("the error hierarchy", () => {
  it("makes every error the user can fix a UserError with its exit code", () => {
    const userErrors: [UserError, number][] = [
      [new UsageError("bad flag"), 2],
      [new ConfigError("bad key"), 1],
      [new ModelFileError("no file"), 1],
      [new SuiteError("bad suite"), 1],
      [new GradeError("no such test"), 1],
      [new ProbeOptionsError("runs out of range"), 1],
      [new ContextOverflowError(10, 5), 1],
      [new QueueFullError("queue_full", "busy"), 1],
      [new InferenceTimeoutError("total", 100), 1],
      [new CancelledError(), 1],
    ];
    for (const [error, exitCode] of userErrors) {
      expect(error).toBeInstanceOf(UserError);
      expect(error).toBeInstanceOf(ElyzaBotError);
      expect(error.exitCode, error.name).toBe(exitCode);
      // The name still says which one it is (logs, metrics labels).
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it("keeps errors that are not the user's to fix out of UserError, under the same root", () => {
    const backend = new BackendError("gpu-1", "server", "HTTP 500", 500);
    const others: ElyzaBotError[] = [
      backend,
      new BackendStreamError(backend, "途中"),
      new BackendsUnavailableError([{ backend: "gpu-1", reason: "down" }]),
      new SourceBuildError("cmake failed"),
      new BodyError("invalid_json", "not JSON"),
      new ChatRequestError("messages", "must be a list"),
      new FatalError(new Error("boom")),
    ];
    for (const error of others) {
      expect(error).toBeInstanceOf(ElyzaBotError);
      expect(error).not.toBeInstanceOf(UserError);
      expect(error.name).toBe(error.constructor.name);
    }
  });
});

describe("the CLI's handling of errors", () => {
  it("prints a usage mistake as one line and exits 2", async () => {
    const c = io();
    expect(await main(["grade"], c)).toBe(2);
    expect(c.lines.err).toEqual(["elyza-bot: grade: --test ID is required (see elyza-bot grade --help)"]);
  });

  it("prints any other user error as one line, without a stack, and exits 1", async () => {
    const c = io("かごを探します。");
    expect(await main(["grade", "--test", "nope"], c)).toBe(1);
    expect(c.lines.err).toHaveLength(1);
    expect(c.lines.err[0]).toBe(`elyza-bot: unknown test id "nope" in suite "seed" (tests: theory-of-mind, reading, monty-hall)`);
    expect(c.lines.err[0]).not.toContain("unexpected");
  });
});
