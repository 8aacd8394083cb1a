// Sends the latest of a stream of values at most once per interval, one send at a time; values
// pushed meanwhile replace each other (a progress message only needs its newest state).

export interface LatestWins<T> {
  push(value: T): void;
  /** Drops what is pending and waits for a send in progress. */
  close(): Promise<void>;
}

export function latestWins<T>(intervalMs: number, send: (value: T) => Promise<void>, onError: (error: unknown) => void): LatestWins<T> {
  let pending: { value: T } | undefined;
  let lastSentAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> | undefined;
  let closed = false;

  const schedule = () => {
    if (closed || timer || sending || !pending) return;
    const wait = Math.max(0, lastSentAt + intervalMs - Date.now());
    timer = setTimeout(fire, wait);
  };
  const fire = () => {
    timer = undefined;
    if (closed || !pending) return;
    const { value } = pending;
    pending = undefined;
    lastSentAt = Date.now();
    sending = send(value)
      .catch(onError)
      .finally(() => {
        sending = undefined;
        schedule();
      });
  };

  return {
    push(value) {
      if (closed) return;
      pending = { value };
      schedule();
    },
    async close() {
      closed = true;
      pending = undefined;
      clearTimeout(timer);
      timer = undefined;
      await sending;
    },
  };
}
