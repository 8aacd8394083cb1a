// Opens one of the bot's SQLite files in the data directory (the answer journal, the feedback
// store): WAL (readers never block the writer, a crash loses no committed row), the schema created
// on first use, and a file written by another schema version refused by name rather than misread.

import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export interface VersionedDatabaseOptions {
  readonly directory: string;
  readonly file: string;
  /** What the file is, for messages: "the answer journal". */
  readonly what: string;
  /** The schema, run once on a new file. */
  readonly schema: string;
  readonly version: number;
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
    if (version === 0) {
      db.exec(options.schema);
      db.pragma(`user_version = ${options.version}`);
    } else if (version !== options.version) {
      throw new Error(`${options.what} ${file} has schema version ${version}; this elyza-bot knows ${options.version}`);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return { db, path: file };
}
