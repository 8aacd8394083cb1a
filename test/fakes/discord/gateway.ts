// The gateway side of the fake: a WebSocket at /gateway speaking v10 JSON without compression
// (discord.js asks for zlib-stream only when the optional zlib-sync package is installed; it is
// not, so it connects with `?v=10&encoding=json` and reads plain text frames).
// Order as Discord does it: HELLO; IDENTIFY → READY, then GUILD_CREATE for each guild READY listed
// as unavailable (discord.js waits up to 15 s for them before ClientReady); heartbeat → ACK.

import type { Server } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { guildCreatePayload, type FakeUser, type World } from "./world.js";

export const Intents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

const PRIVILEGED = Intents.GuildMembers | Intents.GuildPresences | Intents.MessageContent;

export interface IdentifyRecord {
  readonly token: string;
  readonly intents: number;
  readonly properties: unknown;
}

interface Session {
  readonly socket: WebSocket;
  seq: number;
  intents: number;
  ready: boolean;
}

export interface GatewayOptions {
  readonly world: World;
  readonly token: string;
  readonly users: () => readonly FakeUser[];
  readonly heartbeatIntervalMs: number;
  /** False = the application has not enabled privileged intents in the developer portal (close 4014). */
  readonly privilegedIntentsEnabled: boolean;
  readonly url: () => string;
}

export class FakeGateway {
  readonly identifies: IdentifyRecord[] = [];
  readonly connectionQueries: URLSearchParams[] = [];
  private readonly sessions = new Set<Session>();
  private server: WebSocketServer | undefined;

  constructor(private readonly options: GatewayOptions) {}

  attach(http: Server): void {
    this.server = new WebSocketServer({ server: http, path: "/gateway" });
    this.server.on("connection", (socket, request) => {
      this.connectionQueries.push(new URL(request.url ?? "/", "http://x").searchParams);
      const session: Session = { socket, seq: 0, intents: 0, ready: false };
      this.sessions.add(session);
      socket.on("close", () => this.sessions.delete(session));
      socket.on("message", (data) => this.onMessage(session, data.toString()));
      this.send(session, { op: 10, d: { heartbeat_interval: this.options.heartbeatIntervalMs } });
    });
  }

  /** Intents of the most recent IDENTIFY (what REST redaction goes by, like Discord's app setting). */
  intents(): number {
    return this.identifies.at(-1)?.intents ?? 0;
  }

  connected(): boolean {
    return [...this.sessions].some((s) => s.ready);
  }

  /** Sends a dispatch to every identified session whose intents include `intent` (0 = always). */
  dispatch(t: string, d: unknown, intent = 0, transform?: (d: unknown, intents: number) => unknown): void {
    for (const session of this.sessions) {
      if (!session.ready || (intent !== 0 && (session.intents & intent) === 0)) continue;
      this.sendDispatch(session, t, transform ? transform(d, session.intents) : d);
    }
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.socket.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private onMessage(session: Session, text: string): void {
    const payload = JSON.parse(text) as { op: number; d: any };
    switch (payload.op) {
      case 1:
        this.send(session, { op: 11 });
        return;
      case 2:
        this.identify(session, payload.d);
        return;
      case 6:
        // No resumable sessions here: tell the client to identify anew.
        this.send(session, { op: 9, d: false });
        return;
      default:
        return;
    }
  }

  private identify(session: Session, d: { token: string; intents: number; properties: unknown }): void {
    this.identifies.push({ token: d.token, intents: d.intents, properties: d.properties });
    if (d.token !== this.options.token) {
      session.socket.close(4004, "Authentication failed.");
      return;
    }
    if ((d.intents & PRIVILEGED) !== 0 && !this.options.privilegedIntentsEnabled) {
      session.socket.close(4014, "Disallowed intent(s).");
      return;
    }
    session.intents = d.intents;
    session.ready = true;
    const { world } = this.options;
    this.sendDispatch(session, "READY", {
      v: 10,
      user_settings: {},
      user: world.bot,
      guilds: [{ id: world.guild.id, unavailable: true }],
      session_id: `session-${this.identifies.length}`,
      resume_gateway_url: this.options.url(),
      shard: [0, 1],
      application: { id: world.applicationId, flags: 0 },
    });
    // A separate tick, as over a real network: discord.js handles frames of one TCP read
    // concurrently, and a GUILD_CREATE overtaking READY would leave it waiting for the guild.
    setTimeout(() => {
      if ((session.intents & Intents.Guilds) === 0 || session.socket.readyState !== session.socket.OPEN) return;
      this.sendDispatch(session, "GUILD_CREATE", guildCreatePayload(world.guild, this.options.users(), world.bot.id));
    }, 20);
  }

  private sendDispatch(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    this.send(session, { op: 0, t, s: session.seq, d });
  }

  private send(session: Session, payload: unknown): void {
    if (session.socket.readyState === session.socket.OPEN) session.socket.send(JSON.stringify(payload));
  }
}
