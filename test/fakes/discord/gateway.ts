// The gateway side of the fake: a WebSocket at /gateway speaking v10 JSON without compression
// (discord.js asks for zlib-stream only when the optional zlib-sync package is installed; it is
// not, so it connects with `?v=10&encoding=json` and reads plain text frames).
// Order as Discord does it: HELLO; IDENTIFY → READY, then GUILD_CREATE for each guild READY listed
// as unavailable (discord.js waits up to 15 s for them before ClientReady); heartbeat → ACK.
// Sessions outlive their connection as Discord's do: dispatches made while the client is away are
// kept (with their sequence numbers), and RESUME (op 6) with the last seq seen replays the missed
// ones, then RESUMED. A session ends when the client closes with 1000/1001, or on an op 9 that is
// not resumable. Faults for tests: op 7 (reconnect), op 9 (invalid session, resumable or not), a
// zombie connection (heartbeats no longer ACKed), and dropped connections.

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

/** A gateway session (what RESUME continues), with every dispatch it was sent, for replay. */
interface Session {
  readonly id: string;
  seq: number;
  intents: number;
  readonly sent: { readonly s: number; readonly payload: string }[];
  /** The connection currently carrying it; null while the client is away. */
  connection: Connection | null;
}

interface Connection {
  readonly socket: WebSocket;
  session: Session | null;
}

export interface ResumeRecord {
  readonly sessionId: string;
  readonly seq: number;
  /** How many missed dispatches were replayed. */
  readonly replayed: number;
  readonly accepted: boolean;
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
  readonly resumes: ResumeRecord[] = [];
  /** Heartbeats received (op 1), and how many were ACKed. */
  heartbeats = 0;
  acks = 0;
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Connection>();
  private server: WebSocketServer | undefined;
  private zombie = false;

  constructor(private readonly options: GatewayOptions) {}

  attach(http: Server): void {
    this.server = new WebSocketServer({ server: http, path: "/gateway" });
    this.server.on("connection", (socket, request) => {
      this.connectionQueries.push(new URL(request.url ?? "/", "http://x").searchParams);
      const connection: Connection = { socket, session: null };
      this.connections.add(connection);
      socket.on("close", (code) => {
        this.connections.delete(connection);
        const session = connection.session;
        if (!session || session.connection !== connection) return;
        session.connection = null;
        // A client that closes normally ends its session (Discord does the same).
        if (code === 1000 || code === 1001) this.sessions.delete(session.id);
      });
      socket.on("message", (data) => this.onMessage(connection, data.toString()));
      this.send(connection, { op: 10, d: { heartbeat_interval: this.options.heartbeatIntervalMs } });
    });
  }

  /** Intents of the most recent IDENTIFY (what REST redaction goes by, like Discord's app setting). */
  intents(): number {
    return this.identifies.at(-1)?.intents ?? 0;
  }

  /** Some session has a connection (identified or resumed). */
  connected(): boolean {
    return [...this.sessions.values()].some((s) => s.connection !== null);
  }

  /**
   * Sends a dispatch to every session whose intents include `intent` (0 = always). A session whose
   * client is away keeps it for a RESUME, as Discord does.
   */
  dispatch(t: string, d: unknown, intent = 0, transform?: (d: unknown, intents: number) => unknown): void {
    for (const session of this.sessions.values()) {
      if (intent !== 0 && (session.intents & intent) === 0) continue;
      this.sendDispatch(session, t, transform ? transform(d, session.intents) : d);
    }
  }

  /** op 7: Discord asks every client to reconnect (and resume). */
  requestReconnect(): void {
    for (const connection of this.connections) this.send(connection, { op: 7, d: null });
  }

  /** op 9: the session is invalid; `resumable` says whether the client may RESUME it (else it must IDENTIFY). */
  invalidateSessions(resumable: boolean): void {
    for (const connection of this.connections) {
      if (!resumable && connection.session) this.sessions.delete(connection.session.id);
      this.send(connection, { op: 9, d: resumable });
    }
  }

