#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): see bin/run.js for why the libuv pool size is set
// before any ES module loads.
"use strict";
if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = "1";
import("../dist/cli.js").then(async ({ main }) => {
  process.exitCode = await main(process.argv.slice(2));
});
