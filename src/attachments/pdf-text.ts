// The text layer of a PDF, page by page, through unpdf (a maintained, pure-JS build of Mozilla's
// PDF.js that needs no canvas or native module). Scanned PDFs have no text layer: that is reported,
// never passed on as an empty file.

import { extractText, getDocumentProxy } from "unpdf";

export type PdfText = { readonly text: string; readonly pages: number } | { readonly problem: string };

export async function pdfText(bytes: Uint8Array): Promise<PdfText> {
  let document;
  try {
    // PDF.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    document = await getDocumentProxy(new Uint8Array(bytes));
  } catch (error) {
    return { problem: `not a readable PDF (${error instanceof Error ? error.message : String(error)})` };
  }
  try {
    const { text, totalPages } = await extractText(document, { mergePages: false });
    const pages = text.map((page) => page.trim());
    if (pages.every((page) => page === "")) return { problem: "the PDF has no text layer (a scan or images only)" };
    return { text: pages.map((page, i) => (totalPages > 1 ? `[p.${i + 1}]\n${page}` : page)).join("\n\n"), pages: totalPages };
  } finally {
    await document.destroy();
  }
}