  /** A zombie connection: the sockets stay open but heartbeats are no longer ACKed (until turned off). */
  setZombie(on: boolean): void {
    this.zombie = on;
  }

  /** Closes every connection with `code` (sessions stay resumable), or drops them without a close frame (1006). */
  dropConnections(code?: number): void {
    for (const connection of this.connections) {
      if (code === undefined) connection.socket.terminate();
      else connection.socket.close(code, "fake: connection dropped");
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private onMessage(connection: Connection, text: string): void {
    const payload = JSON.parse(text) as { op: number; d: any };
    switch (payload.op) {
      case 1:
        this.heartbeats++;
        if (this.zombie) return;
        this.acks++;
        this.send(connection, { op: 11 });
        return;
      case 2:
        this.identify(connection, payload.d);
        return;
      case 6:
        this.resume(connection, payload.d);
        return;
      default:
        return;
    }
  }

  private resume(connection: Connection, d: { token: string; session_id: string; seq: number | null }): void {
    const session = d.token === this.options.token ? this.sessions.get(d.session_id) : undefined;
    const seq = d.seq ?? 0;
    if (!session) {
      this.resumes.push({ sessionId: d.session_id, seq, replayed: 0, accepted: false });
      this.send(connection, { op: 9, d: false });
      return;
    }
    session.connection?.socket.terminate();
    session.connection = connection;
    connection.session = session;
    const missed = session.sent.filter((e) => e.s > seq);
    this.resumes.push({ sessionId: session.id, seq, replayed: missed.length, accepted: true });
    for (const e of missed) this.sendRaw(connection, e.payload);
    this.sendDispatch(session, "RESUMED", {});
  }

  private identify(connection: Connection, d: { token: string; intents: number; properties: unknown }): void {
    this.identifies.push({ token: d.token, intents: d.intents, properties: d.properties });
    if (d.token !== this.options.token) {
      connection.socket.close(4004, "Authentication failed.");
      return;
    }
    if ((d.intents & PRIVILEGED) !== 0 && !this.options.privilegedIntentsEnabled) {
      connection.socket.close(4014, "Disallowed intent(s).");
      return;
    }
    const session: Session = { id: `session-${this.identifies.length}`, seq: 0, intents: d.intents, sent: [], connection };
    // A second IDENTIFY on one connection starts a new session; the old one loses its connection.
    if (connection.session?.connection === connection) connection.session.connection = null;
    connection.session = session;
    this.sessions.set(session.id, session);
    const { world } = this.options;
    this.sendDispatch(session, "READY", {
      v: 10,
      user_settings: {},
      user: world.bot,
      guilds: [{ id: world.guild.id, unavailable: true }],
      session_id: session.id,
      resume_gateway_url: this.options.url(),
      shard: [0, 1],
      application: { id: world.applicationId, flags: 0 },
    });
    // A separate tick, as over a real network: discord.js handles frames of one TCP read
    // concurrently, and a GUILD_CREATE overtaking READY would leave it waiting for the guild.
    setTimeout(() => {
      if ((session.intents & Intents.Guilds) === 0 || session.connection !== connection || connection.socket.readyState !== connection.socket.OPEN) return;
      this.sendDispatch(session, "GUILD_CREATE", guildCreatePayload(world.guild, this.options.users(), world.bot.id));
    }, 20);
  }

  private sendDispatch(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const payload = JSON.stringify({ op: 0, t, s: session.seq, d });
    session.sent.push({ s: session.seq, payload });
    if (session.connection) this.sendRaw(session.connection, payload);
  }

  private send(connection: Connection, payload: unknown): void {
    this.sendRaw(connection, JSON.stringify(payload));
  }

  private sendRaw(connection: Connection, payload: string): void {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(payload);
  }
}
