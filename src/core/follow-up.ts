// Is a message that does not @mention the bot still for the bot? In the bot's own conversation —
// a Slack thread where it has answered, a Discord thread it opened, a reply to one of its answers —
// the thread is the conversation, so the next human message is a follow-up and is answered without
// a mention (config chat.followUps). Not when it is addressed to someone else only (it mentions
// other people and not the bot: two humans talking beside the bot), nor when it starts with the
// ignore prefix (chat.ignorePrefix, "//" by default: a remark the asker wants the bot to skip).
// One pure function for every platform; the adapters only supply the facts. Whether the message is
// in the bot's conversation may cost a platform call (Slack: reading the thread), so the adapter
// may say "unknown" first and is told whether it needs to find out.

export interface FollowUpSettings {
  /** chat.followUps: false answers only mentions and DMs, as before. */
  readonly enabled: boolean;
  /** chat.ignorePrefix; "" ignores nothing by prefix. */
  readonly ignorePrefix: string;
}

export interface FollowUpFacts {
  /** The message's text as a person reads it (the ignore prefix is looked for at its start). */
  readonly text: string;
  /** It mentions users other than the bot. */
  readonly mentionsOthers: boolean;
  /** It is in the bot's conversation; "unknown" when finding out costs a platform call. */
  readonly inBotConversation: boolean | "unknown";
}

export type FollowUpDecision =
  | { readonly kind: "answer" }
  | { readonly kind: "ignore"; readonly reason: string }
  /** Everything else says answer: find out whether it is the bot's conversation, then decide again. */
  | { readonly kind: "check-conversation" };

export function decideFollowUp(facts: FollowUpFacts, settings: FollowUpSettings): FollowUpDecision {
  if (!settings.enabled) return { kind: "ignore", reason: "follow-ups are off (chat.followUps)" };
  if (settings.ignorePrefix !== "" && facts.text.trimStart().startsWith(settings.ignorePrefix)) {
    return { kind: "ignore", reason: `starts with the ignore prefix ${JSON.stringify(settings.ignorePrefix)}` };
  }
  if (facts.mentionsOthers) return { kind: "ignore", reason: "mentions someone else, not the bot" };
  if (facts.inBotConversation === "unknown") return { kind: "check-conversation" };
  if (!facts.inBotConversation) return { kind: "ignore", reason: "not in a conversation with the bot" };
  return { kind: "answer" };
}
