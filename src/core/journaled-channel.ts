// A ReplyChannel that writes every post and edit of one answer into the journal, and that reuses
// the messages an earlier attempt already posted (a replay after a restart, a retry after an
// outage): the n-th post of the answer becomes an edit of the n-th message the journal knows, so
// the placeholder left by the previous process turns into the answer instead of staying frozen
// next to a second one.

import type { Journal, JournalMessage } from "./journal.js";
import type { PostedMessage, ReplyChannel } from "./types.js";

export function journaledChannel(reply: ReplyChannel, journal: Journal, key: string, earlier: readonly JournalMessage[] = []): ReplyChannel {
  let posts = 0;
  return {
    limits: reply.limits,
    ...(reply.address ? { address: reply.address } : {}),
    ...(reply.format ? { format: (markdown: string) => reply.format!(markdown) } : {}),
    ...(reply.controls ? { controls: (controls) => reply.controls!(controls) } : {}),
    ...(reply.status ? { status: (text: string) => reply.status!(text) } : {}),
    ...(reply.end ? { end: () => reply.end!() } : {}),
    async post(text: string): Promise<PostedMessage> {
      const part = posts++;
      const adopted = earlier[part];
      if (adopted) {
        journal.shown(key, adopted.id, text);
        // An edit carries the whole text, so it does not matter whether the earlier attempt's
        // last edit landed: the message shows exactly `text` afterwards.
        await reply.edit({ id: adopted.id }, text);
        return { id: adopted.id };
      }
      const message = await reply.post(text, part);
      journal.posted(key, part, message.id, text);
      return message;
    },
    async edit(message: PostedMessage, text: string): Promise<void> {
      // Recorded before it is sent: after a crash mid-call the message may show it, and the
      // recovery's edit (this text plus the end marker) is right either way.
      journal.shown(key, message.id, text);
      await reply.edit(message, text);
    },
  };
}
