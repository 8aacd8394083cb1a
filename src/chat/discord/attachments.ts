// A Discord message's attachments as attachment descriptors (translation only: reading is
// src/attachments). Discord's attachment URLs are signed links on its CDN and need no token; the
// size and content type come from the message itself, so a big file is refused before download.

import type { Attachment } from "discord.js";
import type { AttachmentDescriptor } from "../../attachments/read-attachments.js";

export function discordAttachments(attachments: Iterable<Pick<Attachment, "name" | "contentType" | "size" | "url">>): AttachmentDescriptor[] {
  return [...attachments].map((attachment) => ({
    name: attachment.name,
    mimeType: attachment.contentType ?? undefined,
    size: attachment.size,
    url: attachment.url,
  }));
}
