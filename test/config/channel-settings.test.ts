// chat.channels through the real config loader (messages naming the key and the file) and
// chatSettingsFor, the one function the chat core asks per question.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chatSettingsFor, fillPrompt, promptDate, promptPlaceholderProblem } from "../../src/config/channel-settings.js";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "elyza-channels-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return { file, load: () => loadConfig({ configFile: file, env: {}, dotEnvFile: false }) };
}

function errorOf(yaml: string): string {
  const { file, load: run } = load(yaml);
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.replace(file, "FILE");
  }
  throw new Error("expected a ConfigError");
}

const ARTICLE_PROMPT = "あなたは誠実で優秀な日本人のアシスタントです。特に指示が無い場合は、常に日本語で回答してください。";
const NOW = new Date("2026-12-01T16:30:00Z"); // already 2 December in Tokyo

describe("chat.channels in the config", () => {
  it("is empty by default: every channel gets the article's prompt and the default sampling", () => {
    const config = loadConfig({ env: {}, dotEnvFile: false });
    expect(config.chat.channels).toEqual({});
    expect(chatSettingsFor(config, "C1", NOW)).toEqual({
      systemPrompt: ARTICLE_PROMPT,
      sampling: { temperature: 0.6, topP: 0.9, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 1200 },
    });
  });

  it("gives a listed channel its prompt with {date} and {channel} filled in and its sampling over the default", () => {
    const config = load(
      [
        "chat:",
        "  channels:",
        '    C0123: { systemPrompt: "今日は{date}、#{channel} の担当です。{{JSON}}で答えて。", sampling: { temperature: 0.1 } }',
        '    "112233445566778899": { sampling: { maxTokens: 300, topP: 0.5 } }',
        "sampling: { maxTokens: 800 }",
      ].join("\n"),
    ).load();
    expect(chatSettingsFor(config, "C0123", NOW, "helpdesk")).toEqual({
      systemPrompt: "今日は2026年12月2日(水)、#helpdesk の担当です。{JSON}で答えて。",
      sampling: { temperature: 0.1, topP: 0.9, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 800 },
    });
    expect(chatSettingsFor(config, "C0123", NOW).systemPrompt).toContain("#C0123 の担当");
    expect(chatSettingsFor(config, "112233445566778899", NOW)).toEqual({
      systemPrompt: ARTICLE_PROMPT,
      sampling: { temperature: 0.6, topP: 0.5, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 300 },
    });
    expect(chatSettingsFor(config, "C9999", NOW).sampling).toEqual({ temperature: 0.6, topP: 0.9, topK: 50, minP: 0, repeatPenalty: 1, maxTokens: 800 });
    // Not a prototype key lookup.
    expect(chatSettingsFor(config, "constructor", NOW).systemPrompt).toBe(ARTICLE_PROMPT);
  });

  it("fills {date} in the configured time zone", () => {
    const config = load('chat:\n  timeZone: UTC\n  channels:\n    C1: { systemPrompt: "{date}" }\n').load();
    expect(chatSettingsFor(config, "C1", NOW).systemPrompt).toBe("2026年12月1日(火)");
  });

  it.each<[string, string, RegExp]>([
    [
      "an unknown placeholder",
      'C1: { systemPrompt: "今日は{data}です" }',
      /^config error: chat\.channels\.C1\.systemPrompt: unknown placeholder \{data\} \(placeholders: \{date\}, \{channel\}; write \{\{ and \}\} for literal braces\) \[in FILE\]$/,
    ],
    ["a lone brace", 'C1: { systemPrompt: "JSON は { で始まる" }', /chat\.channels\.C1\.systemPrompt: a lone \{ or \}/],
    ["an empty prompt", 'C1: { systemPrompt: "  " }', /chat\.channels\.C1\.systemPrompt: must not be empty/],
    ["a misspelt key", 'C1: { systemprompt: "x" }', /chat\.channels\.C1\.systemprompt: unknown key/],
    ["a bad sampling value", "C1: { sampling: { temperature: 3 } }", /chat\.channels\.C1\.sampling\.temperature: must be at most 2/],
    ["an unknown sampling key", "C1: { sampling: { top_p: 0.5 } }", /chat\.channels\.C1\.sampling\.top_p: unknown key/],
    ["a bad channel id", '"C 1": { sampling: { topP: 0.5 } }', /chat\.channels\.C 1: channel ids are letters, digits/],
  ])("names %s with its key and file", (_what, entry, expected) => {
    expect(errorOf(`chat:\n  channels:\n    ${entry}\n`)).toMatch(expected);
  });

  it("names a bad time zone", () => {
    expect(errorOf("chat:\n  timeZone: Mars/Olympus\n")).toMatch(/chat\.timeZone: must be an IANA time zone/);
  });
});

describe("placeholders", () => {
  it("accepts known ones and escapes, fills them in, leaves no lone brace", () => {
    expect(promptPlaceholderProblem("{date}{channel}{{x}}")).toBeUndefined();
    expect(promptPlaceholderProblem("{Date} {x}")).toBe(
      "unknown placeholders {Date}, {x} (placeholders: {date}, {channel}; write {{ and }} for literal braces)",
    );
    expect(promptPlaceholderProblem("}")).toMatch(/lone/);
    expect(fillPrompt("{{date}} は {date}", { date: "D", channel: "C" })).toBe("{date} は D");
    expect(promptDate(new Date("2026-01-05T00:00:00Z"), "Asia/Tokyo")).toBe("2026年1月5日(月)");
  });
});
