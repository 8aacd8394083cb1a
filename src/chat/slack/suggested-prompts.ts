// The suggested prompts of the bot's split-view pane in Slack (assistant.threads.setSuggestedPrompts),
// as data: edit the wording here. Slack shows at most four; `title` is the button, `message` what is
// sent as the person's first message when they click it.

export interface SuggestedPrompt {
  readonly title: string;
  readonly message: string;
}

export const SUGGESTED_PROMPTS_TITLE = "たとえば、こんなことを聞けます";

export const SUGGESTED_PROMPTS: readonly SuggestedPrompt[] = [
  { title: "文章を要約する", message: "次の文章を3行で要約してください。\n\n（ここに文章を貼り付けてください）" },
  { title: "メールの下書き", message: "取引先に打ち合わせの日程変更をお願いする、丁寧なメールの下書きを書いてください。" },
  { title: "英語を日本語に訳す", message: "次の英文を自然な日本語に訳してください。\n\n（ここに英文を貼り付けてください）" },
  { title: "アイデアを出す", message: "社内勉強会のテーマ案を5つ、それぞれ一言の説明つきで挙げてください。" },
];
