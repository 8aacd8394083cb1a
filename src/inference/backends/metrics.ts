// The backends' state in Prometheus text format, for the bot's GET /metrics: one series per backend,
// labelled with its name and kind. Names start with elyza_, base units, counters end in _total.

import type { BackendStatus } from "./backend-pool.js";

export function backendMetrics(status: readonly BackendStatus[]): string {
  const families: [name: string, type: "gauge" | "counter", help: string, value: (s: BackendStatus) => number | null][] = [
    ["elyza_backend_up", "gauge", "1 while the backend is in rotation, 0 while it is out", (s) => (s.state === "up" ? 1 : 0)],
    ["elyza_backend_slots", "gauge", "Generations the backend may run at once", (s) => s.slots],
    ["elyza_backend_slots_in_use", "gauge", "Generations running on the backend now", (s) => s.inUse],
    ["elyza_backend_generations_total", "counter", "Generations the backend finished", (s) => s.served],
    ["elyza_backend_failures_total", "counter", "Requests and health checks the backend failed", (s) => s.failures],
    [
      "elyza_backend_first_token_seconds",
      "gauge",
      "Moving average of the time to first token",
      (s) => (s.firstTokenMs === null ? null : s.firstTokenMs / 1000),
    ],
    ["elyza_backend_health_check_seconds", "gauge", "Round trip of the last successful health check", (s) => (s.checkMs === null ? null : s.checkMs / 1000)],
  ];
  const lines: string[] = [];
  for (const [name, type, help, value] of families) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of status) {
      const v = value(s);
      if (v !== null) lines.push(`${name}{backend="${label(s.name)}",kind="${s.kind}"} ${v}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
