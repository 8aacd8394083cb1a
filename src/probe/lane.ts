// The probe's concurrency lane: at most `limit` runs in the queue at once, the rest waiting in
// order and submitted as earlier ones settle. A bound (2 × the engine's sequences) keeps a long
// probe clear of the queue's wait-time limit while every sequence stays busy.

export class ConcurrencyLane<Job> {
  private readonly waiting: Job[] = [];
  private active = 0;

  /** `start` submits one job and resolves when it has settled (it must not reject). */
  constructor(
    private readonly limit: number,
    private readonly start: (job: Job) => Promise<void>,
  ) {}

  /** Starts the job now when the lane has room (synchronously), else queues it. */
  add(job: Job): void {
    if (this.active >= this.limit) {
      this.waiting.push(job);
      return;
    }
    this.active++;
    void this.start(job).then(() => {
      this.active--;
      const next = this.waiting.shift();
      if (next !== undefined) this.add(next);
    });
  }

  /** Drops the jobs that have not started and returns them (cancel); started ones run on. */
  clear(): Job[] {
    return this.waiting.splice(0);
  }
}
