// Slack input that is not what the bot expects never reaches code that would throw on it. Two
// places need a guard:
//   - @slack/socket-mode's own message handler reads `envelope.payload.event.type` unchecked, so an
//     events_api envelope without a payload or an event (the shape of `app_rate_limited`) throws
//     inside the library's listener — an unhandled rejection that ended the process. The guard
//     sits in front of that handler on the client's "ws_message" event.
//   - Bolt's App.processEvent (both receivers call it) does not ack a body whose type it cannot
//     tell, so Slack would redeliver it; and `'channel' in event` throws on a non-object event.
// Either way the input is acked (Socket Mode: by envelope id; HTTP: a 200), logged once at warn
// with its type, and ignored.

import type { EventEmitter } from "node:events";
import type { AdapterLogger } from "./logging.js";

/** What was wrong with a piece of input, and what to call it in the log and the metrics. */
export interface Malformed {
  /** The envelope's or body's type as sent ("events_api", "app_rate_limited", "(not JSON)", …). */
  readonly type: string;
  readonly problem: string;
}

export type OnMalformed = (malformed: Malformed) => void;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const typeOf = (v: unknown): string => (isObject(v) && typeof v["type"] === "string" ? v["type"] : "(no type)");

// Envelope types @slack/socket-mode handles itself or passes on with a payload it does not read.
const CONTROL_TYPES = new Set(["hello", "disconnect"]);
const PAYLOAD_TYPES = new Set(["events_api", "slash_commands", "interactive"]);

/** undefined when @slack/socket-mode and Bolt can take the envelope as it is. */
export function checkEnvelope(envelope: unknown): Malformed | undefined {
  if (!isObject(envelope)) return { type: Array.isArray(envelope) ? "(array)" : "(not an object)", problem: "not a JSON object" };
  const type = envelope["type"];
  if (typeof type !== "string") return { type: "(no type)", problem: "no envelope type" };
  if (CONTROL_TYPES.has(type)) return undefined;
  if (!PAYLOAD_TYPES.has(type)) return { type, problem: "an envelope type the bot does not handle" };
  if (typeof envelope["envelope_id"] !== "string") return { type, problem: "no envelope_id" };
  const payload = envelope["payload"];
  if (!isObject(payload)) return { type, problem: "no payload" };
  return type === "events_api" ? checkEventsBody(payload) : undefined;
}

/** An Events API body (HTTP) or an events_api payload (Socket Mode). */
export function checkEventsBody(body: Json): Malformed | undefined {
  const type = typeOf(body);
  if (type === "app_rate_limited") {
    return { type, problem: `Slack is rate-limiting the app's event deliveries (minute ${minuteOf(body)}): events of that minute are not delivered` };
  }
  const event = body["event"];
  if (type !== "event_callback" && event === undefined) {
    return boltRoutes(body) ? undefined : { type, problem: "a body Bolt has no route for (no event, command, action, view or shortcut)" };
  }
  if (!isObject(event)) return { type, problem: "no event" };
  if (typeof event["type"] !== "string") return { type, problem: "an event without a type" };
  return undefined;
}

// The bodies Bolt's App.processEvent can tell the type of (its getTypeAndConversation helper).
const ROUTED_TYPES = new Set(["block_suggestion", "dialog_submission", "shortcut", "message_action", "view_submission", "view_closed"]);
function boltRoutes(body: Json): boolean {
  return body["command"] !== undefined || body["name"] !== undefined || body["actions"] !== undefined || ROUTED_TYPES.has(typeOf(body));
}

/** What the guard needs of @slack/socket-mode's SocketModeClient. */
export interface SocketClientLike extends EventEmitter {
  send(envelopeId: string, body?: Record<string, unknown>): Promise<void>;
}

/**
 * Puts the check in front of the Socket Mode client's own message handler. A malformed envelope
 * is acked (when it has an envelope id) and ignored; a rejection of the library's handler is
 * logged instead of becoming an unhandled rejection.
 */
export function guardSocketEnvelopes(client: SocketClientLike, log: AdapterLogger, onMalformed?: OnMalformed): void {
  const handlers = client.listeners("ws_message") as ((data: unknown, isBinary: boolean) => unknown)[];
  client.removeAllListeners("ws_message");
  client.on("ws_message", (data: unknown, isBinary: boolean) => {
    if (isBinary) {
      report({ type: "(binary)", problem: "a binary WebSocket message" });
      return;
    }
    const text = typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer);
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      report({ type: "(not JSON)", problem: "a WebSocket message that is not JSON" });
      return;
    }
    const malformed = checkEnvelope(envelope);
    if (malformed) {
      const envelopeId = isObject(envelope) && typeof envelope["envelope_id"] === "string" ? envelope["envelope_id"] : undefined;
      // Acked, or Slack redelivers it (and the same problem comes back).
      if (envelopeId) client.send(envelopeId).catch((error: unknown) => log.warn(`Slack: could not ack envelope ${envelopeId}: ${describe(error)}`));
      report(malformed, envelopeId);
      return;
    }
    for (const handler of handlers) {
      try {
        Promise.resolve(handler.call(client, data, isBinary)).catch((error: unknown) =>
          log.warn(`Slack Socket Mode: ${describe(error)} (envelope ${typeOf(envelope)} ignored)`),
        );
      } catch (error) {
        log.warn(`Slack Socket Mode: ${describe(error)} (envelope ${typeOf(envelope)} ignored)`);
      }
    }
  });

  function report(malformed: Malformed, envelopeId?: string): void {
    log.warn(`Slack: ignored a Socket Mode envelope of type ${malformed.type}${envelopeId ? ` (${envelopeId}, acked)` : ""}: ${malformed.problem}`);
    onMalformed?.(malformed);
  }
}

/** The part of Bolt's ReceiverEvent the guard reads. */
interface ReceiverEventLike {
  readonly body: unknown;
  ack(response?: unknown): Promise<void>;
}

interface AppLike {
  processEvent(event: ReceiverEventLike): Promise<void>;
}

/**
 * Wraps App.processEvent (both Bolt receivers deliver through it): a body that is not what the
 * bot expects is acked and logged instead of being left unacked or thrown on.
 */
export function guardProcessEvent(app: AppLike, log: AdapterLogger, onMalformed?: OnMalformed): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event: ReceiverEventLike) => {
    const body = event.body;
    const malformed = !isObject(body) ? { type: "(not an object)", problem: "a body that is not a JSON object" } : checkEventsBody(body);
    if (malformed) {
      await event.ack().catch((error: unknown) => log.warn(`Slack: could not ack a ${malformed.type} body: ${describe(error)}`));
      log.warn(`Slack: ignored a body of type ${malformed.type}: ${malformed.problem}`);
      onMalformed?.(malformed);
      return;
    }
    return processEvent(event);
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Slack sends the rate-limited minute as a number (epoch minutes). */
function minuteOf(body: Json): string {
  const minute = body["minute_rate_limited"];
  return typeof minute === "number" ? String(minute) : "?";
}
