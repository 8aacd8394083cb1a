// The HTTP server of the bot's API for `start` when api.enabled: a minimal node:http server on
// http.port that mounts the API handler and answers 404 (OpenAI-shaped) for anything else. The
// health and metrics endpoints live on a server of their own (src/http); merging the two onto one
// port is a matter of mounting this handler there.

import { createServer, type Server } from "node:http";
import type { ApiHandler } from "../api/openai-api.js";

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startApiServer(handler: ApiHandler, port: number, host?: string): Promise<ApiServer> {
  const server: Server = createServer((req, res) => {
    handler(req, res).then(
      (handled) => {
        if (handled) return;
        const body = JSON.stringify({ error: { message: `no such endpoint: ${req.method} ${req.url}`, type: "invalid_request_error", param: null, code: "not_found" } });
        res.writeHead(404, { "content-type": "application/json" }).end(body);
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
