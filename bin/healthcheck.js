#!/usr/bin/env node
// The container's health check: exit 0 when GET /readyz on this machine answers 200 (the model is
// loaded and every configured platform connected), 1 otherwise. The port is PORT, else
// HEALTHCHECK_PORT, else 3000 (config http.port's default); a port set only in a --config file
// must be given as HEALTHCHECK_PORT. Usage: node bin/healthcheck.js [/path] (default /readyz).
"use strict";
const port = process.env.PORT || process.env.HEALTHCHECK_PORT || "3000";
const path = process.argv[2] || "/readyz";
fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) }).then(
  async (res) => {
    const body = await res.text();
    if (!res.ok) console.error(`${path}: HTTP ${res.status} ${body}`);
    process.exit(res.ok ? 0 : 1);
  },
  (error) => {
    console.error(`${path}: ${error.cause?.code ?? error.message}`);
    process.exit(1);
  },
);
