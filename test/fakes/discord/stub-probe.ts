// A ProbeService whose progress and result the test drives, for the /probe door of the adapter
// (the probe runner itself is tested elsewhere).

import type { ProbeProgress, ProbeResult, ProbeRunHandle, ProbeRunOptions, ProbeService, TestHistory } from "../../../src/probe/types.js";

export class StubProbe implements ProbeService {
  readonly runs: { options: ProbeRunOptions; requestedBy: string }[] = [];
  cancels = 0;
  readonly #listeners = new Set<(p: ProbeProgress) => void>();
  #settle: { resolve(r: ProbeResult): void; reject(e: Error): void } | undefined;
  #result: Promise<ProbeResult> | undefined;

  run(options: ProbeRunOptions, requestedBy: string): ProbeRunHandle {
    this.runs.push({ options, requestedBy });
    const joined = this.#result !== undefined;
    this.#result ??= new Promise<ProbeResult>((resolve, reject) => (this.#settle = { resolve, reject }));
    return {
      joined,
      onProgress: (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      },
      result: this.#result,
    };
  }

  progress(done: number, total = 6): void {
    const perTest = [
      { id: "theory-of-mind", title: "心のモデル", done: Math.min(done, 3), passed: Math.min(done, 3), total: 3 },
      { id: "monty-hall", title: "モンティ・ホール問題", done: Math.max(0, done - 3), passed: 0, total: 3 },
    ];
    for (const l of this.#listeners) l({ done, total, perTest });
  }

  finish(result: ProbeResult = sampleResult()): void {
    this.#settle?.resolve(result);
    this.#result = undefined;
  }

  fail(error: Error): void {
    this.#settle?.reject(error);
    this.#result = undefined;
  }

  cancel(): boolean {
    this.cancels++;
    return this.#result !== undefined;
  }

  history(suite: string | undefined): TestHistory[] {
    return [
      {
        id: "theory-of-mind",
        title: "心のモデル",
        points: [{ probeId: 1, startedAt: "2025-01-01T00:00:00.000Z", model: `model-${suite ?? "default"}`, passed: 10, total: 10 }],
      },
    ];
  }
}

export function sampleResult(): ProbeResult {
  const run = (n: number, pass: boolean) => ({
    run: n,
    seed: 100 + n,
    pass,
    reason: pass ? "かごと答えた" : "箱と答えた",
    answer: pass ? "サリーはかごを探します。" : "サリーは箱を探します。",
    tokens: 12,
    durationMs: 50,
    stopReason: "done",
  });
  return {
    suite: "seed",
    model: "scripted",
    runs: 3,
    startedAt: "2025-01-02T03:04:05.000Z",
    durationMs: 1234,
    tokensPerSecond: 42,
    cancelled: false,
    settings: { temperature: 0.6, topP: 0.9, maxTokens: 1200, grading: "rule" },
    tests: [
      {
        id: "theory-of-mind",
        title: "心のモデル",
        passed: 2,
        total: 3,
        ci95: [0.21, 0.94],
        baseline: { passed: 10, total: 10 },
        results: [run(1, true), run(2, true), run(3, false)],
      },
    ],
  };
}
