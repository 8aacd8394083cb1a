// The answer journal: every accepted question, in SQLite in the data directory, from the moment it
// is accepted until its final edit has landed. What it holds is what a restarted bot needs to finish
// the job (see recovery.ts): where the answer goes (ReplyAddress), the conversation to answer, the
// reply messages posted so far with the last text sent to each, and whether a platform failure left
// it for a later retry. Writes are synchronous (better-sqlite3), so a row is on disk before the
// platform is asked to show anything; WAL with synchronous=NORMAL survives a killed process (the OS
// still has the pages), which is the failure this is for.

import type Database from "better-sqlite3";
import { openVersionedDatabase } from "../storage/versioned-database.js";
import type { Conversation, SamplingOptions } from "../inference/types.js";
import type { ReplyAddress } from "./types.js";

export const JOURNAL_FILE = "journal.sqlite";
/** Finished rows are kept this long (they also stop a redelivered event from being answered twice). */
export const KEEP_FINISHED_MS = 24 * 60 * 60 * 1000;

export type JournalState = "open" | "done" | "failed";

export interface JournalMessage {
  readonly id: string;
  /** The last text sent to it (sent, not necessarily confirmed: the call may have been cut off). */
  readonly text: string;
}

export interface JournalEntry {
  /** The question's sourceKey ("discord:…", "slack:…"). */
  readonly key: string;
  readonly address: ReplyAddress;
  readonly conversation: Conversation;
  /** Lines shown under the answer that the conversation does not say (what the attachments left out). */
  readonly notes: readonly string[];
  /** The sampling it was asked with; undefined for an entry written before the journal kept it. */
  readonly sampling: JournaledSampling | undefined;
  readonly userKey: string;
  readonly channelKey: string;
  readonly state: JournalState;
  readonly acceptedAt: number;
  /** Reply messages in posting order. */
  readonly messages: readonly JournalMessage[];
  /** Failed deliveries so far (retries from the journal). */
  readonly attempts: number;
  /** Set when a platform failure left the entry for a retry: not before this time. */
  readonly retryAt: number | null;
  /** When the platform first failed this entry (the retries are bounded from here). */
  readonly failingSince: number | null;
}

export interface NewEntry {
  readonly key: string;
  readonly address: ReplyAddress;
  readonly conversation: Conversation;
  readonly sampling?: JournaledSampling;
  readonly userKey: string;
  readonly channelKey: string;
}

const SCHEMA_V1 = `
CREATE TABLE questions (
  key           TEXT    PRIMARY KEY,
  address       TEXT    NOT NULL,
  conversation  TEXT    NOT NULL,
  user_key      TEXT    NOT NULL,
  channel_key   TEXT    NOT NULL,
  state         TEXT    NOT NULL,
  accepted_at   INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  retry_at      INTEGER,
  failing_since INTEGER,
  outcome       TEXT
);
CREATE INDEX questions_by_state ON questions (state, retry_at);
CREATE TABLE replies (
  key        TEXT    NOT NULL REFERENCES questions (key) ON DELETE CASCADE,
  part       INTEGER NOT NULL,
  message_id TEXT    NOT NULL,
  text       TEXT    NOT NULL,
  PRIMARY KEY (key, part)
);
`;

// v2: the notes shown under the answer (what the attachments left out) and the sampling the answer
// was asked with (a channel's, or the pane's context channel's), so a replay shows and uses them too.
const SCHEMA_V2 = `
ALTER TABLE questions ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE questions ADD COLUMN sampling TEXT;
`;

/** The sampling an answer overrides (chat.channels); null: the configured defaults. */
export type JournaledSampling = Omit<SamplingOptions, "seed"> | null;

interface QuestionRow {
  key: string;
  address: string;
  conversation: string;
  user_key: string;
  channel_key: string;
  state: JournalState;
  accepted_at: number;
  attempts: number;
  retry_at: number | null;
  failing_since: number | null;
  notes: string;
  sampling: string | null;
}

export interface JournalOptions {
  readonly now?: () => number;
  /** Wait before the first retry of a failed delivery; doubled per attempt (default 5 s). */
  readonly retryBaseMs?: number;
  /** At most this long between retries (default 60 s). */
  readonly retryMaxMs?: number;
}

export class Journal {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  /** Opens (creating the directory, file and schema when missing) `dataDirectory/journal.sqlite`. */
  constructor(dataDirectory: string, options: JournalOptions = {}) {
    ({ db: this.db, path: this.path } = openVersionedDatabase({
      directory: dataDirectory,
      file: JOURNAL_FILE,
      what: "the answer journal",
      steps: [SCHEMA_V1, SCHEMA_V2],
      foreignKeys: true,
    }));
    this.now = options.now ?? (() => Date.now());
    this.retryBaseMs = options.retryBaseMs ?? 5_000;
    this.retryMaxMs = options.retryMaxMs ?? 60_000;
  }

