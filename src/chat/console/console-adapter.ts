// The terminal adapter: each line is a question, answers stream as they are generated, the
// conversation is remembered for the session. Ctrl-C during an answer cancels that answer;
// Ctrl-C at the prompt exits. Questions go through the shared queue like any platform's.

import readline from "node:readline";
import type { ChatTurn } from "../../inference/types.js";
import type { InferenceQueueLike } from "../../inference/queue-types.js";
import { describeFailure } from "./failure-text.js";

export interface ConsoleCommandHandler {
  /** Handles a line starting with "/" (e.g. /probe); returns false when it is not a known command. */
  (line: string, out: (text: string) => void, signal: AbortSignal): Promise<boolean>;
}

export interface ConsoleOptions {
  readonly queue: InferenceQueueLike;
  readonly systemPrompt: string;
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
  const { queue, output } = options;
  const terminal = options.terminal ?? Boolean((options.input as { isTTY?: boolean }).isTTY);
  const rl = readline.createInterface({ input: options.input, output, terminal, prompt: PROMPT });
  const write = (text: string) => void output.write(text);
  const history: ChatTurn[] = [];
  let current: AbortController | undefined;
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
      const turns: ChatTurn[] = [...history.slice(-options.historyMessages), { role: "user", text: question }];
      let started = false;
      const ticket = queue.submit({
        userId: "console",
        priority: "interactive",
        conversation: { systemPrompt: options.systemPrompt, turns },
        signal: controller.signal,
        onPosition: (position) => {
          if (position > 0) write(`(順番待ち: ${position}番目)\n`);
        },
        onTextChunk: (chunk) => {
          if (!started) write("ELYZA> ");
          started = true;
          write(chunk);
        },
      });
      const result = await ticket.result;
      if (!started) write(`ELYZA> ${result.text}`);
      write("\n");
      if (result.stopReason === "aborted") write("(中断しました)\n");
      else if (result.stopReason === "error") write(`(エラー: ${result.error ?? "unknown"})\n`);
      else history.push({ role: "user", text: question }, { role: "assistant", text: result.text });
      if (result.stopReason === "length") write("(長さの上限で打ち切りました)\n");
    } catch (error) {
      write(`\n(${describeFailure(error)})\n`);
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
