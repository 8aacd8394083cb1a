// Retries of Discord REST calls with a backoff. discord.js retries a 5xx or a network error 3 times
// at once (no wait), so a burst of a few hundred milliseconds is enough to fail the call; this waits
// between further attempts. Only failures that say nothing about the request itself are retried —
// 5xx (HTTPError), timeouts and network errors; a DiscordAPIError (4xx: bad request, missing access,
// unknown message) would fail the same way again. 429s are waited out inside discord.js.
// Callers must make their calls safe to repeat (a nonce for creates; edits are idempotent).

import { HTTPError } from "discord.js";

export interface RestRetryOptions {
  /** Waits before each further attempt, in ms; its length is the number of retries. */
  readonly delaysMs: readonly number[];
}

/** About 7 s of retries in all (plus discord.js's own), within the chat core's 30 s per call. */
export const DEFAULT_REST_RETRY: RestRetryOptions = { delaysMs: [250, 750, 2_000, 4_000] };

export async function withRestRetries<T>(call: () => Promise<T>, options: RestRetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const wait = options.delaysMs[attempt];
      if (wait === undefined || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** A 5xx after discord.js's retries, a timed-out request, or a connection that failed or broke. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HTTPError) return error.status >= 500;
  if (!(error instanceof Error)) return false;
  if (error.name === "AbortError") return true;
  return (
    [error, error.cause].some((e) => {
      const code = (e as { code?: unknown } | undefined)?.code;
      return typeof code === "string" && /^(E[A-Z]+|UND_ERR_\w+)$/.test(code);
    }) ||
    (error instanceof TypeError && error.message === "fetch failed")
  );
}
