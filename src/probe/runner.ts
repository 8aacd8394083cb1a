// The probe service of the process: checks a request (plan.ts), runs one probe at a time
// (active-probe.ts: the runs through the shared queue, grading, result, history) — a second request
// joins the running one — and reads the stored history back for `/probe history`.

import { ActiveProbe } from "./active-probe.js";
import { planProbe, type Plan } from "./plan.js";
import { readHistory } from "./run-history.js";
import type { ProbeRunnerOptions } from "./runner-options.js";
import type { HistoryChart, ProbeRunHandle, ProbeRunOptions, ProbeService, TestHistory } from "./types.js";

export class ProbeRunner implements ProbeService {
  private current: ActiveProbe | undefined;

  constructor(private readonly options: ProbeRunnerOptions) {}

  /** True while a probe runs. */
  get running(): boolean {
    return this.current !== undefined;
  }

  run(options: ProbeRunOptions, _requestedBy: string): ProbeRunHandle {
    // Only one probe at a time: a second request watches the first (its own options are ignored).
    if (this.current) return this.current.handle(true);
    let plan: Plan;
    try {
      const { loadSuite, defaultSuite, openCompare, prepareSuite } = this.options;
      plan = planProbe(options, { loadSuite, defaultSuite, canCompare: openCompare !== undefined, canReadDatasets: prepareSuite !== undefined });
    } catch (err) {
      const result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      return { joined: false, onProgress: () => () => {}, result };
    }
    const probe = new ActiveProbe(plan, this.options, () => {
      if (this.current === probe) this.current = undefined;
    });
    this.current = probe;
    probe.start();
    return probe.handle(false);
  }

  cancel(): boolean {
    if (!this.current) return false;
    this.current.cancel();
    return true;
  }

  history(suite: string | undefined, perTest: number): TestHistory[] {
    return readHistory(this.options.loadSuite(suite ?? this.options.defaultSuite), this.options.history, perTest);
  }

  async historyChart(suite: string | undefined, perTest: number): Promise<HistoryChart> {
    const name = this.options.loadSuite(suite ?? this.options.defaultSuite).name;
    // Loaded on first use: the chart libraries are not needed to run probes.
    const { chartFileName, renderHistoryPng } = await import("./report/chart.js");
    return { suite: name, fileName: chartFileName(name), png: renderHistoryPng(name, this.history(name, perTest)) };
  }
}
