// /probe in Slack: the Block Kit rendering of the core's /probe handler (src/core/probe-chat.ts),
// which decides everything else. Slack wants the command acked within 3 s and response_url works
// only 5 times in 30 minutes, so: ack at once (short replies and history ride in the ack,
// ephemeral), then a normal channel message shows the progress (chat.update at most once a second)
// and finally the report, with the Markdown transcript uploaded into its thread.

import type { App, SlashCommand, types as slackTypes, webApi } from "@slack/bolt";
import { latestWins } from "../../core/latest-wins.js";
import { probeMessages } from "../../core/messages.js";
import type { ProbeChat, ProbeChatSurface, ProbeRunView } from "../../core/probe-chat.js";
import { renderTranscript, transcriptFileName } from "../../probe/report/transcript.js";
import type { HistoryChart, ProbeProgress, ProbeResult } from "../../probe/types.js";
import type { AdapterLogger } from "./logging.js";
import { escapeMrkdwn } from "./mrkdwn.js";
import { probeProgressBlocks, probeReportBlocks, type SlackBlock, type SlackProbeMessage } from "./probe-blocks.js";
import { slackError } from "./reply-channel.js";

type WebClient = InstanceType<typeof webApi.WebClient>;
type Ack = (response?: { response_type: "ephemeral" | "in_channel"; text: string }) => Promise<void>;

export interface ProbeCommandDeps {
  readonly probeChat: ProbeChat;
  readonly editIntervalMs: number;
  readonly log: AdapterLogger;
}

export const PROBE_TEXTS = {
  ...probeMessages,
  notInChannel: "このチャンネルに投稿できません。ボットをチャンネルに招待してから（/invite）もう一度お試しください。",
  starting: (user: string, text: string) => `<@${user}> が /probe ${escapeMrkdwn(text)} を実行しました。準備中…`,
} as const;

export function registerProbeCommand(app: App, deps: ProbeCommandDeps): void {
  app.command("/probe", async ({ command, ack, client }) => {
    // Not awaited: a run goes on long after the ack; the core tracks it for shutdown.
    void deps.probeChat.handle(
      { asker: { platform: "slack", userId: command.user_id, roleIds: [] }, text: command.text },
      slackSurface(command, ack, client, deps),
    );
  });
}

function slackSurface(command: SlashCommand, ack: Ack, client: WebClient, deps: ProbeCommandDeps): ProbeChatSurface {
  const channel = command.channel_id;
  const tellAsker = async (error: unknown) => {
    const code = slackError(error);
    const text = code === "not_in_channel" || code === "channel_not_found" ? PROBE_TEXTS.notInChannel : PROBE_TEXTS.failed(describe(error));
    await client.chat.postEphemeral({ channel, user: command.user_id, text: escapeMrkdwn(text) }).catch(() => undefined);
  };
  return {
    reply: (text) => ack({ response_type: "ephemeral", text: escapeMrkdwn(text) }),
    async history(text, chart) {
      // The trend lines are aligned for a fixed-width font.
      await ack({ response_type: "ephemeral", text: "```\n" + escapeMrkdwn(text.trimEnd()) + "\n```" });
      if (chart) await uploadChart(client, channel, chart).catch(tellAsker);
    },
    async startRun(suite) {
      await ack();
      // Posted before the probe starts: where the bot cannot post, nothing runs unseen.
      let ts: string;
      try {
        const res = await client.chat.postMessage({ channel, text: PROBE_TEXTS.starting(command.user_id, command.text) });
        ts = res.ts ?? "";
      } catch (error) {
        await tellAsker(error);
        return null;
      }
      return runView(client, channel, ts, suite, deps);
    },
  };
}

function runView(client: WebClient, channel: string, ts: string, suite: string, deps: ProbeCommandDeps): ProbeRunView {
  const show = (m: SlackProbeMessage) => client.chat.update({ channel, ts, text: m.text, blocks: asBlocks(m) }).then(() => undefined);
  let joinedNote: SlackBlock[] = [];
  const updater = latestWins<ProbeProgress>(
    Math.max(1000, deps.editIntervalMs),
    (p) => {
      const m = probeProgressBlocks(p, { suite });
      return show({ text: m.text, blocks: [...joinedNote, ...m.blocks] });
    },
    (error) => deps.log.warn(`/probe progress update failed: ${describe(error)}`),
  );
  return {
    joined(note) {
      joinedNote = [{ type: "context", elements: [{ type: "mrkdwn", text: escapeMrkdwn(note) }] }];
    },
    progress: (p) => updater.push(p),
    async report(result: ProbeResult) {
      await updater.close();
      try {
        await show(probeReportBlocks(result));
        await client.files.uploadV2({
          channel_id: channel,
          thread_ts: ts,
          filename: transcriptFileName(result),
          title: `プローブ記録 ${result.suite}`,
          content: renderTranscript(result),
        });
      } catch (error) {
        deps.log.warn(`/probe report could not be posted: ${describe(error)}`);
      }
    },
    async failed(text) {
      await updater.close();
      await show({ text: escapeMrkdwn(text), blocks: [] }).catch(() => undefined);
    },
  };
}

/** The history as a chart, uploaded into the channel (files.uploadV2). */
async function uploadChart(client: WebClient, channel: string, draw: () => Promise<HistoryChart>): Promise<void> {
  const chart = await draw();
  await client.files.uploadV2({ channel_id: channel, filename: chart.fileName, title: `プローブ履歴 ${chart.suite}`, file: chart.png });
}

/** Our block types are a plain-JSON subset of Block Kit. */
function asBlocks(m: SlackProbeMessage): slackTypes.KnownBlock[] {
  return m.blocks as unknown as slackTypes.KnownBlock[];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
