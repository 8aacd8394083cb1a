import { describe, expect, it } from "vitest";
import { parseProbeCommand, PROBE_HELP } from "../../src/probe/command.js";

describe("parseProbeCommand", () => {
  it("runs with defaults when nothing follows /probe", () => {
    expect(parseProbeCommand("")).toEqual({ action: "run", options: {} });
    expect(parseProbeCommand("   ")).toEqual({ action: "run", options: {} });
    expect(parseProbeCommand("/probe")).toEqual({ action: "run", options: {} });
  });

  it("reads a bare count and every key", () => {
    expect(parseProbeCommand("5")).toEqual({ action: "run", options: { runs: 5 } });
    expect(parseProbeCommand("runs=5 tests=reading,monty-hall suite=seed judge")).toEqual({
      action: "run",
      options: { runs: 5, tests: ["reading", "monty-hall"], suite: "seed", grading: "judge" },
    });
    expect(parseProbeCommand("run n=3 test=reading grading=rule")).toEqual({ action: "run", options: { runs: 3, tests: ["reading"], grading: "rule" } });
    expect(parseProbeCommand("RUNS=2 Rule")).toEqual({ action: "run", options: { runs: 2, grading: "rule" } });
    expect(parseProbeCommand("tests=reading,reading")).toEqual({ action: "run", options: { tests: ["reading"] } });
  });

  it("accepts full-width input from a Japanese IME", () => {
    expect(parseProbeCommand("runs＝５　tests＝reading")).toEqual({ action: "run", options: { runs: 5, tests: ["reading"] } });
  });

  it("knows cancel, history and help", () => {
    expect(parseProbeCommand("cancel")).toEqual({ action: "cancel" });
    expect(parseProbeCommand("中止")).toEqual({ action: "cancel" });
    expect(parseProbeCommand("history")).toEqual({ action: "history" });
    expect(parseProbeCommand("history suite=seed 5")).toEqual({ action: "history", suite: "seed", count: 5 });
    expect(parseProbeCommand("help")).toEqual({ action: "help" });
    expect(parseProbeCommand("HELP")).toEqual({ action: "help" });
    expect(PROBE_HELP).toContain("/probe cancel");
  });

  it("limits runs to 1–100 from chat", () => {
    expect(parseProbeCommand("100")).toEqual({ action: "run", options: { runs: 100 } });
    expect(parseProbeCommand("101")).toEqual({ action: "error", message: "「101」: 回数は 1〜100 の整数で指定してください" });
    expect(parseProbeCommand("runs=0")).toEqual({ action: "error", message: "「runs=0」: 回数は 1〜100 の整数で指定してください" });
    expect(parseProbeCommand("runs=500", { maxRuns: 1000 })).toEqual({ action: "run", options: { runs: 500 } });
  });

  it("takes a suite file name with or without .yaml, as a name in the suites directory", () => {
    expect(parseProbeCommand("suite=team.yaml")).toEqual({ action: "run", options: { suite: "team" } });
    expect(parseProbeCommand("history suite=team.yml")).toEqual({ action: "history", suite: "team" });
  });

  it("names the bad word in a one-line error", () => {
    const cases: [string, string][] = [
      ["runs=5 frobnicate", "「frobnicate」: 分からない指定です（使い方は /probe help）"],
      ["runs=abc", "「runs=abc」: 回数は 1〜100 の整数で指定してください"],
      ["5 runs=6", "「runs=6」: 回数が二度指定されています"],
      ["tests=", "「tests=」: tests=id,id の形でテストを指定してください"],
      ["tests=read!ng", "「tests=read!ng」: テスト id「read!ng」に使えない文字があります"],
      ["grading=gpt", "「grading=gpt」: 採点は judge か rule です"],
      ["judge rule", "「rule」: 採点方法が二度指定されています"],
      ["suite=", "「suite=」: suite=名前 の形で指定してください（config/probes のファイル名。パスは使えません）"],
      // Chat never reads a path on the host.
      ["suite=/etc/passwd", "「suite=/etc/passwd」: suite=名前 の形で指定してください（config/probes のファイル名。パスは使えません）"],
      ["suite=../secrets", "「suite=../secrets」: suite=名前 の形で指定してください（config/probes のファイル名。パスは使えません）"],
      ["history suite=a/b", "「suite=a/b」: suite=名前 の形で指定してください（config/probes のファイル名。パスは使えません）"],
      ["cancel now", "「now」: /probe cancel には続けて何も書けません"],
      ["history 0", "「0」: 件数は 1〜50 の整数で指定してください"],
      ["history runs=3", "「runs=3」: 分からない指定です（使い方は /probe help）"],
      ["-5", "「-5」: 分からない指定です（使い方は /probe help）"],
    ];
    for (const [input, message] of cases) {
      const parsed = parseProbeCommand(input);
      expect(parsed, input).toEqual({ action: "error", message });
      expect(message).not.toContain("\n");
    }
  });
});

describe("parseProbeCommand: v2 keys", () => {
  it("reads compare=NAME, passk=K and the dataset suite", () => {
    expect(parseProbeCommand("compare=q8 passk=3 5")).toEqual({ action: "run", options: { compare: "q8", passK: 3, runs: 5 } });
    expect(parseProbeCommand("suite=elyza-tasks-100 judge")).toEqual({ action: "run", options: { suite: "elyza-tasks-100", grading: "judge" } });
  });

  it("refuses a path or URI as compare, a repeated key and a bad k", () => {
    expect(parseProbeCommand("compare=./m.gguf")).toMatchObject({ action: "error", message: expect.stringContaining("パスや URI は使えません") });
    expect(parseProbeCommand("compare=hf:elyza/x/y.gguf")).toMatchObject({ action: "error" });
    expect(parseProbeCommand("compare=a compare=b")).toMatchObject({ action: "error", message: "「compare=b」: compare が二度指定されています" });
    expect(parseProbeCommand("passk=0")).toMatchObject({ action: "error", message: expect.stringContaining("passk は 1〜100") });
  });
});
