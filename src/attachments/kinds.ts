// Which attachments the bot can read, decided from the file name first and the platform's MIME type
// second (platforms label source files text/plain, application/octet-stream or nothing at all, but
// the extension is what the person chose). Everything else is named back to them as skipped.

export type ReadableKind = "text" | "pdf";

const TEXT_EXTENSIONS = new Set(
  (
    "txt text md markdown rst adoc org csv tsv json jsonl ndjson yaml yml toml ini cfg conf env properties xml html htm css scss sass less " +
    "log diff patch tex bib srt vtt " +
    // source code
    "ts tsx mts cts js jsx mjs cjs py pyi rb go rs java kt kts scala groovy gradle c h cc cpp cxx hpp hh cs fs vb php swift m mm " +
    "sh bash zsh fish ps1 bat cmd sql r jl lua pl pm dart ex exs erl hs ml mli clj cljs elm nim zig v sv vhd tf hcl proto graphql gql " +
    "vue svelte astro ipynb dockerfile makefile cmake mk nix"
  ).split(" "),
);

const BINARY_EXTENSIONS = new Set(
  "png jpg jpeg gif webp bmp ico heic tiff psd mp3 wav ogg flac m4a mp4 mov avi mkv webm zip gz tgz bz2 xz 7z rar tar jar exe dll so dylib bin iso dmg doc docx xls xlsx ppt pptx odt ods odp key numbers pages sqlite db woff woff2 ttf otf".split(
    " ",
  ),
);

/** Files known by their whole name rather than an extension. */
const TEXT_NAMES = new Set(["dockerfile", "makefile", "gemfile", "rakefile", "procfile", "readme", "license", "changelog", ".gitignore", ".editorconfig"]);

const TEXT_MIME = /^(text\/|application\/(json|ld\+json|xml|x-yaml|yaml|toml|javascript|typescript|x-sh|x-python|sql|x-httpd-php|csv|x-ndjson)\b)/i;

function extensionOf(name: string): string {
  const base = name.trim().toLowerCase().split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1) : "";
}

/** "text", "pdf", or undefined for a kind the bot does not read (images, archives, office files…). */
export function readableKind(name: string, mimeType: string | undefined): ReadableKind | undefined {
  const ext = extensionOf(name);
  const base = name.trim().toLowerCase().split(/[\\/]/).pop() ?? "";
  if (ext === "pdf") return "pdf";
  if (TEXT_EXTENSIONS.has(ext) || TEXT_NAMES.has(base)) return "text";
  const mime = (mimeType ?? "").split(";")[0]!.trim();
  if (/^application\/pdf$/i.test(mime)) return "pdf";
  // A known binary extension wins over a vague MIME type (a .png labelled text/plain by a proxy).
  if (BINARY_EXTENSIONS.has(ext)) return undefined;
  return TEXT_MIME.test(mime) ? "text" : undefined;
}
