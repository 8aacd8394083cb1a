// Slack Block Kit messages for /probe: progress while it runs, the report when done. Plain JSON
// (no @slack/bolt here) so the output can be golden-tested; every text is kept within Slack's limits.

import {
  excerpt,
  firstFailure,
  formatArms,
  formatCi,
  formatCompare,
  formatDatasetSummary,
  formatPassK,
  formatDuration,
  formatReferences,
  formatRunLabel,
  formatSettings,
  formatShifts,
  formatTally,
  formatTokensPerSecond,
  runsDone,
  STATUS_MARK,
  testStatus,
  truncate,
} from "../../probe/report/format.js";
import { progressBar } from "../../probe/report/progress.js";
import type { ProbeProgress, ProbeResult } from "../../probe/types.js";
import { escapeMrkdwn } from "./mrkdwn.js";

export interface SlackText {
  readonly type: "mrkdwn" | "plain_text";
  readonly text: string;
}

export type SlackBlock =
  | { readonly type: "header"; readonly text: SlackText }
  | { readonly type: "section"; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: "context"; readonly elements: readonly SlackText[] }
  | { readonly type: "divider" };

/** What chat.postMessage / chat.update take: `text` is the notification and screen-reader fallback. */
export interface SlackProbeMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Slack's documented limits. */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  contextElements: 10,
  /** Kept far below the 40,000 Slack accepts: it is a notification line. */
  fallbackText: 3000,
} as const;

function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): SlackText {
  return { type: "mrkdwn", text: truncate(text, max) };
}

function header(text: string): SlackBlock {
  return { type: "header", text: { type: "plain_text", text: truncate(text, SLACK_LIMITS.headerText) } };
}

export interface ProbeProgressMeta {
  readonly suite: string;
  readonly model?: string;
}

export function probeProgressBlocks(progress: ProbeProgress, meta: ProbeProgressMeta): SlackProbeMessage {
  const blocks: SlackBlock[] = [header(`プローブ実行中: ${meta.suite}`)];
  blocks.push({ type: "section", text: mrkdwn(`\`${progressBar(progress.done, progress.total)}\` ${progress.done}/${progress.total}`) });
  const fields = progress.perTest.map((t) =>
    mrkdwn(
      `*${escapeMrkdwn(t.title)}*\n${t.passed}/${t.done} 合格（全${t.total}回）${t.compare ? `\nB ${t.compare.passed}/${t.compare.done} 合格` : ""}`,
      SLACK_LIMITS.fieldText,
    ),
  );
  // Ten fields per section; leave room for the context block below.
  for (let i = 0; i < fields.length && blocks.length < SLACK_LIMITS.blocks - 1; i += SLACK_LIMITS.fields) {
    blocks.push({ type: "section", fields: fields.slice(i, i + SLACK_LIMITS.fields) });
  }
  if (meta.model) blocks.push({ type: "context", elements: [mrkdwn(`モデル ${escapeMrkdwn(meta.model)}`)] });
  if (progress.compareModel) blocks.push({ type: "context", elements: [mrkdwn(`B: ${escapeMrkdwn(progress.compareModel)}`)] });
  const tallies = progress.perTest.map((t) => `${t.title} ${t.passed}/${t.done}`).join(" · ");
  return { text: truncate(`プローブ実行中 ${progress.done}/${progress.total}: ${tallies}`, SLACK_LIMITS.fallbackText), blocks };
}

export function probeReportBlocks(result: ProbeResult): SlackProbeMessage {
  const head: SlackBlock[] = [
    header(`${result.cancelled ? "プローブ中止" : "プローブ結果"}: ${result.suite}`),
    { type: "context", elements: [mrkdwn(`${escapeMrkdwn(result.model)} · ${formatSettings(result)}`)] },
  ];
  if (result.compare) head.push({ type: "context", elements: [mrkdwn(escapeMrkdwn(formatArms(result)))] });
  const dataset = formatDatasetSummary(result);
  if (dataset.length > 0) head.push({ type: "section", text: mrkdwn(dataset.map((l) => escapeMrkdwn(l)).join("\n")) });
  if (result.cancelled) {
    const { done, planned } = runsDone(result);
    head.push({ type: "section", text: mrkdwn(`:no_entry: 中止されました: ${planned}回中${done}回の結果です`) });
  }

  const tail: SlackBlock[] = [];
  const shifts = formatShifts(result);
  if (shifts.length > 0) {
    tail.push({ type: "section", text: mrkdwn(`:warning: *前回から変化*\n${shifts.map((s) => `• ${escapeMrkdwn(s)}`).join("\n")}`) });
  }
  tail.push({
    type: "context",
    elements: [mrkdwn(`所要時間 ${formatDuration(result.durationMs)} · ${formatTokensPerSecond(result.tokensPerSecond)} · 開始 ${result.startedAt}`)],
  });

  // Each test takes one block, two with a failing excerpt; what does not fit under 50 is named
  // in one closing line (the transcript file has everything).
  const budget = SLACK_LIMITS.blocks - head.length - tail.length - 1;
  const body: SlackBlock[] = [];
  let shown = 0;
  for (const test of result.tests) {
    if (body.length + 1 > budget) break;
    const refs = [formatReferences(test), formatPassK(test), formatCompare(test)].filter(Boolean).join("\n");
    body.push({
      type: "section",
      fields: [
        mrkdwn(`*${escapeMrkdwn(test.title)}*\n${STATUS_MARK[testStatus(test, result)]} *${formatTally(test)}* (${formatCi(test)})`, SLACK_LIMITS.fieldText),
        mrkdwn(refs ? escapeMrkdwn(refs) : "—", SLACK_LIMITS.fieldText),
      ],
    });
    shown++;
    const failure = firstFailure(test);
    if (failure && body.length + 1 <= budget) {
      body.push({
        type: "context",
        elements: [mrkdwn(`✗ ${formatRunLabel(failure)}: ${escapeMrkdwn(failure.reason)}\n> ${escapeMrkdwn(excerpt(failure.answer))}`)],
      });
    }
  }
  if (shown < result.tests.length) {
    body.push({ type: "context", elements: [mrkdwn(`ほか${result.tests.length - shown}件のテストは添付の記録を参照してください`)] });
  }

  const tallies = result.tests.map((t) => `${t.title} ${formatTally(t)}`).join(" · ");
  const text = truncate(`${result.cancelled ? "プローブ中止" : "プローブ結果"} ${result.suite}: ${tallies}`, SLACK_LIMITS.fallbackText);
  return { text, blocks: [...head, ...body, ...tail] };
}
