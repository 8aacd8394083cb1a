// /probe v2 on Discord: the history chart attached as a PNG, and compare=NAME reaching the probe
// service (a configured name only, never a path), through the real discord.js Client and the fake.

import { PNG } from "pngjs";
import { afterEach, describe, expect, it } from "vitest";
import { chartFileName, chartSize, renderHistoryPng } from "../../../src/probe/report/chart.js";
import type { HistoryChart } from "../../../src/probe/types.js";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";
import { StubProbe } from "../../fakes/discord/stub-probe.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const CALLBACK = /^\/interactions\/\d+\/[^/]+\/callback$/;
const ORIGINAL = /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/;

/** The stub's history, drawn by the real chart renderer. */
class ChartingProbe extends StubProbe {
  async historyChart(suite: string | undefined, perTest: number): Promise<HistoryChart> {
    const name = suite ?? "seed";
    return { suite: name, fileName: chartFileName(name), png: renderHistoryPng(name, this.history(suite).slice(0, perTest)) };
  }
}

function probe(h: Harness, args: string) {
  return h.fake.runCommand({
    user: h.fake.world.users.alice,
    channel: h.fake.world.channels.general,
    name: "probe",
    options: [{ type: 3, name: "args", value: args }],
  });
}

describe("/probe v2 on Discord", () => {
  it("/probe history defers, then shows the trend with the chart attached", async () => {
    h = await startHarness({ probe: new ChartingProbe() });
    const { fake } = h;
    probe(h, "history");
    const callback = await fake.waitFor(() => fake.requestsTo("POST", CALLBACK)[0], 3_000, "the first response");
    expect(callback.body).toMatchObject({ type: 5 });
    const edit = await fake.waitFor(() => fake.requestsTo("PATCH", ORIGINAL).find((r) => r.files.length > 0), 10_000, "the chart");
    expect(edit.body.content).toContain("心のモデル");
    expect(edit.files[0]!.filename).toBe("probe-history-seed.png");
    const png = PNG.sync.read(edit.files[0]!.data);
    expect({ width: png.width, height: png.height }).toEqual(chartSize(1));
  });

  it("passes compare=NAME and passk=K to the probe, and refuses a path", async () => {
    const stub = new StubProbe();
    h = await startHarness({ probe: stub });
    const { fake } = h;
    probe(h, "5 compare=q8 passk=3");
    await fake.waitFor(() => stub.runs.length === 1, 3_000, "the run");
    expect(stub.runs[0]!.options).toEqual({ runs: 5, compare: "q8", passK: 3 });
    stub.finish();
    probe(h, "compare=/etc/passwd");
    const refusal = await fake.waitFor(() => fake.requestsTo("POST", CALLBACK).find((r) => r.body.type === 4), 3_000, "the refusal");
    expect(refusal.body.data.content).toContain("「compare=/etc/passwd」: compare=名前 の形で、設定済みのモデル名を指定してください");
    expect(stub.runs).toHaveLength(1);
  });
});
