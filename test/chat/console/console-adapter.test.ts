// The terminal adapter driven through real readline on in-memory streams, with the real queue and
// a scripted engine (the engine is not under test here).

import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { runConsole, type ConsoleCommandHandler } from "../../../src/chat/console/console-adapter.js";
import { messages } from "../../../src/core/messages.js";
import { Responder } from "../../../src/core/responder.js";
import { InferenceQueue } from "../../../src/inference/queue.js";
import { ScriptedEngine, type Script } from "../../helpers/scripted-engine.js";

function setup(script?: Script, commands?: ConsoleCommandHandler) {
  const engine = new ScriptedEngine(1, script);
  const queue = new InferenceQueue(engine, {
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: 100 },
    maxWaiting: 10,
    maxPerUser: 5,
    timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 60_000 },
  });
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (chunk: Buffer) => (shown += chunk.toString("utf8")));
  const core = new Responder({
    queue,
    systemPrompt: "SYS",
    editIntervalMs: 1000,
    access: { allowedChannels: [], allowedUsers: [], allowedRoles: [], probeAdmins: [], ratePerMinute: 0 },
  });
  const done = runConsole({ core, input, output, historyMessages: 10, terminal: true, ...(commands ? { commands } : {}) });
  return { engine, input, done, shown: () => shown };
}

describe("console adapter", () => {
  it("answers each line, streaming, and remembers the conversation", async () => {
    const t = setup((o) => ({ chunks: ["答え", `${o.conversation.turns.length}`, "です"], chunkDelayMs: 2 }));
    t.input.write("一つ目の質問\n");
    await vi.waitFor(() => expect(t.shown().includes("答え1です"), `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    t.input.write("二つ目\n");
    await vi.waitFor(() => expect(t.shown().includes("答え3です"), `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    // The placeholder is a status line; the answer streams after the prompt, on one line.
    expect(t.shown()).toContain(`(${messages.thinking})\nELYZA> 答え1です\n`);
    // The second request carried the first question and answer as history.
    expect(t.engine.calls[1]!.conversation.turns.map((x) => [x.role, x.text])).toEqual([
      ["user", "一つ目の質問"],
      ["assistant", "答え1です"],
      ["user", "二つ目"],
    ]);
    expect(t.engine.calls[1]!.conversation.systemPrompt).toBe("SYS");
    t.input.write("/reset\n");
    await vi.waitFor(() => expect(t.shown().includes("リセット"), `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    t.input.write("三つ目\n");
    await vi.waitFor(() => expect(t.shown().includes("答え1です", t.shown().indexOf("リセット")), `output so far:\n${t.shown()}`).toBeTruthy(), {
      timeout: 5000,
    });
    t.input.end();
    await t.done;
  });

  it("Ctrl-C during an answer cancels that answer; Ctrl-C at the prompt exits", async () => {
    const t = setup(() => ({ chunks: Array.from({ length: 1000 }, () => "あ"), chunkDelayMs: 5 }));
    t.input.write("長い話をして\n");
    await vi.waitFor(() => expect(t.shown().includes("ああ"), `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    t.input.write("\x03");
    await vi.waitFor(() => expect(t.shown().includes(messages.cutByCancel), `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    expect(t.engine.calls[0]!.signal?.aborted).toBe(true);
    // Still running: the next question is answered.
    t.input.write("次\n");
    await vi.waitFor(() => expect(t.engine.calls.length === 2, `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    t.input.write("\x03"); // cancels the second answer
    await vi.waitFor(() => expect(t.shown().split(messages.cutByCancel).length === 3, `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    t.input.write("\x03"); // at the prompt: exit
    await t.done;
  });

  it("routes slash commands to the handler and names unknown ones", async () => {
    const seen: string[] = [];
    const t = setup(undefined, async (line, out) => {
      if (!line.startsWith("/probe")) return false;
      seen.push(line);
      out("probe ran");
      return true;
    });
    t.input.write("/probe runs=2\n");
    await vi.waitFor(() => expect(t.shown().includes("probe ran"), `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    t.input.write("/nope\n");
    await vi.waitFor(() => expect(t.shown().includes("不明なコマンド: /nope"), `output so far:\n${t.shown()}`).toBeTruthy(), { timeout: 5000 });
    expect(seen).toEqual(["/probe runs=2"]);
    expect(t.engine.calls).toHaveLength(0);
    t.input.write("/exit\n");
    await t.done;
  });

  it("tells the user when the engine fails instead of staying silent", async () => {
    const t = setup(() => ({ chunks: [], fail: new Error("GPU fell off") }));
    t.input.write("質問\n");
    await vi.waitFor(
      () =>
        expect(
          t.shown().includes(`(${messages.engineError})`) && t.shown().includes("(engine error: GPU fell off)"),
          `output so far:\n${t.shown()}`,
        ).toBeTruthy(),
      { timeout: 5000 },
    );
    t.input.end();
    await t.done;
  });
});
