// The 👍/👎 store: one row per (answer, rater) in SQLite in the data directory, beside the answer
// journal and the probe history. A row carries everything needed to turn a bad answer into a
// regression test later (the question and answer verbatim, the model and its file fingerprint, the
// seed, the sampling and system prompt it was produced with), because by the time someone exports
// the 👎 answers the bot may run another model or prompt. A second click by the same person changes
// their vote (upsert), so a rater is counted once per answer however often they click.

import type Database from "better-sqlite3";
import { openVersionedDatabase } from "../storage/versioned-database.js";

export const FEEDBACK_FILE = "feedback.sqlite";

export type Rating = "up" | "down";
export type FeedbackPlatform = "slack" | "discord";

export interface FeedbackSampling {
  readonly temperature: number;
  readonly topP: number;
  readonly maxTokens: number;
}

/** What the chat core knows about the rated answer and who rated it. */
export interface FeedbackVote {
  readonly platform: FeedbackPlatform;
  /** The platform's channel id (Slack C…/D…, a Discord channel or thread snowflake). */
  readonly channel: string;
  /** The question's sourceKey ("slack:…", "discord:…"): ties regenerated answers to one question. */
  readonly questionKey: string;
  /**
   * The rated answer (its first message when it was split); one answer, one id. A Regenerate that
   * replaces an answer inside the same message is another answer: give it another id (e.g.
   * `${messageTs}:${seed}`), or a vote on it would be taken for a change of the vote on the old one.
   */
  readonly answerMessageId: string;
  /** Platform user ids. */
  readonly asker: string;
  readonly rater: string;
  readonly rating: Rating;
  /** The user's question as the model saw it (the last turn). */
  readonly question: string;
  readonly answer: string;
  readonly systemPrompt: string;
  readonly modelName: string;
  /** modelFingerprint() of the model file; null for a model behind an openai backend. */
  readonly modelFingerprint: string | null;
  readonly seed: number | null;
  readonly sampling: FeedbackSampling;
}

export interface FeedbackRow extends FeedbackVote {
  /** When this rater last voted on this answer (ms since the epoch). */
  readonly ratedAt: number;
}

const SCHEMA_V1 = `
CREATE TABLE feedback (
  platform          TEXT    NOT NULL,
  answer_message_id TEXT    NOT NULL,
  rater             TEXT    NOT NULL,
  channel           TEXT    NOT NULL,
  question_key      TEXT    NOT NULL,
  asker             TEXT    NOT NULL,
  rating            TEXT    NOT NULL CHECK (rating IN ('up', 'down')),
  question          TEXT    NOT NULL,
  answer            TEXT    NOT NULL,
  system_prompt     TEXT    NOT NULL,
  model_name        TEXT    NOT NULL,
  model_fingerprint TEXT,
  seed              INTEGER,
  temperature       REAL    NOT NULL,
  top_p             REAL    NOT NULL,
  max_tokens        INTEGER NOT NULL,
  rated_at          INTEGER NOT NULL,
  PRIMARY KEY (platform, answer_message_id, rater)
);
CREATE INDEX feedback_by_rating ON feedback (rating, rated_at);
`;

interface Row {
  platform: FeedbackPlatform;
  answer_message_id: string;
  rater: string;
  channel: string;
  question_key: string;
  asker: string;
  rating: Rating;
  question: string;
  answer: string;
  system_prompt: string;
  model_name: string;
  model_fingerprint: string | null;
  seed: number | null;
  temperature: number;
  top_p: number;
  max_tokens: number;
  rated_at: number;
}

export interface FeedbackQuery {
  readonly rating?: Rating;
  /** Only votes cast at or after this time (ms since the epoch). */
  readonly since?: number;
}

export class FeedbackStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => number;

  /** Opens (creating the directory, the file and the schema when missing) `dataDirectory/feedback.sqlite`. */
  constructor(dataDirectory: string, options: { readonly now?: () => number } = {}) {
    ({ db: this.db, path: this.path } = openVersionedDatabase({
      directory: dataDirectory,
      file: FEEDBACK_FILE,
      what: "the feedback store",
      steps: [SCHEMA_V1],
    }));
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * Records a vote; the same rater voting again on the same answer replaces their vote (and its time).
   * Returns "added" for a first vote, "changed" when it replaced one.
   */
  record(vote: FeedbackVote): "added" | "changed" {
    const params = {
      platform: vote.platform,
      answer_message_id: vote.answerMessageId,
      rater: vote.rater,
      channel: vote.channel,
      question_key: vote.questionKey,
      asker: vote.asker,
      rating: vote.rating,
      question: vote.question,
      answer: vote.answer,
      system_prompt: vote.systemPrompt,
      model_name: vote.modelName,
      model_fingerprint: vote.modelFingerprint,
      seed: vote.seed,
      temperature: vote.sampling.temperature,
      top_p: vote.sampling.topP,
      max_tokens: vote.sampling.maxTokens,
      rated_at: this.now(),
    };
    const upsert = this.db.transaction(() => {
      const existed =
        this.db
          .prepare("SELECT 1 FROM feedback WHERE platform = ? AND answer_message_id = ? AND rater = ?")
          .get(vote.platform, vote.answerMessageId, vote.rater) !== undefined;
      this.db
        .prepare(
          `INSERT INTO feedback (platform, answer_message_id, rater, channel, question_key, asker, rating, question, answer, system_prompt,
                                 model_name, model_fingerprint, seed, temperature, top_p, max_tokens, rated_at)
           VALUES (@platform, @answer_message_id, @rater, @channel, @question_key, @asker, @rating, @question, @answer, @system_prompt,
                   @model_name, @model_fingerprint, @seed, @temperature, @top_p, @max_tokens, @rated_at)
           ON CONFLICT (platform, answer_message_id, rater) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at`,
        )
        .run(params);
      return existed ? "changed" : "added";
    });
    return upsert();
  }

  /** Votes, oldest first, filtered by rating and time. */
  list(query: FeedbackQuery = {}): FeedbackRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.rating !== undefined) {
      where.push("rating = ?");
      args.push(query.rating);
    }
    if (query.since !== undefined) {
      where.push("rated_at >= ?");
      args.push(query.since);
    }
    const sql = `SELECT * FROM feedback${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY rated_at, platform, answer_message_id, rater`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(toVote);
  }

  /** Votes per rating on one answer (what a button label can show). */
  tally(platform: FeedbackPlatform, answerMessageId: string): { up: number; down: number } {
    const rows = this.db
      .prepare("SELECT rating, COUNT(*) AS n FROM feedback WHERE platform = ? AND answer_message_id = ? GROUP BY rating")
      .all(platform, answerMessageId) as { rating: Rating; n: number }[];
    return { up: rows.find((r) => r.rating === "up")?.n ?? 0, down: rows.find((r) => r.rating === "down")?.n ?? 0 };
  }

  /** Closes the database; a second call does nothing. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function toVote(row: Row): FeedbackRow {
  return {
    platform: row.platform,
    channel: row.channel,
    questionKey: row.question_key,
    answerMessageId: row.answer_message_id,
    asker: row.asker,
    rater: row.rater,
    rating: row.rating,
    question: row.question,
    answer: row.answer,
    systemPrompt: row.system_prompt,
    modelName: row.model_name,
    modelFingerprint: row.model_fingerprint,
    seed: row.seed,
    sampling: { temperature: row.temperature, topP: row.top_p, maxTokens: row.max_tokens },
    ratedAt: row.rated_at,
  };
}
