// Every user-facing string of the chat core, in one place so that wording can be reviewed and
// changed without touching the logic. Short and polite: these show up in busy team channels.

import type { TimeoutKind } from "../inference/errors.js";

export const messages = {
  /** Placeholder while the question waits in the shared queue. */
  queued: (position: number): string => `順番待ち: ${position}番目`,
  /** Placeholder once generation has started but no text has arrived yet. */
  thinking: "考え中…",

  // Refusals (nothing was queued).
  channelNotAllowed: "このチャンネルではご利用いただけません。",
  userNotAllowed: "このボットを利用する権限がありません。",
  rateLimited: (perMinute: number, retryAfterSeconds: number): string =>
    `質問が多すぎます（1分あたり${perMinute}回まで）。${retryAfterSeconds}秒後にもう一度お試しください。`,
  queueFull: "ただいま混み合っているため受け付けられませんでした。しばらくしてからもう一度お試しください。",
  userLimit: "まだ回答待ちの質問があります。前の回答が終わってからもう一度お試しください。",
  emptyQuestion: "メンションに続けて質問を書いてください。例:「@ボット 日本で一番高い山は？」",

  // Failures: the placeholder is replaced by one of these (or it is appended to a partial answer).
  timeout: (kind: TimeoutKind): string =>
    kind === "queue_wait"
      ? "順番待ちの時間が長すぎたため、取り消しました。しばらくしてからもう一度お試しください。"
      : kind === "first_token"
        ? "回答の生成が始まらないまま時間切れになりました。もう一度お試しください。"
        : "回答の生成に時間がかかりすぎたため、打ち切りました。",
  tooLong: "質問（と会話の履歴）が長すぎてモデルに入りきりません。短くしてもう一度お試しください。",
  engineError: "エラーが発生したため回答できませんでした。もう一度お試しください。",
  /** Every inference backend (GPU host, inference server) is out of rotation. */
  backendsUnavailable: "推論サーバーに接続できないため回答できませんでした。しばらくしてからもう一度お試しください。",
  emptyAnswer: "回答を生成できませんでした（空の応答）。もう一度お試しください。",
  cancelled: "キャンセルしました。",
  /** The asker pressed Stop before any text arrived. */
  stopped: "停止しました。",
  /** The bot is stopping: a waiting or running answer ends with this (or cutByShutdown), a new question gets it too. */
  shuttingDown: "ボットが停止するため回答できませんでした。再開後にもう一度お試しください。",
  /** A question accepted before a restart and now too old to answer (see the journal's maxAgeMs). */
  restartExpired: "再起動のため回答できませんでした。もう一度お尋ねください。",

  // Notes appended after a partial answer (in parentheses, so they read as the bot's remark).
  cutByTimeout: "（時間切れのため、回答はここまでです）",
  cutByCancel: "（キャンセルされたため、回答はここまでです）",
  /** The asker (or an admin) pressed Stop. */
  cutByStop: "（停止ボタンで止めたため、回答はここまでです）",
  cutByError: "（エラーのため、回答はここまでです）",
  cutByShutdown: "（ボットが停止するため、回答はここまでです）",
  cutByLength: "（長さの上限に達したため、回答はここまでです）",
  /** Put under an answer that was being written when the bot stopped (crash, kill -9) or lost the platform. */
  cutByInterruption: "（回答の途中で中断されたため、回答はここまでです）",
} as const;

/** /probe wording shared by every platform (platform-only cases stay with their adapter). */
export const probeMessages = {
  notAdmin: "/probe を実行する権限がありません（設定の access.probeAdmins に登録されたユーザーまたはロールのみ実行できます）。",
  unavailable: "このボットではプローブを利用できません。",
  cancelled: "実行中のプローブを中止しました。結果はプローブのメッセージに表示されます。",
  nothingToCancel: "実行中のプローブはありません。",
  /** Only one probe runs at a time: a second request follows the running one and gets its result. */
  joined: "すでに実行中のプローブがあるため、その進捗と結果を表示します。",
  failed: (reason: string): string => `プローブを実行できませんでした: ${reason}`,
  shuttingDown: "ボットが停止するため、プローブを開始できませんでした。",
} as const;
