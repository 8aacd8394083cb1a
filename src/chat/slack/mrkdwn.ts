// Markdown (what the model writes) → Slack mrkdwn (what a message's `text` renders), and Slack
// message text → plain text for the model. Slack treats &, < and > as control characters everywhere,
// code included: `<!channel>` inside a code span would still ping, so they are escaped everywhere;
// code is otherwise left as it is.

const ZWSP = "\u200B";
// Private-use characters stand in for links and bold markers while the rest of a line is rewritten.
const LINK_OPEN = "\uE000";
const LINK_CLOSE = "\uE001";
const BOLD = "\uE002";

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  let fence: { char: string; length: number } | null = null;
  for (const line of markdown.split("\n")) {
    if (fence) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      if (close?.[1] && close[1][0] === fence.char && close[1].length >= fence.length) {
        out.push("```");
        fence = null;
      } else {
        out.push(escapeMrkdwn(line));
      }
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (open?.[1] && !(open[1][0] === "`" && open[2]?.includes("`"))) {
      // The info string ("```ts") would show as a first code line in Slack: drop it.
      fence = { char: open[1][0] ?? "`", length: open[1].length };
      out.push("```");
      continue;
    }
    out.push(convertLine(line));
  }
  // A streamed answer is shown while a code block is still open: close it so the rest renders as code.
  if (fence) out.push("```");
  return out.join("\n");
}

function convertLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
  if (heading) {
    const content = (heading[1] ?? "").replace(/\*\*(.+?)\*\*|__(.+?)__/g, "$1$2");
    return content.trim() === "" ? "" : emphasis("*", convertInline(content), "", "");
  }
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return "──────────";
  const quote = /^(\s*)>\s?(.*)$/.exec(line);
  if (quote) return `${quote[1] ?? ""}&gt; ${convertLine(quote[2] ?? "")}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1] ?? ""}• ${convertInline(bullet[2] ?? "")}`;
  return convertInline(line);
}

/** Rewrites one line outside code blocks, leaving inline code spans as they are (escaped). */
function convertInline(text: string): string {
  let result = "";
  let last = 0;
  for (const match of text.matchAll(/(`+)(.+?)\1(?!`)/g)) {
    result += convertProse(text.slice(last, match.index));
    // Slack knows only single-backtick spans.
    result += "`" + escapeMrkdwn(match[2] ?? "") + "`";
    last = match.index + match[0].length;
  }
  return result + convertProse(text.slice(last));
}

function convertProse(text: string): string {
  if (text === "") return "";
  const links: string[] = [];
  const hold = (rendered: string) => `${LINK_OPEN}${links.push(rendered) - 1}${LINK_CLOSE}`;
  let s = text
    .replace(/!?\[([^\]\n]*)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g, (_m, label: string, url: string) => hold(renderLink(url, label)))
    .replace(/<((?:https?|mailto):[^\s>]+)>/g, (_m, url: string) => hold(renderLink(url, "")));
  s = escapeMrkdwn(s);
  s = s.replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`);
  s = s.replace(/(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)/g, (m, inner: string, at: number, all: string) => emphasis("_", inner, all[at - 1], all[at + m.length]));
  s = s.replace(/(?<![*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, (m, inner: string, at: number, all: string) =>
    emphasis("_", inner, all[at - 1], all[at + m.length]),
  );
  s = s.replace(/~~(?=\S)(.+?)(?<=\S)~~/g, (m, inner: string, at: number, all: string) => emphasis("~", inner, all[at - 1], all[at + m.length]));
  s = s.replace(new RegExp(`${BOLD}(.+?)${BOLD}`, "g"), (m, inner: string, at: number, all: string) => emphasis("*", inner, all[at - 1], all[at + m.length]));
  // An unpaired ** stays visible as typed.
  s = s.replaceAll(BOLD, "**");
  return s.replace(new RegExp(`${LINK_OPEN}(\\d+)${LINK_CLOSE}`, "g"), (_m, i: string) => links[Number(i)] ?? "");
}

/**
 * Slack only sees *x* / _x_ / ~x~ as formatting when the markers are not glued to letters, and
 * Japanese has no spaces: a zero-width space next to a marker makes 「これは*太字*です」 render.
 */
function emphasis(marker: string, inner: string, before: string | undefined, after: string | undefined): string {
  const pad = (c: string | undefined) => (c === undefined || c === "" || /[\s\p{P}]/u.test(c) ? "" : ZWSP);
  return `${pad(before)}${marker}${inner}${marker}${pad(after)}`;
}

function renderLink(url: string, label: string): string {
  if (!/^(https?:|mailto:)/i.test(url)) return escapeMrkdwn(label === "" ? url : `${label} (${url})`);
  // | and > end Slack's <url|text>; percent-encoding keeps the URL the same.
  const safeUrl = escapeMrkdwn(url).replace(/\|/g, "%7C");
  const safeLabel = escapeMrkdwn(label.replace(/\|/g, "¦")).trim();
  return safeLabel === "" || safeLabel === safeUrl ? `<${safeUrl}>` : `<${safeUrl}|${safeLabel}>`;
}

/**
 * Slack message text → plain text for the model: drops the mention of the bot, writes other
 * mentions, channels and links the way a person reads them, and undoes the entity escaping.
 */
export function slackTextToPlain(text: string, botUserId?: string): string {
  return text
    .replace(/<([^<>]*)>/g, (_m, inner: string) => {
      const [target = "", label] = splitLabel(inner);
      if (target.startsWith("@")) return target.slice(1) === botUserId ? "" : label ? `@${label.replace(/^@/, "")}` : target;
      if (target.startsWith("#")) return label ? `#${label}` : target;
      if (target.startsWith("!")) {
        if (label) return label;
        const special = target.slice(1).split("^")[0] ?? "";
        return ["here", "channel", "everyone"].includes(special) ? `@${special}` : "";
      }
      const url = target.replace(/^mailto:/, "");
      return label && label !== url ? `[${label}](${target})` : url;
    })
    .replaceAll(ZWSP, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

function splitLabel(inner: string): [string, string | undefined] {
  const bar = inner.indexOf("|");
  return bar < 0 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1)];
}
