// /probe typed in the terminal, with the real probe runner, suite file and graders behind the real
// queue; a scripted engine answers (the engine is not under test here).

import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { consoleProbeCommand } from "../../../src/chat/console/probe-command.js";
import { ProbeChat } from "../../../src/core/probe-chat.js";
import { saveChart, saveTranscript } from "../../../src/app/probe-service.js";
import { PNG } from "pngjs";
import { chartSize } from "../../../src/probe/report/chart.js";
import { InferenceQueue } from "../../../src/inference/queue.js";
import { makeGrader } from "../../../src/probe/graders/index.js";
import { ProbeHistory } from "../../../src/probe/history-store.js";
import { ProbeRunner } from "../../../src/probe/runner.js";
import { loadSuite } from "../../../src/probe/suite-loader.js";
import { ScriptedEngine } from "../../helpers/scripted-engine.js";

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-console-probe-"));
  // Right about Sally, wrong elsewhere.
  const engine = new ScriptedEngine(2, (o) => ({
    chunks: o.conversation.turns.at(-1)!.text.includes("サリー") ? ["サリーは", "かごを探します。"] : ["わかりません。"],
    chunkDelayMs: 1,
  }));
  const queue = new InferenceQueue(engine, {
    sampling: { temperature: 0.6, topP: 0.9, maxTokens: 100 },
    maxWaiting: 10,
    maxPerUser: 3,
    timeouts: { queueWaitMs: 60_000, firstTokenMs: 60_000, totalMs: 60_000 },
  });
  const grade = makeGrader("rule");
  const history = new ProbeHistory(dir);
  const runner = new ProbeRunner({
    queue,
    loadSuite: (name) => loadSuite(name, "config/probes"),
    grade: (test, answer) => grade(test, answer),
    modelName: "scripted.gguf",
    history,
    defaultSuite: "seed",
    warn: () => {},
  });
  const lines: string[] = [];
  const probeChat = new ProbeChat({ probe: runner, core: { isProbeAdmin: () => false }, defaultSuite: "seed", historyCount: 10 });
  const handler = consoleProbeCommand(
    probeChat,
    (result) => saveTranscript(dir, result),
    (chart) => saveChart(dir, chart),
  );
  const say = (line: string) => handler(line, (t) => lines.push(t), new AbortController().signal);
  return { say, lines, engine, history };
}

describe("/probe in the terminal", () => {
  it("runs the seed suite, prints progress and the report, saves the transcript, keeps history", async () => {
    const t = setup();
    expect(await t.say("/probe 2")).toBe(true);
    const report = t.lines.find((l) => l.startsWith("プローブ seed"))!;
    expect(report).toContain("心のモデル 2/2");
    expect(report).toContain("国語の問題 0/2");
    expect(report).toContain("モンティ・ホール問題 0/2");
    expect(t.lines.some((l) => l.includes("6/6"))).toBe(true); // the progress line reached the end
    const saved = t.lines.find((l) => l.startsWith("記録: "))!.slice("記録: ".length);
    expect(readFileSync(saved, "utf8")).toContain("サリーはかごを探します。");
    expect(t.engine.calls).toHaveLength(6);

    await t.say("/probe history");
    expect(t.lines.at(-2)).toMatch(/心のモデル\s+2\/2/);
    // The chart is saved to a file in the terminal.
    const chart = t.lines.at(-1)!;
    expect(chart).toMatch(/^グラフ: .*charts\/probe-history-seed\.png$/);
    const png = PNG.sync.read(readFileSync(chart.slice("グラフ: ".length)));
    expect({ width: png.width, height: png.height }).toEqual(chartSize(3));
    await t.history[Symbol.asyncDispose]();
  });

  it("answers help, cancel with nothing running, bad words, and leaves other lines alone", async () => {
    const t = setup();
    await t.say("/probe help");
    expect(t.lines.at(-1)).toContain("/probe cancel");
    await t.say("/probe cancel");
    expect(t.lines.at(-1)).toBe("実行中のプローブはありません。");
    await t.say("/probe runs=0");
    expect(t.lines.at(-1)).toContain("runs=0");
    expect(await t.say("/reset")).toBe(false);
    expect(await t.say("/prober")).toBe(false);
    await t.history[Symbol.asyncDispose]();
  });
});
