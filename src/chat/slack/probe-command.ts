// /probe in Slack. Slack wants the command acked within 3 s and response_url works only 5 times in
// 30 minutes, so: ack at once (refusals, help, history and errors ride in the ack, ephemeral), then
// a normal channel message shows the progress (chat.update at most once a second) and finally the
// report, with the Markdown transcript uploaded into its thread.

import type { App, SlashCommand, types as slackTypes, webApi } from "@slack/bolt";
import { latestWins, type LatestWins } from "../../core/latest-wins.js";
import { probeMessages } from "../../core/messages.js";
import type { Asker } from "../../core/types.js";
import { parseProbeCommand, PROBE_HELP } from "../../probe/command.js";
import { renderHistory } from "../../probe/report/history.js";
import { renderTranscript, transcriptFileName } from "../../probe/report/transcript.js";
import type { ProbeProgress, ProbeResult, ProbeRunOptions, ProbeService } from "../../probe/types.js";
import type { AdapterLogger } from "./logging.js";
import { escapeMrkdwn } from "./mrkdwn.js";
import { probeProgressBlocks, probeReportBlocks, type SlackBlock, type SlackProbeMessage } from "./probe-blocks.js";
import { slackError } from "./reply-channel.js";

type WebClient = InstanceType<typeof webApi.WebClient>;
type Ack = (response?: { response_type: "ephemeral" | "in_channel"; text: string }) => Promise<void>;

export interface ProbeCommandDeps {
  readonly responder: { isProbeAdmin(asker: Asker): boolean };
  readonly probe: ProbeService | undefined;
  readonly editIntervalMs: number;
  readonly log: AdapterLogger;
  /** Keeps work started after the ack visible to stop(). */
  readonly track: (work: Promise<void>) => void;
}

export const PROBE_TEXTS = {
  ...probeMessages,
  notInChannel: "このチャンネルに投稿できません。ボットをチャンネルに招待してから（/invite）もう一度お試しください。",
  starting: (user: string, text: string) => `<@${user}> が /probe ${escapeMrkdwn(text)} を実行しました。準備中…`,
} as const;

/** The adapter does not know the configured default suite's name. */
const DEFAULT_SUITE_LABEL = "（既定）";
/** History points per test shown by `/probe history`. */
const HISTORY_DEFAULT = 10;

export function registerProbeCommand(app: App, deps: ProbeCommandDeps): { stop(): void } {
  const updaters = new Set<LatestWins<ProbeProgress>>();

  app.command("/probe", async ({ command, ack, client }) => {
    const reply: Ack = (r) => ack(r);
    const ephemeral = (text: string) => reply({ response_type: "ephemeral", text });
    const asker: Asker = { platform: "slack", userId: command.user_id, roleIds: [] };
    if (!deps.responder.isProbeAdmin(asker)) return ephemeral(PROBE_TEXTS.notAdmin);
    const probe = deps.probe;
    if (!probe) return ephemeral(PROBE_TEXTS.unavailable);

    const parsed = parseProbeCommand(command.text);
    switch (parsed.action) {
      case "error":
        return ephemeral(parsed.message);
      case "help":
        return ephemeral(escapeMrkdwn(PROBE_HELP));
      case "cancel":
        return ephemeral(probe.cancel() ? PROBE_TEXTS.cancelled : PROBE_TEXTS.nothingToCancel);
      case "history": {
        let text: string;
        try {
          text = renderHistory(parsed.suite ?? DEFAULT_SUITE_LABEL, probe.history(parsed.suite, parsed.count ?? HISTORY_DEFAULT));
        } catch (error) {
          return ephemeral(PROBE_TEXTS.failed(escapeMrkdwn(describe(error))));
        }
        // The trend lines are aligned for a fixed-width font.
        await ephemeral("```\n" + escapeMrkdwn(text.trimEnd()) + "\n```");
        if (probe.historyChart) deps.track(uploadChart(client, command, probe, parsed.suite, parsed.count ?? HISTORY_DEFAULT));
        return;
      }
      case "run":
        await ack();
        deps.track(run(client, command, probe, parsed.options));
        return;
    }
  });

  const run = async (client: WebClient, command: SlashCommand, probe: ProbeService, options: ProbeRunOptions) => {
    const channel = command.channel_id;
    // Posted before the probe starts: where the bot cannot post, nothing runs unseen.
    let ts: string;
    try {
      const res = await client.chat.postMessage({ channel, text: PROBE_TEXTS.starting(command.user_id, command.text) });
      ts = res.ts ?? "";
    } catch (error) {
      const code = slackError(error);
      const text = code === "not_in_channel" || code === "channel_not_found" ? PROBE_TEXTS.notInChannel : PROBE_TEXTS.failed(describe(error));
      await client.chat.postEphemeral({ channel, user: command.user_id, text }).catch(() => undefined);
      return;
    }
    const show = (m: SlackProbeMessage) => client.chat.update({ channel, ts, text: m.text, blocks: asBlocks(m) }).then(() => undefined);
    const suite = options.suite ?? DEFAULT_SUITE_LABEL;
    let joinedNote: SlackBlock[] = [];
    const updater = latestWins<ProbeProgress>(
      Math.max(1000, deps.editIntervalMs),
      (p) => {
        const m = probeProgressBlocks(p, { suite });
        return show({ text: m.text, blocks: [...joinedNote, ...m.blocks] });
      },
      (error) => deps.log.warn(`/probe progress update failed: ${describe(error)}`),
    );
    updaters.add(updater);
    let result: ProbeResult;
    try {
      const handle = probe.run(options, `slack:${command.user_id}`);
      if (handle.joined) joinedNote = [{ type: "context", elements: [{ type: "mrkdwn", text: PROBE_TEXTS.joined }] }];
      const unsubscribe = handle.onProgress((p) => updater.push(p));
      try {
        result = await handle.result;
      } finally {
        unsubscribe();
        await updater.close();
        updaters.delete(updater);
      }
    } catch (error) {
      await show({ text: PROBE_TEXTS.failed(describe(error)), blocks: [] }).catch(() => undefined);
      return;
    }
    // Also when the bot is shutting down: the runner was cancelled and this is its (partial) report,
    // posted while the adapter drains, so the message never stays at a progress bar for good.
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
  };

  /** The history as a chart, uploaded into the channel (files.uploadV2). */
  const uploadChart = async (client: WebClient, command: SlashCommand, probe: ProbeService, suite: string | undefined, count: number) => {
    try {
      const chart = await (probe.historyChart as NonNullable<ProbeService["historyChart"]>)(suite, count);
      await client.files.uploadV2({
        channel_id: command.channel_id,
        filename: chart.fileName,
        title: `プローブ履歴 ${chart.suite}`,
        file: chart.png,
      });
    } catch (error) {
      const code = slackError(error);
      const text = code === "not_in_channel" || code === "channel_not_found" ? PROBE_TEXTS.notInChannel : PROBE_TEXTS.failed(describe(error));
      await client.chat.postEphemeral({ channel: command.channel_id, user: command.user_id, text }).catch(() => undefined);
    }
  };

  return {
    stop() {
      for (const u of updaters) void u.close();
    },
  };
}

/** Our block types are a plain-JSON subset of Block Kit. */
function asBlocks(m: SlackProbeMessage): slackTypes.KnownBlock[] {
  return m.blocks as unknown as slackTypes.KnownBlock[];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
