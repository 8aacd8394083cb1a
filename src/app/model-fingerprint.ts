// A fingerprint of the model file for the probe history: a change of quantization or a re-download
// of a different file shows up even when the file name stays the same. Hashing all of a 5 GB file
// takes tens of seconds, so the size and the first and last 4 MiB stand for it (GGUF headers hold
// the metadata and tensor table; the tail holds the last tensors).

import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

const SPAN = 4 * 1024 * 1024;

export async function modelFingerprint(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const hash = createHash("sha256").update(`size:${size}\n`);
    const head = Buffer.alloc(Math.min(SPAN, size));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > SPAN) {
      const tail = Buffer.alloc(Math.min(SPAN, size - SPAN));
      await handle.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return hash.digest("hex");
  } finally {
    await handle.close();
  }
}
