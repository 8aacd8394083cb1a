// The terminal adapter: each line is a question for the chat core, like any platform's (the
// terminal's core is open: its user owns the process); the answer streams as it is generated
// (terminal-reply.ts), the conversation is remembered for the session. Ctrl-C during an answer
// cancels that answer; Ctrl-C at the prompt exits.

import readline from "node:readline";
import type { ChatCore } from "../../core/types.js";
import type { ChatTurn } from "../../inference/types.js";
import { terminalReply } from "./terminal-reply.js";

export interface ConsoleCommandHandler {
  /** Handles a line starting with "/" (e.g. /probe); returns false when it is not a known command. */
  (line: string, out: (text: string) => void, signal: AbortSignal): Promise<boolean>;
}

export interface ConsoleOptions {
  /** The chat core every question is handed to (src/core/responder.ts). */
  readonly core: ChatCore;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Turns (questions + answers) kept as history; the core trims further to the context. */
  readonly historyMessages: number;
  /** Read keys as a terminal (Ctrl-C arrives as a keypress). Defaults to the input being a TTY. */
  readonly terminal?: boolean;
  readonly commands?: ConsoleCommandHandler;
  readonly banner?: string;
}

const PROMPT = "あなた> ";

/** Runs until the user exits (Ctrl-C at the prompt, Ctrl-D, /exit); resolves then. */
export function runConsole(options: ConsoleOptions): Promise<void> {
  const { core, output } = options;
  const terminal = options.terminal ?? Boolean((options.input as { isTTY?: boolean }).isTTY);
  const rl = readline.createInterface({ input: options.input, output, terminal, prompt: PROMPT });
  const write = (text: string) => void output.write(text);
  const history: ChatTurn[] = [];
  let current: AbortController | undefined;
  let asked = 0;
  let pending: Promise<void> = Promise.resolve();
  let closed = false;

  if (options.banner) write(`${options.banner}\n`);

  const answer = async (question: string) => {
    const controller = new AbortController();
    current = controller;
    try {
      if (question.startsWith("/")) {
        if (question === "/exit" || question === "/quit") return rl.close();
        if (question === "/reset") {
          history.length = 0;
          return write("(会話をリセットしました)\n");
        }
        if (await options.commands?.(question, (t) => write(`${t}\n`), controller.signal)) return;
        return write(`(不明なコマンド: ${question.split(/\s/)[0]} — /probe, /reset, /exit が使えます)\n`);
      }
      const sourceKey = `console:${++asked}`;
      // Ctrl-C is this terminal's way of deleting the question: the core stops the answer.
      controller.signal.addEventListener("abort", () => core.cancelSource(sourceKey), { once: true });
      const reply = terminalReply(write);
      const outcome = await core.answer(
        {
          asker: { platform: "console", userId: "console", roleIds: [] },
          channelId: "console",
          isDirect: true,
          text: question,
          loadHistory: async () => history.slice(-options.historyMessages),
          sourceKey,
        },
        reply,
      );
      if (reply.answered) write("\n");
      if (outcome.kind === "answered") history.push({ role: "user", text: question }, { role: "assistant", text: outcome.text });
      // The terminal's user owns the process: the cause is theirs to see.
      if (outcome.kind === "failed") write(`(${outcome.reason})\n`);
    } catch (error) {
      write(`\n(${error instanceof Error ? error.message : String(error)})\n`);
    } finally {
      current = undefined;
      if (!closed) rl.prompt();
    }
  };

  rl.on("line", (line) => {
    const question = line.trim();
    if (!question) {
      if (!current) rl.prompt();
      return;
    }
    pending = pending.then(() => answer(question));
  });
  // A terminal delivers Ctrl-C as this event; a pipe gets the process signal instead.
  const interrupt = () => {
    if (current) current.abort();
    else rl.close();
  };
  rl.on("SIGINT", interrupt);
  process.on("SIGINT", interrupt);

  rl.prompt();
  return new Promise((resolve) => {
    rl.once("close", () => {
      closed = true;
      process.off("SIGINT", interrupt);
      // End of input (Ctrl-D, a pipe that ran dry) lets queued questions finish; Ctrl-C already
      // cancelled the running one before closing.
      void pending.then(() => {
        write("\n");
        resolve();
      });
    });
  });
}
