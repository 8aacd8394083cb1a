// The last-resort handlers: an error thrown from inside a platform library keeps the process
// running (logged); anything else — the engine lost, a bug of ours — ends the run through onFatal,
// once, however many follow.

import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { installProcessGuards, isPlatformLibraryError } from "../../src/app/process-guards.js";

function errorFrom(file: string, message = "boom"): Error {
  const e = new TypeError(message);
  e.stack = `TypeError: ${message}\n    at SomeFunction (${file}:10:5)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;
  return e;
}

const slackError = () => errorFrom("/app/node_modules/@slack/socket-mode/dist/src/SocketModeClient.js", "Cannot read properties of undefined (reading 'type')");
const discordError = () => errorFrom("/app/node_modules/@discordjs/ws/dist/index.js");
const engineError = () => errorFrom("/app/node_modules/node-llama-cpp/dist/evaluator/LlamaContext/LlamaContext.js", "context lost");
const ourError = () => errorFrom("/app/dist/bot/responder.js");

function setUp() {
  const target = new EventEmitter();
  const logs: string[] = [];
  const fatal: unknown[] = [];
  const survived: unknown[] = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => logs.push(m) };
  const remove = installProcessGuards({
    logger,
    onFatal: (e) => fatal.push(e),
    onSurvived: (e) => survived.push(e),
    target: target as unknown as NodeJS.Process,
  });
  return { target, logs, fatal, survived, remove };
}

describe("process guards", () => {
  it("tells platform-library errors from the rest by the frame that threw", () => {
    expect(isPlatformLibraryError(slackError())).toBe(true);
    expect(isPlatformLibraryError(discordError())).toBe(true);
    expect(isPlatformLibraryError(engineError())).toBe(false);
    expect(isPlatformLibraryError(ourError())).toBe(false);
    expect(isPlatformLibraryError("a string")).toBe(false);
  });

  it("keeps running after errors inside Slack's or Discord's libraries, logging each", () => {
    const g = setUp();
    g.target.emit("unhandledRejection", slackError());
    g.target.emit("uncaughtException", discordError());
    expect(g.fatal).toHaveLength(0);
    expect(g.survived).toHaveLength(2);
    expect(g.logs).toEqual([
      "unhandled rejection in a platform library (the bot keeps running)",
      "uncaught exception in a platform library (the bot keeps running)",
    ]);
    g.remove();
  });

  it("ends the run once for a crash-worthy error (engine lost), whatever follows", () => {
    const g = setUp();
    const lost = engineError();
    g.target.emit("uncaughtException", lost);
    g.target.emit("unhandledRejection", ourError());
    expect(g.fatal).toEqual([lost]);
    expect(g.logs.filter((l) => l.endsWith("stopping the bot"))).toHaveLength(2);
    g.remove();
    expect(g.target.listenerCount("uncaughtException")).toBe(0);
    expect(g.target.listenerCount("unhandledRejection")).toBe(0);
  });
});
