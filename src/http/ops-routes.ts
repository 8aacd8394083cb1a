// The operations endpoints (README, "Operations"):
//   GET /healthz  200 while the process runs (liveness: the event loop answers)
//   GET /readyz   200 once the model is loaded and every configured platform is connected; else 503
//                 with a JSON body naming what is not ready (downloading, loading, connecting)
//   GET /metrics  Prometheus text format (src/metrics/bot-metrics.ts)

import type { BotMetrics } from "../metrics/bot-metrics.js";
import type { Readiness } from "./readiness.js";
import { getRoute, sendJson, type RouteHandler } from "./server.js";

export function opsRoutes(options: { readonly readiness: Readiness; readonly metrics: BotMetrics }): RouteHandler {
  const routes = [
    getRoute("/healthz", (_req, res) => sendJson(res, 200, { status: "ok" })),
    getRoute("/readyz", (_req, res) => {
      const report = options.readiness.report();
      sendJson(res, report.ready ? 200 : 503, report);
    }),
    getRoute("/metrics", async (_req, res) => {
      const { contentType, body } = await options.metrics.render();
      res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
      res.end(body);
    }),
  ];
  return async (req, res) => {
    for (const route of routes) if (await route(req, res)) return true;
    return false;
  };
}
