// /probe typed in the terminal: the plain-text rendering of the core's /probe handler
// (src/core/probe-chat.ts) — progress as a line per update, the text report at the end, the
// transcript and chart saved as files. The terminal user owns the process: no permission check.
// Ctrl-C while it runs cancels the probe.

import type { ProbeChat, ProbeChatSurface } from "../../core/probe-chat.js";
import { renderProgressLine, renderTextReport } from "../../probe/report/text.js";
import type { HistoryChart, ProbeResult } from "../../probe/types.js";
import type { ConsoleCommandHandler } from "./console-adapter.js";

/** Where the terminal's /probe writes each transcript (the chat platforms attach it as a file). */
export interface TranscriptSink {
  (result: ProbeResult): Promise<string>;
}

/** Where the terminal's /probe history saves its chart (the chat platforms upload it). */
export interface ChartSink {
  (chart: HistoryChart): Promise<string>;
}

/** The terminal may run more than chat's 100 runs per test. */
const CONSOLE_MAX_RUNS = 1000;

export function consoleProbeCommand(probeChat: ProbeChat, saveTranscript?: TranscriptSink, saveChart?: ChartSink): ConsoleCommandHandler {
  return async (line, out, signal) => {
    if (!/^\/probe(\s|$)/.test(line)) return false;
    await probeChat.handle({ asker: null, text: line, maxRuns: CONSOLE_MAX_RUNS, signal }, consoleSurface(out, saveTranscript, saveChart));
    return true;
  };
}

function consoleSurface(out: (text: string) => void, saveTranscript?: TranscriptSink, saveChart?: ChartSink): ProbeChatSurface {
  return {
    reply: async (text) => out(text),
    async history(text, chart) {
      out(text);
      if (saveChart && chart) out(`グラフ: ${await saveChart(await chart())}`);
    },
    async startRun() {
      let last = "";
      return {
        joined: (note) => out(note),
        progress(progress) {
          const text = renderProgressLine(progress);
          if (text !== last) out(text);
          last = text;
        },
        async report(result) {
          out(renderTextReport(result));
          if (saveTranscript) out(`記録: ${await saveTranscript(result)}`);
        },
        failed: async (text) => out(text),
      };
    },
  };
}
