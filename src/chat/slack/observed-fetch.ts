// A fetch for @slack/web-api's WebClient (clientOptions.fetch) that tells the observer about every
// attempt of every Web API call. The client retries inside its own p-retry loop, invisibly from
// outside, so a retry is recognised here: an attempt of the same method with the same body right
// after one of those failed (HTTP 429 or 5xx, or a network error).

import type { PlatformObserver } from "../../metrics/platform-observer.js";

type Fetch = typeof globalThis.fetch;

/** Failed attempts remembered for a retry to match; the oldest go first past this. */
const REMEMBERED = 500;

export function observedFetch(observer: PlatformObserver, base: Fetch = globalThis.fetch): Fetch {
  const failed = new Set<string>();
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = url.split("?")[0]!.split("/").pop() || "(unknown)";
    // Uploads (FormData bodies) are not matched; every Web API call has a string body.
    const key = typeof init?.body === "string" ? `${method}\n${init.body}` : undefined;
    const retry = key !== undefined && failed.delete(key);
    const remember = () => {
      if (key === undefined) return;
      failed.add(key);
      if (failed.size > REMEMBERED) failed.delete(failed.values().next().value!);
    };
    let response: Response;
    try {
      response = await base(input, init);
    } catch (error) {
      observer.apiCall(method, { retry, rateLimited: false });
      remember();
      throw error;
    }
    observer.apiCall(method, { retry, rateLimited: response.status === 429 });
    if (response.status === 429 || response.status >= 500) remember();
    return response;
  };
}
