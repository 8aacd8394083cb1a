import { describe, expect, it } from "vitest";
import { type AccessConfig, checkAccess, isProbeAdmin } from "../../src/core/access.js";
import { ChannelPacer } from "../../src/core/channel-pacer.js";
import { messages } from "../../src/core/messages.js";
import { RateLimiter } from "../../src/core/rate-limit.js";
import type { Asker } from "../../src/core/types.js";

const OPEN: AccessConfig = { allowedChannels: [], allowedUsers: [], allowedRoles: [], probeAdmins: [], ratePerMinute: 10 };
const alice: Asker = { platform: "discord", userId: "111", roleIds: ["r-dev"] };
const bob: Asker = { platform: "slack", userId: "U222", roleIds: [] };

describe("access", () => {
  it("lets everyone in everywhere when the lists are empty", () => {
    expect(checkAccess(OPEN, alice, "c1")).toEqual({ ok: true });
    expect(checkAccess(OPEN, bob, "D123")).toEqual({ ok: true });
  });

  it("refuses channels not listed, with a Japanese reason", () => {
    const config = { ...OPEN, allowedChannels: ["c1", "slack:C9"] };
    expect(checkAccess(config, alice, "c1").ok).toBe(true);
    expect(checkAccess(config, bob, "C9").ok).toBe(true); // namespaced id
    expect(checkAccess(config, alice, "c2")).toEqual({ ok: false, reason: messages.channelNotAllowed });
  });

  it("passes a user listed by id OR by one of their roles", () => {
    const config = { ...OPEN, allowedUsers: ["U222"], allowedRoles: ["r-dev"] };
    expect(checkAccess(config, alice, "c").ok).toBe(true); // by role
    expect(checkAccess(config, bob, "c").ok).toBe(true); // by id
    const carol: Asker = { platform: "discord", userId: "333", roleIds: ["r-other"] };
    expect(checkAccess(config, carol, "c")).toEqual({ ok: false, reason: messages.userNotAllowed });
  });

  it("makes nobody a probe admin by default; lists users or roles", () => {
    expect(isProbeAdmin(OPEN, alice)).toBe(false);
    expect(isProbeAdmin({ ...OPEN, probeAdmins: ["r-dev"] }, alice)).toBe(true);
    expect(isProbeAdmin({ ...OPEN, probeAdmins: ["slack:U222"] }, bob)).toBe(true);
    expect(isProbeAdmin({ ...OPEN, probeAdmins: ["U222"] }, alice)).toBe(false);
  });
});

describe("RateLimiter", () => {
  it("allows perMinute in any sliding minute and says when to retry", () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    expect(limiter.take("u").ok).toBe(true);
    now = 20_000;
    expect(limiter.take("u").ok).toBe(true);
    expect(limiter.take("u").ok).toBe(true);
    expect(limiter.take("u")).toEqual({ ok: false, retryAfterMs: 40_000 }); // the first leaves the window at 60 s
    expect(limiter.take("other").ok).toBe(true); // per user
    now = 60_001;
    expect(limiter.take("u").ok).toBe(true);
    expect(limiter.take("u").ok).toBe(false);
  });

  it("is off at 0", () => {
    const limiter = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(limiter.take("u").ok).toBe(true);
  });

  it("forgets idle users so memory stays bounded", () => {
    let now = 0;
    const limiter = new RateLimiter(1, () => now);
    for (let i = 0; i < 5000; i++) limiter.take(`u${i}`);
    now = 120_000;
    limiter.take("late");
    expect(limiter.size).toBeLessThan(10);
  });
});

describe("ChannelPacer", () => {
  it("gives one edit slot per interval per channel; a forced edit takes the slot anyway", () => {
    let now = 0;
    const pacer = new ChannelPacer(1000, () => now);
    expect(pacer.take("c1")).toBe(0);
    expect(pacer.take("c1")).toBe(1000);
    expect(pacer.take("c2")).toBe(0); // another channel has its own budget
    now = 400;
    expect(pacer.take("c1")).toBe(600);
    expect(pacer.take("c1", true)).toBe(0); // final edit goes through…
    expect(pacer.take("c1")).toBe(1600); // …and pushes the next slot back
    now = 2000;
    expect(pacer.take("c1")).toBe(0);
  });
});
