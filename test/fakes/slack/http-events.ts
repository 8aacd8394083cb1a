// Slack's side of the HTTP Events API: POSTs an event_callback (JSON) or a slash command (form) to
// Bolt's HTTP receiver, signed like Slack signs it — X-Slack-Signature = "v0=" + HMAC-SHA256 of
// "v0:{timestamp}:{raw body}" with the signing secret — or signed wrongly on purpose.

import { createHmac } from "node:crypto";

export interface SignedPostOptions {
  readonly signingSecret: string;
  /** Sign with a different secret, as a forged request would be. */
  readonly badSignature?: boolean;
  /** Unix seconds; defaults to now (Bolt rejects more than 5 minutes old). */
  readonly timestamp?: number;
  /** Sets X-Slack-Retry-Num / X-Slack-Retry-Reason as Slack does on redelivery. */
  readonly retryNum?: number;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return "v0=" + createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
}

export async function postSigned(
  url: string,
  body: Record<string, unknown> | URLSearchParams,
  options: SignedPostOptions,
): Promise<{ status: number; text: string; ms: number }> {
  const isForm = body instanceof URLSearchParams;
  const raw = isForm ? body.toString() : JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const secret = options.badSignature ? `${options.signingSecret}-forged` : options.signingSecret;
  const headers: Record<string, string> = {
    "content-type": isForm ? "application/x-www-form-urlencoded" : "application/json",
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": slackSignature(secret, timestamp, raw),
  };
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = "http_timeout";
  }
  const started = Date.now();
  const res = await fetch(url, { method: "POST", headers, body: raw });
  return { status: res.status, text: await res.text(), ms: Date.now() - started };
}

/** The body Slack POSTs for one event. */
export function eventCallback(
  event: Record<string, unknown>,
  ids: { eventId: string; teamId?: string; appId?: string; botUserId?: string },
): Record<string, unknown> {
  const teamId = ids.teamId ?? "T0001";
  return {
    token: "verification-token",
    team_id: teamId,
    api_app_id: ids.appId ?? "A0001",
    event: { event_ts: event["ts"], ...event },
    type: "event_callback",
    event_id: ids.eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: ids.botUserId ?? "UBOT", is_bot: true, is_enterprise_install: false }],
  };
}
