// The answer's buttons in Slack (Block Kit): Stop while it streams, Regenerate and 👍/👎 once it is
// over. A message with blocks shows its blocks, not its `text` (which stays the notification and
// screen-reader text), so the answer goes into section blocks above the buttons. A click comes back
// as a block_actions payload; its action_id says which button, its value which answer. What a click
// may do is the core's decision (src/core/answer-actions.ts).

import type { types } from "@slack/bolt";

type Button = types.Button;
type KnownBlock = types.KnownBlock;
import { ANSWER_ACTIONS, type AnswerAction, type AnswerControls } from "../../core/answer-actions.js";

/** action_id of each button: "elyza_answer_stop" etc. (Bolt routes them by this prefix). */
export const ACTION_PREFIX = "elyza_answer_";
export const ACTION_ID_PATTERN = /^elyza_answer_(stop|regenerate|up|down)$/;

/** Slack's limit for a section block's text. */
const SECTION_CHARS = 3000;

const LABELS: Record<AnswerAction, string> = { stop: "⏹ 停止", regenerate: "🔄 再生成", up: "👍", down: "👎" };

function button(action: AnswerAction, answerId: string): Button {
  return {
    type: "button",
    action_id: `${ACTION_PREFIX}${action}`,
    text: { type: "plain_text", text: LABELS[action], emoji: true },
    value: answerId,
    ...(action === "stop" ? { style: "danger" as const } : {}),
  };
}

/** The buttons of a phase, in order (none for "none"). */
export function actionsFor(phase: AnswerControls["phase"]): readonly AnswerAction[] {
  return phase === "streaming" ? ["stop"] : phase === "finished" ? ["regenerate", "up", "down"] : [];
}

/**
 * The blocks of a message showing `mrkdwn` with the buttons of `controls`; [] (which removes the
 * blocks, so the message shows its text again) when there are no buttons.
 */
export function answerBlocks(mrkdwn: string, controls: AnswerControls | undefined): KnownBlock[] {
  const actions = actionsBlock(controls);
  if (actions.length === 0) return [];
  const sections = pieces(mrkdwn, SECTION_CHARS).map((text): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } }));
  return [...sections, ...actions];
}

/** The buttons alone, as the one block chat.stopStream puts under a streamed answer; [] for none. */
export function actionsBlock(controls: AnswerControls | undefined): KnownBlock[] {
  const actions = controls ? actionsFor(controls.phase) : [];
  if (actions.length === 0) return [];
  return [{ type: "actions", block_id: `elyza_answer:${controls!.answerId}`, elements: actions.map((a) => button(a, controls!.answerId)) }];
}

/** The click's action and answer, or undefined for a payload that is not one of these buttons. */
export function clickedAction(action: { action_id?: unknown; value?: unknown }): { action: AnswerAction; answerId: string } | undefined {
  const match = typeof action.action_id === "string" ? ACTION_ID_PATTERN.exec(action.action_id) : null;
  if (!match || typeof action.value !== "string" || action.value === "") return undefined;
  const name = match[1] as AnswerAction;
  return ANSWER_ACTIONS.includes(name) ? { action: name, answerId: action.value } : undefined;
}

/** `text` in pieces of at most `max` UTF-16 units, never splitting a surrogate pair. */
function pieces(text: string, max: number): string[] {
  const out: string[] = [];
  let current = "";
  for (const point of text === "" ? ["…"] : text) {
    if (current.length + point.length > max) {
      out.push(current);
      current = "";
    }
    current += point;
  }
  if (current !== "") out.push(current);
  return out;
}
