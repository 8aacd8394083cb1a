// Bearer tokens of the bot's API. ELYZA_API_TOKEN holds one token, or several separated by commas
// (one per tool or team), and each token is its own fairness key in the shared queue, so one busy
// evaluation script cannot starve another. Tokens are compared in constant time and never logged;
// the fairness key is a short hash of the token, not the token.

import { createHash, timingSafeEqual } from "node:crypto";

export interface ApiTokens {
  /** The fairness key of the request's token, or undefined when the header is missing or wrong. */
  check(authorization: string | undefined): string | undefined;
}

export function apiTokens(tokens: readonly string[]): ApiTokens {
  if (tokens.length === 0) throw new RangeError("api tokens: at least one token is needed");
  const known = tokens.map((token) => ({ digest: digest(token), key: `api:${digest(token).toString("hex").slice(0, 12)}` }));
  return {
    check: (authorization) => {
      const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
      if (!match) return undefined;
      const given = digest(match[1]!.trim());
      // Every token is compared (no early exit), each in constant time.
      let key: string | undefined;
      for (const k of known) if (timingSafeEqual(k.digest, given)) key = k.key;
      return key;
    },
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
