// Opens one of the bot's SQLite files in the data directory (the answer journal, the feedback
// store, the probe history): WAL (readers never block the writer, a crash loses no committed row),
// the schema created on first use and brought up to date step by step (each step in its own
// transaction, so a file is never left half migrated), and a file written by a newer build
// refused by name rather than misread.

import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export interface VersionedDatabaseOptions {
  readonly directory: string;
  readonly file: string;
  /** What the file is, for messages: "the answer journal". */
  readonly what: string;
  /**
   * The schema as steps: steps[0] creates version 1 on a new file, steps[i] takes a file from
   * version i to i + 1. The current version is steps.length.
   */
  readonly steps: readonly string[];
  readonly foreignKeys?: boolean;
}

export function openVersionedDatabase(options: VersionedDatabaseOptions): { readonly db: Database.Database; readonly path: string } {
  fs.mkdirSync(options.directory, { recursive: true });
  const file = path.join(options.directory, options.file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    throw new Error(`cannot open ${options.what} ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    if (options.foreignKeys) db.pragma("foreign_keys = ON");
    const version = db.pragma("user_version", { simple: true }) as number;
    const current = options.steps.length;
    if (version > current) throw new Error(`${options.what} ${file} has schema version ${version}, newer than this elyza-bot knows (${current})`);
    for (let step = version; step < current; step++) {
      db.transaction(() => {
        db.exec(options.steps[step]!);
        db.pragma(`user_version = ${step + 1}`);
      })();
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return { db, path: file };
}
