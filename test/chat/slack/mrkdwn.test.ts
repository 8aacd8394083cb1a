import { describe, expect, it } from "vitest";
import { escapeMrkdwn, markdownToMrkdwn, slackTextToPlain } from "../../../src/chat/slack/mrkdwn.js";
import { safeMrkdwn } from "../../../src/chat/slack/reply-channel.js";

const Z = "\u200B";

describe("markdownToMrkdwn", () => {
  it("turns bold, italic and strike into Slack markers", () => {
    expect(markdownToMrkdwn("a **bold** b")).toBe("a *bold* b");
    expect(markdownToMrkdwn("a __under__ b")).toBe("a _under_ b");
    expect(markdownToMrkdwn("a *it* b")).toBe("a _it_ b");
    expect(markdownToMrkdwn("a ~~gone~~ b")).toBe("a ~gone~ b");
    expect(markdownToMrkdwn("**bold** and *it*")).toBe("*bold* and _it_");
  });

  it("pads markers glued to Japanese text with zero-width spaces so Slack renders them", () => {
    expect(markdownToMrkdwn("これは**重要**です")).toBe(`これは${Z}*重要*${Z}です`);
    expect(markdownToMrkdwn("「**重要**」")).toBe("「*重要*」");
  });

  it("leaves snake_case, arithmetic and lone markers alone", () => {
    expect(markdownToMrkdwn("a snake__case__name")).toBe("a snake__case__name");
    expect(markdownToMrkdwn("2*3*4 = 24")).toBe("2*3*4 = 24");
    expect(markdownToMrkdwn("a ** b")).toBe("a ** b");
  });

  it("turns links and images into <url|text>", () => {
    expect(markdownToMrkdwn("see [the docs](https://example.com/a?b=1&c=2)")).toBe("see <https://example.com/a?b=1&amp;c=2|the docs>");
    expect(markdownToMrkdwn("![a cat](https://example.com/cat.png)")).toBe("<https://example.com/cat.png|a cat>");
    expect(markdownToMrkdwn("<https://example.com>")).toBe("<https://example.com>");
    expect(markdownToMrkdwn("[x](https://e.com/a|b)")).toBe("<https://e.com/a%7Cb|x>");
    // Not a web link: Slack could not open it, so it is written out.
    expect(markdownToMrkdwn("[file](./notes.md)")).toBe("file (./notes.md)");
  });

  it("makes headings bold lines", () => {
    expect(markdownToMrkdwn("# 概要\n本文")).toBe("*概要*\n本文");
    expect(markdownToMrkdwn("### **Step** 1 ###")).toBe("*Step 1*");
  });

  it("escapes &, < and > outside links, and never lets the model ping anyone", () => {
    expect(markdownToMrkdwn("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    expect(markdownToMrkdwn("hi <!channel> and <@U123>")).toBe("hi &lt;!channel&gt; and &lt;@U123&gt;");
    expect(escapeMrkdwn("<&>")).toBe("&lt;&amp;&gt;");
  });

  it("leaves code blocks and inline code unconverted (only escaped)", () => {
    const md = "```ts\nconst a = **b** < c;\n# not a heading\n```\nafter **x**";
    expect(markdownToMrkdwn(md)).toBe("```\nconst a = **b** &lt; c;\n# not a heading\n```\nafter *x*");
    expect(markdownToMrkdwn("use `**kwargs` and `a<b`")).toBe("use `**kwargs` and `a&lt;b`");
    expect(markdownToMrkdwn("``x ` y``")).toBe("`x ` y`");
  });

  it("closes a code block that is still being streamed", () => {
    expect(markdownToMrkdwn("code:\n```python\nprint(1)")).toBe("code:\n```\nprint(1)\n```");
  });

  it("turns bullets into •, keeps numbered lists and quotes", () => {
    expect(markdownToMrkdwn("- one\n* two\n  + three\n1. four")).toBe("• one\n• two\n  • three\n1. four");
    expect(markdownToMrkdwn("> quoted **x**")).toBe("&gt; quoted *x*");
    expect(markdownToMrkdwn("---")).toBe("──────────");
  });

  it("keeps plain Japanese text as it is", () => {
    const text = "サリーは最初にかごを探します。\n\n理由：ボールが移されたことを知らないからです。";
    expect(markdownToMrkdwn(text)).toBe(text);
  });
});

describe("slackTextToPlain", () => {
  it("drops the bot's mention and reads other entities", () => {
    expect(slackTextToPlain("<@UBOT> こんにちは", "UBOT")).toBe("こんにちは");
    expect(slackTextToPlain("<@UBOT>  <@U1> と <@U2|taro> に", "UBOT")).toBe("@U1 と @taro に");
    expect(slackTextToPlain("<#C1|general> <!here> <!subteam^S1|@devs>")).toBe("#general @here @devs");
  });

  it("reads links and undoes the escaping", () => {
    expect(slackTextToPlain("<https://e.com/a?b=1&amp;c=2>")).toBe("https://e.com/a?b=1&c=2");
    expect(slackTextToPlain("<https://e.com|docs> and <mailto:a@b.jp|a@b.jp>")).toBe("[docs](https://e.com) and a@b.jp");
    expect(slackTextToPlain("a &lt; b &amp;&amp; c &gt; d")).toBe("a < b && c > d");
    expect(slackTextToPlain(`これは${Z}*重要*${Z}です`)).toBe("これは*重要*です");
  });
});

describe("safeMrkdwn", () => {
  it("escapes the text when the converter fails, so nothing can ping", () => {
    const broken = () => {
      throw new Error("bug");
    };
    expect(safeMrkdwn("<!channel> **見て**", broken)).toBe("&lt;!channel&gt; **見て**");
    expect(safeMrkdwn("<!channel> **見て**")).not.toContain("<!channel>");
  });
});
