#!/usr/bin/env node
// See bin/run.js for why the libuv pool size is set before anything else loads.
if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = "1";
const { main } = await import("../dist/cli.js");
process.exitCode = await main(process.argv.slice(2));
