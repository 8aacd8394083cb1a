// /probe typed in the terminal: same words as in Slack and Discord (parsed by src/probe/command.ts),
// progress as a line per update, the plain-text report at the end. The terminal user owns the
// process, so no admin check. Ctrl-C while it runs cancels the probe.

import { probeMessages } from "../../core/messages.js";
import { parseProbeCommand, PROBE_HELP } from "../../probe/command.js";
import { renderHistory } from "../../probe/report/history.js";
import { renderProgressLine, renderTextReport } from "../../probe/report/text.js";
import type { HistoryChart, ProbeResult, ProbeService } from "../../probe/types.js";
import type { ConsoleCommandHandler } from "./console-adapter.js";

/** Where the terminal's /probe writes each transcript (the chat platforms attach it as a file). */
export interface TranscriptSink {
  (result: ProbeResult): Promise<string>;
}

/** Where the terminal's /probe history saves its chart (the chat platforms upload it). */
export interface ChartSink {
  (chart: HistoryChart): Promise<string>;
}

export function consoleProbeCommand(probe: ProbeService, defaultSuite: string, saveTranscript?: TranscriptSink, saveChart?: ChartSink): ConsoleCommandHandler {
  return async (line, out, signal) => {
    if (!/^\/probe(\s|$)/.test(line)) return false;
    const command = parseProbeCommand(line, { maxRuns: 1000 });
    switch (command.action) {
      case "error":
        out(command.message);
        return true;
      case "help":
        out(PROBE_HELP);
        return true;
      case "cancel":
        out(probe.cancel() ? probeMessages.cancelled : probeMessages.nothingToCancel);
        return true;
      case "history": {
        const suite = command.suite ?? defaultSuite;
        try {
          out(renderHistory(suite, probe.history(suite, command.count ?? 5)));
          if (saveChart && probe.historyChart) out(`グラフ: ${await saveChart(await probe.historyChart(suite, command.count ?? 20))}`);
        } catch (error) {
          out(error instanceof Error ? error.message : String(error));
        }
        return true;
      }
      case "run": {
        const handle = probe.run(command.options, "console");
        if (handle.joined) out(probeMessages.joined);
        let last = "";
        const unsubscribe = handle.onProgress((progress) => {
          const text = renderProgressLine(progress);
          if (text !== last) out(text);
          last = text;
        });
        const onAbort = () => probe.cancel();
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          const result = await handle.result;
          out(renderTextReport(result));
          if (saveTranscript) out(`記録: ${await saveTranscript(result)}`);
        } catch (error) {
          out(probeMessages.failed(error instanceof Error ? error.message : String(error)));
        } finally {
          unsubscribe();
          signal.removeEventListener("abort", onAbort);
        }
        return true;
      }
    }
  };
}
