// Files shared with a question on Slack: the event as the real Bolt client receives it from the
// fake, translated by slackAttachments, read from url_private with the bot token (the fake serves
// files only to it, as Slack does with files:read, and redirects anyone else to its sign-in page).

import { App, LogLevel } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAttachments } from "../../../src/attachments/read-attachments.js";
import { slackAttachments, type SlackFile } from "../../../src/chat/slack/attachments.js";
import { FakeSlack } from "../../fakes/slack/fake-slack.js";
import { tinyPdf } from "../../helpers/tiny-pdf.js";

let fake: FakeSlack;
let app: App;
const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
const perChar = (text: string) => [...text].length;

beforeEach(async () => {
  fake = await FakeSlack.start();
  app = new App({ token: fake.botToken, appToken: fake.appToken, socketMode: true, clientOptions: { slackApiUrl: fake.apiUrl }, logger: quiet });
  await app.start();
  await fake.waitForSocket();
});
afterEach(async () => {
  await app.stop();
  await fake.stop();
});

describe("Slack attachments", () => {
  it("reads files shared with a mention through url_private with the bot token; skips and names the rest", async () => {
    const received = new Promise<SlackFile[]>((resolve) =>
      app.event("app_mention", async ({ event }) => resolve((event as { files?: SlackFile[] }).files ?? [])),
    );
    const files = [
      fake.hostFile({ name: "memo.txt", mimetype: "text/plain", data: Buffer.from("会議は15時から") }),
      fake.hostFile({ name: "Untitled", mimetype: "text/plain", filetype: "python", mode: "snippet", data: Buffer.from("print('hi')\n") }),
      fake.hostFile({ name: "spec.pdf", mimetype: "application/pdf", data: tinyPdf([["Spec v2: ship on Friday."]]) }),
      fake.hostFile({ name: "diagram.png", mimetype: "image/png", data: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }),
    ];
    fake.userSays("C1", "U1", `<@${fake.botUserId}> これを読んで`, { files });
    const descriptors = slackAttachments(await received, fake.botToken);
    expect(JSON.stringify(descriptors)).not.toContain(fake.botToken);

    const read = await readAttachments(descriptors, { budgetTokens: 1000, countTokens: perChar });
    expect(read.blocks.map((b) => [b.name, b.text])).toEqual([
      ["memo.txt", "会議は15時から"],
      ["Untitled", "print('hi')\n"],
      ["spec.pdf", "Spec v2: ship on Friday."],
    ]);
    expect(read.leftOut.map((l) => [l.name, l.reason])).toEqual([["diagram.png", "unsupported"]]);
    const downloads = fake.callsTo("(file download)");
    expect(downloads).toHaveLength(3);
    expect(downloads.every((d) => d.token === fake.botToken && d.status === 200)).toBe(true);
  });

  it("says so when Slack answers with its sign-in page (a token without files:read)", async () => {
    const file = fake.hostFile({ name: "data.csv", mimetype: "text/csv", data: Buffer.from("a,b\n1,2\n") });
    const read = await readAttachments(slackAttachments([file], "xoxb-not-the-bot"), { budgetTokens: 100, countTokens: perChar });
    expect(read.blocks).toEqual([]);
    expect(read.leftOut).toEqual([
      { name: "data.csv", reason: "fetch_failed", detail: "the platform sent a web page instead of the file (for Slack: is the files:read scope granted?)" },
    ]);
  });

  it("names external and deleted files without fetching them", () => {
    const descriptors = slackAttachments(
      [
        { id: "F1", name: "gdoc", mode: "external", url_private: "https://docs.example/x" },
        { id: "F2", mode: "tombstone" },
        { id: "F3", name: "shared.txt", file_access: "check_file_info" },
      ],
      "xoxb-x",
    );
    expect(descriptors.map((d) => [d.name, d.url])).toEqual([
      ["gdoc", undefined],
      ["F2", undefined],
      ["shared.txt", undefined],
    ]);
  });
});
