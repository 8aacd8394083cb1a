// Slack's `files` on a message event as attachment descriptors (translation only: reading is
// src/attachments). Slack serves a file's url_private only with the bot token as a bearer token and
// the files:read scope; the token is handed over as a function so that a logged descriptor never
// shows it. Files Slack gives no private link for (external files, deleted "tombstone" files, Slack
// Connect files that need files.info first) become descriptors without a url, reported by name.

import type { AttachmentDescriptor } from "../../attachments/read-attachments.js";

/** The fields of a Slack file object that matter here (https://api.slack.com/types/file). */
export interface SlackFile {
  readonly id?: string;
  readonly name?: string | null;
  readonly title?: string | null;
  readonly mimetype?: string | null;
  readonly filetype?: string | null;
  readonly size?: number | null;
  /** hosted | snippet | post | external | tombstone | … */
  readonly mode?: string | null;
  readonly url_private?: string | null;
  readonly url_private_download?: string | null;
  /** "check_file_info": Slack Connect, the object is partial until files.info. */
  readonly file_access?: string | null;
}

export function slackAttachments(files: readonly SlackFile[] | undefined, botToken: string): AttachmentDescriptor[] {
  return (files ?? []).map((file) => {
    const usable = file.mode !== "tombstone" && file.mode !== "external" && file.file_access !== "check_file_info";
    const url = usable ? (file.url_private_download ?? file.url_private ?? undefined) : undefined;
    return {
      name: file.name || file.title || file.id || "(unnamed file)",
      mimeType: file.mimetype ?? undefined,
      size: file.size ?? undefined,
      url,
      authorization: () => `Bearer ${botToken}`,
    };
  });
}
