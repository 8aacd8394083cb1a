// Bytes of a "text" attachment as a string. UTF-8 first (a BOM is dropped); files from Japanese
// Windows tools are still often Shift_JIS, so a file that is not valid UTF-8 is tried as that
// (Node's ICU decoder) before it is given up. NUL bytes mean a binary file under a text name.

export type Decoded = { readonly text: string } | { readonly problem: string };

export function decodeText(bytes: Uint8Array): Decoded {
  if (bytes.includes(0)) return { problem: "binary content (not text)" };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    // not UTF-8: try Shift_JIS below
  }
  try {
    return { text: new TextDecoder("shift_jis", { fatal: true }).decode(bytes) };
  } catch {
    return { problem: "not UTF-8 or Shift_JIS text" };
  }
}
