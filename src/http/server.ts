// The process's one HTTP server on `http.port`: liveness, readiness and metrics, plus whatever
// else is mounted on it (Slack's Events API receiver in HTTP mode, an OpenAI-compatible API).
// Routes are tried in the order they were mounted; the first handler that returns true owns the
// request. It listens from the start of the process, before the model is downloaded or loaded, so
// that an orchestrator can tell "alive but not ready" from "dead".

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Handles a request and returns true, or returns false (having written nothing) to let the next
 * route try. A rejection becomes a 500 (when nothing was sent yet) and is reported to onError.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface HttpServerOptions {
  /** 0 = any free port (tests); see HttpServer.port. */
  readonly port: number;
  /** All interfaces when absent: Slack (HTTP mode) and the orchestrator must reach it. */
  readonly host?: string;
  /** A route handler threw: the request got a 500. */
  readonly onError?: (error: unknown, req: IncomingMessage) => void;
}

export class HttpServer {
  private readonly routes: RouteHandler[] = [];

  private constructor(
    private readonly server: Server,
    private readonly onError: (error: unknown, req: IncomingMessage) => void,
  ) {
    server.on("request", (req, res) => void this.dispatch(req, res));
  }

  /** Listens on options.port; rejects (e.g. EADDRINUSE) when it cannot. */
  static async listen(options: HttpServerOptions): Promise<HttpServer> {
    const server = createServer();
    const http = new HttpServer(server, options.onError ?? (() => {}));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return http;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Mounts a route (or a group of routes); later mounts are tried after earlier ones. */
  mount(handler: RouteHandler): void {
    this.routes.push(handler);
  }

  #closed: Promise<void> | undefined;

  /** Stops listening and resolves once every connection is gone; a second call waits for the first. */
  [Symbol.asyncDispose](): Promise<void> {
    // Keep-alive connections (an orchestrator polling /readyz) would hold the close open.
    this.#closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.#closed;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      for (const route of this.routes) {
        if (await route(req, res)) return;
      }
      sendJson(res, 404, { error: "not_found", path: pathOf(req) });
    } catch (error) {
      this.onError(error, req);
      if (!res.headersSent) sendJson(res, 500, { error: "internal_error" });
      else res.end();
    }
  }
}

/** The path of a request without its query. */
export function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? "/", "http://localhost").pathname;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

/** A route for one GET path (HEAD too, as probes sometimes use it). */
export function getRoute(path: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): RouteHandler {
  return async (req, res) => {
    if (pathOf(req) !== path || (req.method !== "GET" && req.method !== "HEAD")) return false;
    await handle(req, res);
    return true;
  };
}
