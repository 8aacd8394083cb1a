// The last probe's tallies per test as gauges, recorded once per run even when a second request
// joined it, and replaced by the next run.

import { describe, expect, it } from "vitest";
import { BotMetrics } from "../../src/metrics/bot-metrics.js";
import { instrumentProbe } from "../../src/metrics/probe-metrics.js";
import { sampleResult, StubProbe } from "../fakes/discord/stub-probe.js";
import { Scrape } from "../helpers/prometheus.js";

describe("instrumentProbe", () => {
  it("sets elyza_probe_passed / elyza_probe_runs per test from the last finished run", async () => {
    const stub = new StubProbe();
    const metrics = new BotMetrics({ processMetrics: false });
    const probe = instrumentProbe(stub, metrics);
    const first = probe.run({}, "U1");
    const joined = probe.run({}, "U2");
    expect(joined.joined).toBe(true);
    const result = sampleResult();
    stub.finish(result);
    await Promise.all([first.result, joined.result]);
    await Promise.resolve();
    const m = new Scrape((await metrics.render()).body);
    for (const test of result.tests) {
      expect(m.value("elyza_probe_passed", { suite: result.suite, test: test.id })).toBe(test.passed);
      expect(m.value("elyza_probe_runs", { suite: result.suite, test: test.id })).toBe(test.total);
    }
    expect(m.family("elyza_probe_passed")?.metrics).toHaveLength(result.tests.length);

    const next = probe.run({}, "U1");
    const changed = { ...result, tests: result.tests.map((t) => ({ ...t, passed: 0 })) };
    stub.finish(changed);
    await next.result;
    await Promise.resolve();
    const after = new Scrape((await metrics.render()).body);
    for (const test of result.tests) expect(after.value("elyza_probe_passed", { suite: result.suite, test: test.id })).toBe(0);
  });
});
