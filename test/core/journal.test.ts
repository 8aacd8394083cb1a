// The answer journal on its own: a real SQLite file in a temp directory.

import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Journal, KEEP_FINISHED_MS, type NewEntry } from "../../src/core/journal.js";

const opened: Journal[] = [];
afterEach(async () => {
  for (const j of opened.splice(0)) await j[Symbol.asyncDispose]();
});

function open(dir = mkdtempSync(path.join(os.tmpdir(), "elyza-journal-")), now?: () => number): { journal: Journal; dir: string } {
  const journal = new Journal(dir, { ...(now ? { now } : {}), retryBaseMs: 1_000, retryMaxMs: 8_000 });
  opened.push(journal);
  return { journal, dir };
}

const entry = (key: string): NewEntry => ({
  key,
  address: { platform: "discord", channelId: "1", questionId: key.slice(8) },
  conversation: { systemPrompt: "sys", turns: [{ role: "user", text: "質問" }] },
  userKey: "discord:u1",
  channelKey: "discord:1",
});

describe("Journal", () => {
  it("records a question once; a second accept of the same key is refused", () => {
    const { journal } = open();
    expect(journal.accept(entry("discord:10"))).toBe(true);
    expect(journal.accept(entry("discord:10"))).toBe(false);
    expect(journal.has("discord:10")).toBe(true);
    expect(journal.has("discord:11")).toBe(false);
    expect(journal.get("discord:10")).toMatchObject({ state: "open", messages: [], attempts: 0, retryAt: null, ...entry("discord:10") });
  });

  it("keeps the reply messages in order with the last text sent to each, across reopening the file", async () => {
    const { journal, dir } = open();
    journal.accept(entry("discord:10"));
    journal.posted("discord:10", 0, "m1", "考え中…");
    journal.shown("discord:10", "m1", "前半");
    journal.posted("discord:10", 1, "m2", "後半の途中");
    await journal[Symbol.asyncDispose]();
    opened.length = 0;
    const again = open(dir).journal;
    expect(again.unfinished().map((e) => e.messages)).toEqual([
      [
        { id: "m1", text: "前半" },
        { id: "m2", text: "後半の途中" },
      ],
    ]);
  });

  it("defers with a doubling wait up to the maximum, and lists entries once they are due", () => {
    let now = 1_000_000;
    const { journal } = open(undefined, () => now);
    journal.accept(entry("discord:10"));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      journal.defer("discord:10", "post failed");
      waits.push(journal.get("discord:10")!.retryAt! - now);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(journal.get("discord:10")).toMatchObject({ attempts: 5, failingSince: 1_000_000 });
    expect(journal.due(now)).toEqual([]);
    expect(journal.nextRetryAt()).toBe(now + 8_000);
    now += 8_000;
    expect(journal.due(now).map((e) => e.key)).toEqual(["discord:10"]);
    // Taken by a retry: not due any more while it runs.
    journal.resume("discord:10");
    expect(journal.due(now)).toEqual([]);
  });

  it("finished entries leave the unfinished list and are pruned after a day; open ones never are", () => {
    let now = 5_000_000;
    const { journal } = open(undefined, () => now);
    journal.accept(entry("discord:1"));
    journal.accept(entry("discord:2"));
    journal.accept(entry("discord:3"));
    journal.done("discord:1", "answered");
    journal.failed("discord:2", "gave up");
    expect(journal.unfinished().map((e) => e.key)).toEqual(["discord:3"]);
    now += KEEP_FINISHED_MS - 1;
    expect(journal.prune()).toBe(0);
    now += 2;
    expect(journal.prune()).toBe(2);
    expect(journal.has("discord:1")).toBe(false);
    expect(journal.has("discord:3")).toBe(true);
  });

  it("keeps the notes that go under an answer with its conversation, across reopening the file", async () => {
    const { journal, dir } = open();
    journal.accept(entry("discord:10"));
    expect(journal.get("discord:10")?.notes).toEqual([]);
    const conversation = { systemPrompt: "sys", turns: [{ role: "user" as const, text: "質問\n\n--- memo.txt ---\n本文" }] };
    journal.conversation("discord:10", conversation, ["（添付の big.csv は長すぎるため読んでいません）"]);
    await journal[Symbol.asyncDispose]();
    opened.length = 0;
    expect(open(dir).journal.get("discord:10")).toMatchObject({ conversation, notes: ["（添付の big.csv は長すぎるため読んでいません）"] });
  });

  it("keeps the sampling a question was asked with: a channel's own, or null for the defaults", () => {
    const { journal } = open();
    journal.accept({ ...entry("discord:10"), sampling: { temperature: 0.1, topP: 0.9, maxTokens: 400 } });
    journal.accept({ ...entry("discord:11"), sampling: null });
    expect(journal.get("discord:10")?.sampling).toEqual({ temperature: 0.1, topP: 0.9, maxTokens: 400 });
    expect(journal.get("discord:11")?.sampling).toBeNull();
  });

  it("brings a journal written by the first schema up to date, keeping its rows", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-journal-"));
    const db = new Database(path.join(dir, "journal.sqlite"));
    // The first schema, as files written before the notes column have it.
    db.exec(`CREATE TABLE questions (key TEXT PRIMARY KEY, address TEXT NOT NULL, conversation TEXT NOT NULL, user_key TEXT NOT NULL,
      channel_key TEXT NOT NULL, state TEXT NOT NULL, accepted_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, retry_at INTEGER, failing_since INTEGER, outcome TEXT);
      CREATE INDEX questions_by_state ON questions (state, retry_at);
      CREATE TABLE replies (key TEXT NOT NULL REFERENCES questions (key) ON DELETE CASCADE, part INTEGER NOT NULL,
      message_id TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (key, part));`);
    const old = entry("discord:10");
    db.prepare("INSERT INTO questions VALUES (?, ?, ?, ?, ?, 'open', 1, 1, 0, NULL, NULL, NULL)").run(
      old.key,
      JSON.stringify(old.address),
      JSON.stringify(old.conversation),
      old.userKey,
      old.channelKey,
    );
    db.pragma("user_version = 1");
    db.close();
    const { journal } = open(dir);
    // What v1 did not keep: no notes, and no sampling (a replay then uses the channel's of today).
    expect(journal.unfinished()).toEqual([expect.objectContaining({ ...old, notes: [], sampling: undefined, state: "open" })]);
    const reread = new Database(path.join(dir, "journal.sqlite"), { readonly: true });
    expect(reread.pragma("user_version", { simple: true })).toBe(2);
    reread.close();
  });

  it("refuses a journal file of another schema version, naming the file", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-journal-"));
    const db = new Database(path.join(dir, "journal.sqlite"));
    db.pragma("user_version = 99");
    db.close();
    expect(() => new Journal(dir)).toThrow(/journal\.sqlite has schema version 99, newer than this elyza-bot knows \(2\)/);
  });
});
