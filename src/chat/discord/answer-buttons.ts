// The answer's buttons on Discord (message components): Stop while it streams, Regenerate and 👍/👎
// once it is over, in one action row under the answer's last message. A click comes back as a
// component interaction whose custom_id says which button and which answer. What a click may do is
// the core's decision (src/core/answer-actions.ts).

import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponentWithCustomId } from "discord.js";
import { ANSWER_ACTIONS, type AnswerAction, type AnswerControls } from "../../core/answer-actions.js";

/** custom_id "elyza_answer:<action>:<answer id>" (at most 100 characters; the id is a UUID). */
const CUSTOM_ID = /^elyza_answer:(stop|regenerate|up|down):(.+)$/;

const BUTTONS: Record<AnswerAction, { readonly label: string; readonly emoji: string; readonly style: ButtonStyle }> = {
  stop: { label: "停止", emoji: "⏹️", style: ButtonStyle.Danger },
  regenerate: { label: "再生成", emoji: "🔄", style: ButtonStyle.Secondary },
  up: { label: "", emoji: "👍", style: ButtonStyle.Secondary },
  down: { label: "", emoji: "👎", style: ButtonStyle.Secondary },
};

export function answerCustomId(action: AnswerAction, answerId: string): string {
  return `elyza_answer:${action}:${answerId}`;
}

/** The components of a message with the buttons of `controls`; [] removes them. */
export function answerComponents(controls: AnswerControls | undefined): APIActionRowComponent<APIButtonComponentWithCustomId>[] {
  const actions: readonly AnswerAction[] = controls?.phase === "streaming" ? ["stop"] : controls?.phase === "finished" ? ["regenerate", "up", "down"] : [];
  if (actions.length === 0) return [];
  return [
    {
      type: ComponentType.ActionRow,
      components: actions.map((action) => {
        const { label, emoji, style } = BUTTONS[action];
        return {
          type: ComponentType.Button,
          style: style as ButtonStyle.Danger | ButtonStyle.Secondary,
          custom_id: answerCustomId(action, controls!.answerId),
          emoji: { name: emoji },
          ...(label ? { label } : {}),
        };
      }),
    },
  ];
}

/** The action and answer of one of these buttons' custom_id, or undefined. */
export function parseAnswerCustomId(customId: string): { action: AnswerAction; answerId: string } | undefined {
  const match = CUSTOM_ID.exec(customId);
  if (!match) return undefined;
  const action = match[1] as AnswerAction;
  return ANSWER_ACTIONS.includes(action) ? { action, answerId: match[2]! } : undefined;
}
