// Why a request to a server failed, in one word for a one-line message: the system error code
// (ECONNREFUSED, ENOTFOUND, ENOSPC…) found on the error or its causes (fetch wraps it), "no answer in
// time" for a time-out signal, else the first line of the message.

export function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    // AbortSignal.timeout() aborts with a DOMException whose name is the only mark of a time-out.
    if ((current as { name?: unknown }).name === "TimeoutError") return "no answer in time";
    current = (current as { cause?: unknown }).cause;
  }
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").trim() || "unknown error";
}
