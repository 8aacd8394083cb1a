// The bench's paired estimator: round r of elyza-bot against round r of llama-server, the median
// of those ratios — so one noisy round moves one ratio, not the figure; and who goes first in a pair.

import { describe, expect, it } from "vitest";
import { loadOrders, pairOrder, pairedRatios } from "../../src/bench/anchor.js";
import { concurrentFigures, median, type Timed } from "../../src/bench/workload.js";

/** One round of `n` requests: each `tokens` long, first token at `first` ms, done at `end` ms. */
const round = (n: number, tokens: number, first: number, end: number): Timed[] =>
  Array.from({ length: n }, () => ({ tokens, firstTokenMs: first, endMs: end }));

describe("median", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe("pairedRatios", () => {
  it("gives each figure's median ratio over rounds run back to back", () => {
    // elyza-bot twice as fast to decode in every round; llama-server's third round hit by noise.
    const ours = [round(2, 101, 10, 1010), round(2, 101, 10, 1010), round(2, 101, 10, 1010)];
    const server = [round(2, 101, 20, 2020), round(2, 101, 20, 2020), round(2, 101, 20, 20020)];
    const paired = pairedRatios(ours, server);
    expect(paired.decodeTokensPerSecond).toBeCloseTo(2, 5);
    expect(paired.slowestFirstTokenMs).toBeCloseTo(0.5, 5);
    // Pooled, the one slow round drags the ratio far from what two rounds of three said.
    const pooled = concurrentFigures(ours).decodeTokensPerSecond / concurrentFigures(server).decodeTokensPerSecond;
    expect(pooled).toBeGreaterThan(5);
  });

  it("pairs only the rounds both sides ran", () => {
    const paired = pairedRatios([round(1, 11, 5, 105), round(1, 11, 5, 55)], [round(1, 11, 5, 105)]);
    expect(paired.decodeTokensPerSecond).toBeCloseTo(1, 5);
  });
});

describe("pairOrder", () => {
  it("lets each side go first in every other round, both sides once per round", () => {
    const orders = [0, 1, 2, 3].map((round) => pairOrder(round));
    expect(orders.map((order) => order[0])).toEqual(["elyza-bot", "llama-server", "elyza-bot", "llama-server"]);
    for (const order of orders) expect([...order].sort()).toEqual(["elyza-bot", "llama-server"]);
  });
});

describe("loadOrders", () => {
  it("splits the rounds in two sessions, each side loaded first in one, every round run once", () => {
    const sessions = loadOrders(6);
    expect(sessions.map((session) => session.first)).toEqual(["elyza-bot", "llama-server"]);
    expect(sessions.flatMap((session) => session.rounds)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sessions.map((session) => session.rounds.length)).toEqual([3, 3]);
  });

  it("keeps an odd round in the first session, and one round in one session", () => {
    expect(loadOrders(5).map((session) => session.rounds)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(loadOrders(1)).toEqual([{ first: "elyza-bot", rounds: [0] }]);
  });
});
