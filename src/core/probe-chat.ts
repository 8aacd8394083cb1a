// /probe typed in chat (Slack, Discord) or in the terminal, decided once: the same check order and
// the same texts on every platform. A platform gives a ProbeChatSurface that renders in its own way
// (Block Kit, an embed, terminal lines) and decides nothing. Order: permission → available → parse
// → help → cancel → history → run (or join the run already going). Shutdown waits, at most
// `drainMs`, for every run's message to show its final (partial, cancelled) report.

import pTimeout from "p-timeout";
import { parseProbeCommand, PROBE_HELP } from "../probe/command.js";
import { renderHistory } from "../probe/report/history.js";
import type { HistoryChart, ProbeProgress, ProbeResult, ProbeService } from "../probe/types.js";
import { probeMessages } from "./messages.js";
import type { Asker, ChatCore } from "./types.js";

export interface ProbeChatOptions {
  /** Absent: every /probe is told that probes are not available here. */
  readonly probe: ProbeService | undefined;
  readonly core: Pick<ChatCore, "isProbeAdmin">;
  /** The configured default suite (probe.suite): the label of a run or history that names none. */
  readonly defaultSuite: string;
  /** Points per test `/probe history` shows when no count is given (probe.historyCount). */
  readonly historyCount: number;
  /** Shutdown waits at most this long for the runs' final reports (default 10 s). */
  readonly drainMs?: number;
  /** Failures of the surface itself (a reply that could not be posted). */
  readonly log?: (message: string) => void;
}

/** One platform's rendering of /probe. Every method renders; none decides. */
export interface ProbeChatSurface {
  /** A short answer to whoever typed the command (ephemeral where the platform has that). */
  reply(text: string): Promise<void>;
  /** The history table (aligned for a fixed-width font), and its chart when the service draws one. */
  history(text: string, chart: (() => Promise<HistoryChart>) | undefined): Promise<void>;
  /**
   * Shows where the run's progress will appear, before it starts (so nothing runs unseen); null
   * when that cannot be shown — the surface has then told the asker why, and nothing runs.
   */
  startRun(suite: string): Promise<ProbeRunView | null>;
}

export interface ProbeRunView {
  /** This request joined a run already going; `note` says so and goes above the progress. */
  joined(note: string): void;
  progress(progress: ProbeProgress): void;
  /** The final report (also the partial one of a cancelled run), with the transcript where it fits. */
  report(result: ProbeResult): Promise<void>;
  /** The run could not go on; `text` says why. */
  failed(text: string): Promise<void>;
}

export interface ProbeChatRequest {
  /** Who typed it; null for the terminal, whose user owns the process (no permission check). */
  readonly asker: Asker | null;
  /** What follows /probe (a leading "/probe" is ignored). */
  readonly text: string;
  /** Runs per test allowed (chat: 100, the terminal may allow more). */
  readonly maxRuns?: number;
  /** Aborting it cancels the run this request started or joined (the terminal's Ctrl-C). */
  readonly signal?: AbortSignal;
}

export class ProbeChat {
  private readonly running = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ProbeChatOptions) {}

  /** Handles one /probe; never rejects (a surface failure is logged, and told to the asker where possible). */
  handle(request: ProbeChatRequest, surface: ProbeChatSurface): Promise<void> {
    const work = this.handleUnsafe(request, surface).catch(async (error: unknown) => {
      this.options.log?.(`/probe: ${describe(error)}`);
      await surface.reply(probeMessages.failed(describe(error))).catch(() => undefined);
    });
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return work;
  }

  /** Cancels the running probe and waits (at most drainMs) until every /probe message shows how it ended. Safe twice. */
  [Symbol.asyncDispose](): Promise<void> {
    this.closing ??= (async () => {
      if (this.running.size > 0) this.options.probe?.cancel();
      const drained = Promise.allSettled([...this.running]).then(() => undefined);
      await pTimeout(drained, { milliseconds: this.options.drainMs ?? 10_000, fallback: () => undefined });
    })();
    return this.closing;
  }

  private async handleUnsafe(request: ProbeChatRequest, surface: ProbeChatSurface): Promise<void> {
    const { probe, defaultSuite } = this.options;
    if (request.asker && !this.options.core.isProbeAdmin(request.asker)) return surface.reply(probeMessages.notAdmin);
    if (!probe) return surface.reply(probeMessages.unavailable);
    if (this.closing) return surface.reply(probeMessages.shuttingDown);
    const command = parseProbeCommand(request.text, request.maxRuns !== undefined ? { maxRuns: request.maxRuns } : {});
    switch (command.action) {
      case "error":
        return surface.reply(command.message);
      case "help":
        return surface.reply(PROBE_HELP);
      case "cancel":
        return surface.reply(probe.cancel() ? probeMessages.cancelled : probeMessages.nothingToCancel);
      case "history": {
        const count = command.count ?? this.options.historyCount;
        let text: string;
        try {
          text = renderHistory(command.suite ?? defaultSuite, probe.history(command.suite, count));
        } catch (error) {
          return surface.reply(probeMessages.failed(describe(error)));
        }
        const chart = probe.historyChart?.bind(probe);
        return surface.history(text, chart ? () => chart(command.suite, count) : undefined);
      }
      case "run": {
        const view = await surface.startRun(command.options.suite ?? defaultSuite);
        if (!view) return;
        const requestedBy = request.asker ? `${request.asker.platform}:${request.asker.userId}` : "console";
        const onAbort = () => probe.cancel();
        request.signal?.addEventListener("abort", onAbort, { once: true });
        let unsubscribe = () => {};
        try {
          const handle = probe.run(command.options, requestedBy);
          if (handle.joined) view.joined(probeMessages.joined);
          unsubscribe = handle.onProgress((p) => view.progress(p));
          let result: ProbeResult;
          try {
            result = await handle.result;
          } finally {
            unsubscribe();
          }
          // Also when the bot is shutting down: the runner was cancelled and this is its partial
          // report, so the message never stays at a progress bar for good.
          await view.report(result);
        } catch (error) {
          await view.failed(probeMessages.failed(describe(error)));
        } finally {
          request.signal?.removeEventListener("abort", onAbort);
        }
        return;
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The /probe handler of a bot without a probe service: the permission check, then "not available". */
export function withoutProbes(core: Pick<ChatCore, "isProbeAdmin">): ProbeChat {
  return new ProbeChat({ probe: undefined, core, defaultSuite: "", historyCount: 1 });
}
