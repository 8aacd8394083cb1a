// Runs one build command with its output in the build's log file: a failure names the command, its
// exit code and the log, not a wall of compiler output.

import { spawn } from "node:child_process";
import type { FileHandle } from "node:fs/promises";
import { SourceBuildError } from "./llama-cpp-source.js";

export type LoggedRun = (command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv) => Promise<void>;

export function loggedRun(logFile: FileHandle, logPath: string): LoggedRun {
  return async (command, args, cwd, env) => {
    await logFile.write(`$ ${command} ${args.join(" ")}\n`);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, args, { cwd, stdio: ["ignore", logFile.fd, logFile.fd], ...(env ? { env } : {}) });
      child.on("error", reject);
      child.on("close", resolve);
    }).catch((error: unknown) => {
      throw new SourceBuildError(`cannot run ${command}: ${error instanceof Error ? error.message : String(error)} (is it installed?)`, logPath);
    });
    if (code !== 0) throw new SourceBuildError(`${command} ${args[0] ?? ""} failed with exit code ${code}; see ${logPath}`, logPath);
  };
}
