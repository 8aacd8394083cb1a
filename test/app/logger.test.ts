// The log: JSON lines (one event per line, level as a word, the event's fields as given), filtered
// by level, every secret value and token-shaped string redacted whatever field it is in, and
// pino-pretty's readable lines on a terminal.

import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/app/logger.js";
import type { Secrets } from "../../src/config/secrets.js";

class Sink {
  text = "";
  isTTY: boolean | undefined;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  get lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }
}

const BOT = "xoxb-logger-test-bot-Z8yq3Rk1";
const SIGNING = "3f1c9e0b7a6d5c4b3a2f1e0d";
const secrets: Secrets = { slack: { botToken: BOT, signingSecret: SIGNING, mode: "http" } };

describe("createLogger", () => {
  it("writes one JSON object per event with stable field names, at or above the level", () => {
    const sink = new Sink();
    const log = createLogger("info", secrets, sink as unknown as NodeJS.WritableStream);
    log.debug("not shown");
    log.info("answer", { platform: "slack", channel: "C1", questionKey: "slack:C1:1.2", outcome: "answered", durationMs: 1234 });
    log.warn("plain message", 42);
    expect(sink.lines).toHaveLength(2);
    const [answer, warn] = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answer).toMatchObject({
      level: "info",
      msg: "answer",
      platform: "slack",
      channel: "C1",
      questionKey: "slack:C1:1.2",
      outcome: "answered",
      durationMs: 1234,
    });
    expect(new Date(String(answer!["time"])).toISOString()).toBe(answer!["time"]);
    expect(warn).toMatchObject({ level: "warn", msg: "plain message 42" });
  });

  it("redacts secret values and token shapes in the message, in fields and in errors", () => {
    const sink = new Sink();
    const log = createLogger("debug", secrets, sink as unknown as NodeJS.WritableStream);
    log.error(`upstream said ${BOT}`, new Error(`bad signature ${SIGNING}`), { url: `https://x/?t=${BOT}`, other: "xapp-1-A0001-123456789-abcdef" });
    expect(sink.lines).toHaveLength(1);
    expect(sink.text).not.toContain(BOT);
    expect(sink.text).not.toContain(SIGNING);
    expect(sink.text).not.toContain("xapp-1-A0001");
    const line = JSON.parse(sink.lines[0]!) as { msg: string; err: { message: string; stack: string }; url: string; other: string };
    expect(line.msg).toBe("upstream said [redacted]");
    expect(line.err.message).toBe("bad signature [redacted]");
    expect(line.err.stack).toContain("logger.test.ts");
    expect(line.url).toBe("https://x/?t=[redacted]");
    expect(line.other).toBe("[redacted]");
  });

  it("is silent at level silent", () => {
    const sink = new Sink();
    const log = createLogger("silent", secrets, sink as unknown as NodeJS.WritableStream);
    log.error("nothing");
    expect(sink.text).toBe("");
  });

  it("prints readable lines (pino-pretty) on a terminal, still redacted", () => {
    const sink = new Sink();
    sink.isTTY = true;
    const log = createLogger("info", secrets, sink as unknown as NodeJS.WritableStream);
    log.info(`connected with ${BOT}`, { platform: "discord" });
    expect(() => JSON.parse(sink.lines[0]!)).toThrow();
    // Colours on a terminal; the text without them:
    const plain = sink.text.replace(/\x1b\[[0-9;]*m/g, "");
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: connected with \[redacted\]\n\s+platform: "discord"\n$/);
    expect(sink.text).not.toContain(BOT);
  });
});
