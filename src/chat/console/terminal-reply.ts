// The terminal as a ReplyChannel: the chat core posts and edits one message, the terminal can only
// append. So the answer's text is written as it grows (each edit adds what is new), the core's
// status texts (「考え中…」, 「順番待ち: 2番目」, refusals, errors) are written as lines in
// parentheses, and an edit that does not continue what is shown starts a new line.

import { isStatusText } from "../../core/status-texts.js";
import type { PostedMessage, ReplyChannel } from "../../core/types.js";

const PREFIX = "ELYZA> ";

export interface TerminalReply extends ReplyChannel {
  /** Whether any answer text (not only status lines) was written. */
  readonly answered: boolean;
}

export function terminalReply(write: (text: string) => void): TerminalReply {
  let shown = "";
  let answering = false;
  const show = (text: string) => {
    if (isStatusText(text)) {
      if (answering) write("\n");
      answering = false;
      shown = "";
      write(`(${text})\n`);
      return;
    }
    if (answering && text.startsWith(shown)) write(text.slice(shown.length));
    else write(`${answering ? "\n" : ""}${PREFIX}${text}`);
    answering = true;
    shown = text;
  };
  return {
    // One message, as long as the answer: nothing is split on a terminal.
    limits: { maxChars: Number.MAX_SAFE_INTEGER },
    editIntervalMs: 0,
    get answered() {
      return answering;
    },
    async post(text: string): Promise<PostedMessage> {
      show(text);
      return { id: "terminal" };
    },
    async edit(_message: PostedMessage, text: string): Promise<void> {
      show(text);
    },
  };
}