  /** Records a newly accepted question; false when the key is already known (not to be answered twice). */
  accept(entry: NewEntry): boolean {
    const now = this.now();
    const result = this.db
      .prepare(
        `INSERT OR IGNORE INTO questions (key, address, conversation, user_key, channel_key, state, accepted_at, updated_at, sampling)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      )
      .run(
        entry.key,
        JSON.stringify(entry.address),
        JSON.stringify(entry.conversation),
        entry.userKey,
        entry.channelKey,
        now,
        now,
        JSON.stringify(entry.sampling ?? null),
      );
    return result.changes === 1;
  }

  /**
   * The conversation of `key`, complete once its history and attachments were read (accept() records
   * the question alone), with the notes that go under its answer.
   */
  conversation(key: string, conversation: Conversation, notes: readonly string[] = []): void {
    this.db.prepare("UPDATE questions SET conversation = ?, notes = ? WHERE key = ?").run(JSON.stringify(conversation), JSON.stringify(notes), key);
  }

  has(key: string): boolean {
    return this.db.prepare("SELECT 1 FROM questions WHERE key = ?").get(key) !== undefined;
  }

  /** Reply message number `part` of the answer was posted (or adopted) as `id`, showing `text`. */
  posted(key: string, part: number, id: string, text: string): void {
    this.db.prepare("INSERT OR REPLACE INTO replies (key, part, message_id, text) VALUES (?, ?, ?, ?)").run(key, part, id, text);
    this.touch(key);
  }

  /** An edit of message `id` is being sent with `text`. */
  shown(key: string, id: string, text: string): void {
    this.db.prepare("UPDATE replies SET text = ? WHERE key = ? AND message_id = ?").run(text, key, id);
  }

  /** The answer is in progress in this process again (a retry or replay took it): not due for a retry. */
  resume(key: string): void {
    this.db.prepare("UPDATE questions SET retry_at = NULL, updated_at = ? WHERE key = ?").run(this.now(), key);
  }

  /** The answer ended visibly (answered, refused by the engine, cancelled, ended with a marker). */
  done(key: string, outcome: string): void {
    this.finish(key, "done", outcome);
  }

  /** Given up on: nothing more will be tried. */
  failed(key: string, outcome: string): void {
    this.finish(key, "failed", outcome);
  }

  /** A platform failure: try again later, backing off exponentially with the number of failures. */
  defer(key: string, reason: string): void {
    const now = this.now();
    const attempts = (this.db.prepare("SELECT attempts FROM questions WHERE key = ?").get(key) as { attempts: number } | undefined)?.attempts ?? 0;
    const wait = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(attempts, 20));
    this.db
      .prepare(
        `UPDATE questions SET attempts = attempts + 1, retry_at = ?, failing_since = COALESCE(failing_since, ?), outcome = ?, updated_at = ?
         WHERE key = ?`,
      )
      .run(now + wait, now, reason, now, key);
  }

  get(key: string): JournalEntry | undefined {
    const row = this.db.prepare("SELECT * FROM questions WHERE key = ?").get(key) as QuestionRow | undefined;
    return row ? this.entry(row) : undefined;
  }

  /** Every entry not finished, oldest first (at start-up: everything the previous process left). */
  unfinished(): JournalEntry[] {
    const rows = this.db.prepare("SELECT * FROM questions WHERE state = 'open' ORDER BY accepted_at, key").all() as QuestionRow[];
    return rows.map((row) => this.entry(row));
  }

  /** Open entries whose retry time has come. */
  due(now = this.now()): JournalEntry[] {
    const rows = this.db
      .prepare("SELECT * FROM questions WHERE state = 'open' AND retry_at IS NOT NULL AND retry_at <= ? ORDER BY retry_at, key")
      .all(now) as QuestionRow[];
    return rows.map((row) => this.entry(row));
  }

  /** The earliest retry time among open entries, or null. */
  nextRetryAt(): number | null {
    const row = this.db.prepare("SELECT MIN(retry_at) AS at FROM questions WHERE state = 'open' AND retry_at IS NOT NULL").get() as { at: number | null };
    return row.at;
  }

  /** Deletes finished entries last touched more than `keepMs` ago; returns how many. */
  prune(keepMs = KEEP_FINISHED_MS): number {
    return this.db.prepare("DELETE FROM questions WHERE state != 'open' AND updated_at < ?").run(this.now() - keepMs).changes;
  }

  /** Closes the database; a second call does nothing. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private finish(key: string, state: JournalState, outcome: string): void {
    this.db.prepare("UPDATE questions SET state = ?, outcome = ?, retry_at = NULL, updated_at = ? WHERE key = ?").run(state, outcome, this.now(), key);
  }

  private touch(key: string): void {
    this.db.prepare("UPDATE questions SET updated_at = ? WHERE key = ?").run(this.now(), key);
  }

  private entry(row: QuestionRow): JournalEntry {
    const messages = this.db.prepare("SELECT message_id AS id, text FROM replies WHERE key = ? ORDER BY part").all(row.key) as JournalMessage[];
    return {
      key: row.key,
      address: JSON.parse(row.address) as ReplyAddress,
      conversation: JSON.parse(row.conversation) as Conversation,
      notes: JSON.parse(row.notes) as string[],
      sampling: row.sampling === null ? undefined : (JSON.parse(row.sampling) as JournaledSampling),
      userKey: row.user_key,
      channelKey: row.channel_key,
      state: row.state,
      acceptedAt: row.accepted_at,
      messages,
      attempts: row.attempts,
      retryAt: row.retry_at,
      failingSince: row.failing_since,
    };
  }
}
