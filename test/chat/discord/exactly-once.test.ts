// Exactly once across lost responses and 5xx bursts on Discord: real discord.js against the fake,
// which stores a message and then answers 500 (a lost response), or fails a run of requests.

import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../../fakes/discord/harness.js";

let h: Harness | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const POST = /^\/channels\/\d+\/messages$/;
const PATCH = /^\/channels\/\d+\/messages\/\d+$/;
// Short waits between the reply channel's retries keep the tests quick; the logic is the same.
const restRetry = { delaysMs: [20, 40, 80, 160] };

function ask(h: Harness, text: string) {
  const { fake } = h;
  return fake.say({ channel: fake.world.channels.general, author: fake.world.users.alice, content: `<@${fake.world.bot.id}> ${text}` });
}

describe("Discord: exactly once", () => {
  it("a create whose response is lost (stored, then 500) is retried with the same nonce and gives one message", async () => {
    h = await startHarness({ script: () => ({ chunks: ["一度だけ", "届きます。"], chunkDelayMs: 30 }), adapter: { restRetry } });
    const { fake } = h;
    fake.fault({ method: "POST", path: POST, applied: true, status: 500, count: 1 });
    const question = ask(h, "テスト");
    const [outcome] = await h.settled(1);

    expect(outcome).toMatchObject({ kind: "answered", text: "一度だけ届きます。", messages: 1 });
    const posts = fake.requestsTo("POST", POST);
    expect(posts.map((p) => p.status)).toEqual([500, 200]);
    // Both tries carried the same nonce with enforce_nonce: Discord returned the first message.
    expect(posts[0]!.body).toMatchObject({ nonce: `${question.id}.0`, enforce_nonce: true });
    expect(posts[1]!.body.nonce).toBe(posts[0]!.body.nonce);
    const replies = fake.botMessages();
    expect(replies).toHaveLength(1);
    expect(replies[0]!.content).toBe("一度だけ届きます。");
    expect(replies[0]!.message_reference?.message_id).toBe(question.id);
  });

  it("every part of a long answer has its own nonce, so a lost response on a continuation does not double it", async () => {
    const paragraph = "あ".repeat(900) + "\n\n";
    h = await startHarness({ script: () => ({ chunks: [paragraph, paragraph, paragraph], chunkDelayMs: 30 }), adapter: { restRetry } });
    const { fake } = h;
    const question = ask(h, "長く");
    // The second create (the first continuation) is stored and its response lost.
    await fake.waitFor(() => fake.requestsTo("POST", POST).length >= 1, 5_000, "the placeholder");
    fake.fault({ method: "POST", path: POST, applied: true, status: 500, count: 1 });
    const [outcome] = await h.settled(1);
    expect(outcome?.kind).toBe("answered");
    const parts = fake.botMessages();
    expect(parts.map((p) => p.content).join("")).toBe(paragraph.repeat(3));
    const nonces = fake.requestsTo("POST", POST).map((p) => p.body.nonce as string);
    expect(new Set(nonces).size).toBe(parts.length);
    expect(nonces[0]).toBe(`${question.id}.0`);
  });

  it("a 5xx burst longer than discord.js's own (immediate) retries is outlasted by the reply channel's backoff", async () => {
    h = await startHarness({ script: () => ({ chunks: ["障害の", "あとで", "届きます。"], chunkDelayMs: 30 }), adapter: { restRetry } });
    const { fake } = h;
    // discord.js tries 4 times at once; 6 failures need the reply channel's second round.
    fake.fault({ method: "POST", path: POST, applied: false, status: 502, count: 6 });
    ask(h, "テスト");
    const [outcome] = await h.settled(1);
    expect(outcome).toMatchObject({ kind: "answered", text: "障害のあとで届きます。" });
    const statuses = fake.requestsTo("POST", POST).map((p) => p.status);
    expect(statuses).toEqual([502, 502, 502, 502, 502, 502, 200]);
    // The second round waited (discord.js's four tries come back to back).
    const posts = fake.requestsTo("POST", POST);
    expect(posts[4]!.at - posts[3]!.at).toBeGreaterThanOrEqual(restRetry.delaysMs[0]!);
    expect(fake.botMessages().map((m) => m.content)).toEqual(["障害のあとで届きます。"]);
  });

  it("lost responses on edits are harmless: the edit is sent again with the whole text", async () => {
    h = await startHarness({ script: () => ({ chunks: ["編集が", "失われても", "最後まで届きます。"], chunkDelayMs: 120 }), adapter: { restRetry } });
    const { fake } = h;
    fake.fault({ method: "PATCH", path: PATCH, applied: true, status: 500, count: 5 });
    ask(h, "テスト");
    const [outcome] = await h.settled(1);
    expect(outcome).toMatchObject({ kind: "answered", text: "編集が失われても最後まで届きます。" });
    expect(fake.requestsTo("PATCH", PATCH).filter((r) => r.status === 500)).toHaveLength(5);
    expect(fake.botMessages().map((m) => m.content)).toEqual(["編集が失われても最後まで届きます。"]);
  });

  it("a 4xx (Discord refused the request) is not retried: it would fail the same way", async () => {
    h = await startHarness({ script: () => ({ chunks: ["届かない"] }), adapter: { restRetry } });
    const { fake } = h;
    fake.fault({ method: "POST", path: POST, applied: false, status: 403 });
    ask(h, "テスト");
    const [outcome] = await h.settled(1);
    expect(outcome).toMatchObject({ kind: "failed" });
    expect(fake.requestsTo("POST", POST)).toHaveLength(1);
  });
});
