// Clicks on an answer's buttons (answer-buttons.ts) → the chat core's act(). Bolt acks the
// block_actions payload first (Slack wants it within 3 s), then the core decides; what only the
// clicker should read (a refusal, the thanks for a vote) goes back through the payload's
// response_url as an ephemeral message, so the channel never sees it. A regenerated answer goes
// into the same thread (or the DM), below the old one, for the person who clicked.

import type { App } from "@slack/bolt";
import type { ChatCore, ReplyChannel } from "../../core/types.js";
import { ACTION_ID_PATTERN, clickedAction } from "./answer-buttons.js";
import type { AdapterLogger } from "./logging.js";
import type { SlackReplyTarget } from "./reply-channel.js";

const stoppedNotice = "⏹ 回答を停止しました。";

export interface AnswerClicksOptions {
  readonly core: ChatCore;
  /** Where a regenerated answer goes; `clicker` is who asked for it (and their team, when Slack says). */
  readonly replyTo: (target: SlackReplyTarget, clicker: { readonly userId: string; readonly teamId: string | undefined }) => ReplyChannel;
  readonly log: AdapterLogger;
}

/** The parts of a block_actions payload this reads (Slack's interactivity payload). */
interface BlockActionsBody {
  readonly user?: { readonly id?: string; readonly team_id?: string };
  readonly team?: { readonly id?: string } | null;
  readonly channel?: { readonly id?: string };
  readonly container?: { readonly channel_id?: string; readonly thread_ts?: string; readonly message_ts?: string; readonly is_ephemeral?: boolean };
  readonly message?: { readonly ts?: string; readonly thread_ts?: string };
}

export function registerAnswerClicks(app: App, options: AnswerClicksOptions): void {
  const { core, log } = options;
  app.action(ACTION_ID_PATTERN, async ({ ack, body, action, respond }) => {
    await ack();
    const clicked = clickedAction(action as { action_id?: unknown; value?: unknown });
    const b = body as BlockActionsBody;
    const userId = b.user?.id;
    const channel = b.channel?.id ?? b.container?.channel_id;
    if (!clicked || !userId || !channel) {
      log.warn(`answer button: a block_actions payload without its action, user or channel was ignored`);
      return;
    }
    if (!core.act) return void (await respondQuietly("このボットではボタン操作を利用できません。"));
    const threadTs = b.message?.thread_ts ?? b.container?.thread_ts;
    // The click's own ts names the new answer's messages (their idempotency marker, see find-reply.ts).
    const clickTs = (action as { action_ts?: string }).action_ts ?? b.message?.ts ?? b.container?.message_ts ?? "0";
    const result = await core.act(
      { answerId: clicked.answerId, action: clicked.action, clicker: { platform: "slack", userId, roleIds: [] }, channelId: channel },
      () => options.replyTo({ channel, threadTs, questionTs: clickTs }, { userId, teamId: b.user?.team_id ?? b.team?.id ?? undefined }),
    );
    log.info(`answer button ${clicked.action} by ${userId}: ${result.kind}`);
    if ("notice" in result) await respondQuietly(result.notice);
    // The Stop offered beside a natively streamed answer (native-stream.ts) has done its job.
    else if (result.kind === "stopped" && b.container?.is_ephemeral) await respondQuietly(stoppedNotice, true);

    async function respondQuietly(text: string, replaceOriginal = false): Promise<void> {
      try {
        await respond({ response_type: "ephemeral", replace_original: replaceOriginal, text });
      } catch (error) {
        log.warn(`could not answer a button click: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
}
