#!/usr/bin/env node
// Runs a built module with Node's libuv pool at one worker. llama.cpp's own threads do the
// math; a larger pool makes ggml's barrier spin-wait (measured 3-6x slower with 2 threads on
// 2 cores). libuv sizes its pool when it first starts, and on Node 20 an ES-module entry point
// starts it while being read, before its first line runs; so this file is CommonJS
// (bin/package.json) and loads the ES modules only after setting the variable.
"use strict";
if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = "1";
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const [target, ...rest] = process.argv.slice(2);
if (!target) {
  console.error("usage: bin/run.js MODULE [ARGS...]");
  process.exit(2);
}
process.argv = [process.argv[0], target, ...rest];
import(pathToFileURL(path.join(__dirname, "..", target)).href);
