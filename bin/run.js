#!/usr/bin/env node
// Runs a built module with Node's libuv pool at one worker. llama.cpp's own threads do the
// math; a larger pool makes ggml's barrier spin-wait (measured 5-40x slower on 2 cores).
// The pool starts lazily on first use, so setting the variable before any import is in time.
if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = "1";
const [target, ...rest] = process.argv.slice(2);
if (!target) {
  console.error("usage: bin/run.js MODULE [ARGS...]");
  process.exit(2);
}
process.argv = [process.argv[0], target, ...rest];
await import(new URL(`../${target}`, import.meta.url).href);
