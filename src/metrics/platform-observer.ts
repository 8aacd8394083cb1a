// What a chat adapter reports about its platform connection and API traffic, without knowing of
// metrics or readiness: one observer per platform, built here from the two.

import type { Readiness } from "../http/readiness.js";
import type { BotMetrics } from "./bot-metrics.js";

export interface ApiAttempt {
  /** This attempt repeats one that failed (5xx, 429, network). */
  readonly retry: boolean;
  /** The platform answered 429. */
  readonly rateLimited: boolean;
}

export interface PlatformObserver {
  /** Connecting, or reconnecting after a drop or refresh: not ready meanwhile. */
  connecting(): void;
  /** Connected (again): ready; a connection after the first counts as a reconnect. */
  connected(): void;
  /** One HTTP request to the platform's API (every attempt, retries included). */
  apiCall(method: string, attempt: ApiAttempt): void;
  /** Input that was not what the bot expects was acked and ignored. */
  malformed(type: string): void;
}

export function platformObserver(platform: string, metrics: BotMetrics, readiness: Readiness): PlatformObserver {
  let connections = 0;
  readiness.set(platform, { state: "connecting" });
  return {
    connecting: () => readiness.set(platform, { state: "connecting" }),
    connected: () => {
      if (connections++ > 0) metrics.reconnected(platform);
      readiness.set(platform, { state: "ready" });
    },
    apiCall: (method, attempt) => metrics.apiCall(platform, method, attempt),
    malformed: (type) => metrics.malformedInput(platform, type),
  };
}

/** For adapters started without one (tests, other tools). */
export const NO_OBSERVER: PlatformObserver = { connecting() {}, connected() {}, apiCall() {}, malformed() {} };
