// `elyza-bot` as a child process for tests: the built bin, a clean environment, its output
// collected, and every child tracked so a test's afterEach can make sure none is left running.

import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { vi } from "vitest";

export const BIN = path.resolve("bin/elyza-bot.js");

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<BotProcess>();

export class BotProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly child: ChildProcess;
  private readonly group: boolean;

  private constructor(command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd: string; group?: boolean }) {
    // stdin stays open (a pipe nobody writes to): a terminal chat started by mistake would sit at
    // its prompt instead of ending at EOF, and the test would see the prompt on stdout.
    // A process group of its own (npm start): kill() then ends the bot behind npm too.
    this.group = options.group === true;
    // PORT 0 (any free port) unless the test names one: several test runs share this machine, and
    // the default 3000 would make one bot's start fail with "already in use" when another holds it.
    const env = { PORT: "0", ...options.env };
    this.child = spawn(command, args, { env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], detached: this.group });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise<Exit>((resolve) => {
      // "close": the process ended and its output streams are drained.
      this.child.on("close", (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
    running.add(this);
  }

  /** `node bin/elyza-bot.js ARGS` with exactly `env` (nothing inherited; PORT 0 unless given) in `cwd`. */
  static start(args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd: string }): BotProcess {
    return new BotProcess(process.execPath, [BIN, ...args], options);
  }

  /**
   * `npm start -- ARGS` in the package root with exactly `env` (PORT 0 unless given): npm is then the top process (the
   * one `docker stop` or a service manager signals). `exited` resolves once npm and everything
   * that holds its output (the bot) are gone.
   */
  static npmStart(args: readonly string[], options: { env: NodeJS.ProcessEnv }): BotProcess {
    return new BotProcess("npm", ["start", "--silent", "--", ...args], { env: options.env, cwd: path.dirname(path.dirname(BIN)), group: true });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Everything the process wrote. */
  get output(): string {
    return `${this.stdout}\n${this.stderr}`;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(signal);
  }

  /** Resolves once `check` passes (vi.waitFor); rejects, with the output so far, on timeout or when the process exits first. */
  async waitFor<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    const outcome: { value: T } | { exited: true } = await vi
      .waitFor<{ value: T } | { exited: true }>(
        () => {
          const value = check();
          if (value !== undefined && value !== false) return { value: value as T };
          if (this.hasExited) return { exited: true as const };
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        },
        { timeout: timeoutMs, interval: 25 },
      )
      .catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- stderr:\n${this.stderr}\n--- stdout:\n${this.stdout}`);
      });
    if ("value" in outcome) return outcome.value;
    throw new Error(`elyza-bot exited (${JSON.stringify(this.exit)}) while waiting for ${what}\n--- stderr:\n${this.stderr}\n--- stdout:\n${this.stdout}`);
  }

  /** The exit, or undefined if the process is still running after `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<Exit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL if still running; resolves once it has gone. */
  async kill(): Promise<void> {
    if (this.hasExited) return;
    if (this.group && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // The group is gone already.
      }
    } else this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** Kills every child still running (for afterEach / afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
}
