// Reconnects Socket Mode at once after Slack's `disconnect` (a refresh, every few hours) or a
// dropped socket. @slack/socket-mode 3.1.0 (the newest release, and what Bolt 5.1.0 takes) waits
// clientPingTimeout × consecutive failures — 5 s — before even the first attempt, so every
// refresh cost 5.0–5.1 s without a connection (measured against the fake Slack,
// test/chat/slack/reconnect-gap.test.ts); events in that window wait for Slack's redelivery. The
// client runs with autoReconnectEnabled: false and this loop does the reconnecting: the first
// attempt at once, later ones backing off while connections keep failing or dying young.

import type { EventEmitter } from "node:events";

/** What the loop needs of @slack/socket-mode's SocketModeClient. */
export interface ReconnectableClient extends EventEmitter {
  start(): Promise<unknown>;
}

export interface SocketReconnectOptions {
  /** True once the adapter is stopping: no reconnection then. */
  readonly stopping: () => boolean;
  readonly log: { warn(message: string): void; info(message: string): void };
  /**
   * A connection that lived at least this long (default 2 s) counts as healthy: the next reconnect
   * is immediate. Shorter lives back off, so a server that drops every new connection is not hammered.
   */
  readonly healthyAfterMs?: number;
  readonly maxBackoffMs?: number;
}

export function reconnectImmediately(client: ReconnectableClient, options: SocketReconnectOptions): void {
  const healthyAfterMs = options.healthyAfterMs ?? 2_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  let connectedAt = 0;
  let failures = 0;
  let running = false;

  client.on("connected", () => {
    connectedAt = Date.now();
  });
  // With auto-reconnect off, the client reports every end of a connection as "disconnected".
  client.on("disconnected", () => {
    if (options.stopping() || running) return;
    // A connection that died young (or never came up) is a failure: back off from the second one.
    if (connectedAt === 0 || Date.now() - connectedAt < healthyAfterMs) failures++;
    else failures = 0;
    connectedAt = 0;
    void loop();
  });

  async function loop(): Promise<void> {
    running = true;
    try {
      for (;;) {
        const waitMs = failures <= 1 ? 0 : Math.min(maxBackoffMs, 1000 * 2 ** (failures - 2));
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        if (options.stopping()) return;
        try {
          await client.start();
          return;
        } catch (error) {
          failures++;
          options.log.warn(`Slack Socket Mode: reconnecting failed (${error instanceof Error ? error.message : String(error)}); trying again`);
        }
      }
    } finally {
      running = false;
    }
  }
}
