// The rules of the answer buttons (who may do what, when), decided once for every platform.

import { describe, expect, it } from "vitest";
import { actionNotices, type AnswerClick, type AnswerRecord, decideClick, newSeed } from "../../src/core/answer-actions.js";
import type { AccessConfig } from "../../src/core/access.js";

const access: AccessConfig = { allowedChannels: [], allowedUsers: [], allowedRoles: [], probeAdmins: ["UADMIN", "discord:900"], ratePerMinute: 0 };

function record(phase: AnswerRecord["phase"]): AnswerRecord {
  return {
    answerId: "a1",
    userKey: "slack:U1",
    channelKey: "slack:C1",
    sourceKey: "slack:C1:1.0",
    conversation: null,
    seed: 7,
    sampling: undefined,
    text: "回答",
    phase,
    stop: () => {},
  };
}

const click = (action: AnswerClick["action"], userId = "U1", platform = "slack", roleIds: string[] = []): AnswerClick => ({
  answerId: "a1",
  action,
  clicker: { platform, userId, roleIds },
  channelId: "C1",
});

describe("decideClick", () => {
  it("lets the asker stop a streaming answer and regenerate a finished one", () => {
    expect(decideClick(record("streaming"), click("stop"), access).kind).toBe("stop");
    expect(decideClick(record("finished"), click("regenerate"), access).kind).toBe("regenerate");
  });

  it("refuses Stop and Regenerate to anyone else, and lets admins (users or roles) do both", () => {
    expect(decideClick(record("streaming"), click("stop", "U2"), access)).toEqual({ kind: "refuse", notice: actionNotices.notYours });
    expect(decideClick(record("finished"), click("regenerate", "U2"), access)).toEqual({ kind: "refuse", notice: actionNotices.notYours });
    expect(decideClick(record("streaming"), click("stop", "UADMIN"), access).kind).toBe("stop");
    expect(decideClick(record("finished"), click("regenerate", "5", "discord", ["900"]), access).kind).toBe("regenerate");
    // The same user id on another platform is someone else.
    expect(decideClick(record("streaming"), click("stop", "U1", "discord"), access).kind).toBe("refuse");
  });

  it("says why when the button does not fit the answer's state", () => {
    expect(decideClick(record("finished"), click("stop"), access)).toEqual({ kind: "refuse", notice: actionNotices.alreadyOver });
    expect(decideClick(record("streaming"), click("regenerate"), access)).toEqual({ kind: "refuse", notice: actionNotices.stillStreaming });
    expect(decideClick(record("streaming"), click("up", "U2"), access)).toEqual({ kind: "refuse", notice: actionNotices.notFinished });
    expect(decideClick(undefined, click("down"), access)).toEqual({ kind: "refuse", notice: actionNotices.unknown });
  });

  it("lets anyone vote on a finished answer", () => {
    expect(decideClick(record("finished"), click("down", "U9"), access)).toMatchObject({ kind: "vote", rating: "down" });
    expect(decideClick(record("finished"), click("up", "U9"), access)).toMatchObject({ kind: "vote", rating: "up" });
  });
});

describe("newSeed", () => {
  it("is a positive 31-bit integer, never the seed it must differ from", () => {
    const draws = [0.5, 0.5, 0.25];
    const random = () => draws.shift()!;
    const first = newSeed(() => 0.5);
    expect(Number.isInteger(first) && first >= 1 && first < 2 ** 31).toBe(true);
    const next = newSeed(random, first);
    expect(next).not.toBe(first);
    expect(draws).toEqual([]);
  });
});
