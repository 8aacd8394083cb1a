// The waiting line behind p-queue (its `queueClass`): strict priority between lanes, round-robin
// between users inside a lane, first-in-first-out for one user. p-queue asks it what starts next;
// the inference queue asks it the order in which everything waiting WILL start, to report positions.

import type { Queue, QueueAddOptions } from "p-queue";

/** p-queue's element type (not exported by p-queue). */
export type RunFunction = () => Promise<unknown>;

/** What `PQueue.add()` passes through to the queue class; `priority`: greater starts first. */
export type FairQueueOptions = QueueAddOptions & {
  /** Requests of one user share one turn of the round-robin. */
  readonly userId?: string;
  /** Goes before everything else of its priority (a preempted run taking its place back). */
  readonly front?: boolean;
};

interface Item {
  readonly run: RunFunction;
  readonly id: string | undefined;
  readonly userId: string;
  readonly priority: number;
}

/** One priority level: users in turn order (Map keeps insertion order), each with a FIFO. */
interface Lane {
  readonly priority: number;
  readonly users: Map<string, Item[]>;
}

export class FairQueue implements Queue<RunFunction, FairQueueOptions> {
  /** Highest priority first. */
  #lanes: Lane[] = [];
  #byId = new Map<string, Item>();
  #size = 0;

  /**
   * p-queue constructs its queue class itself, without arguments; this class makes it use `instance`,
   * so that the owner can read the order of the queue p-queue drives.
   */
  static sharing(instance: FairQueue): new () => FairQueue {
    return class extends FairQueue {
      constructor() {
        super();
        return instance;
      }
    };
  }

  get size(): number {
    return this.#size;
  }

  enqueue(run: RunFunction, options?: Partial<FairQueueOptions>): void {
    const item: Item = { run, id: options?.id, userId: options?.userId ?? "", priority: options?.priority ?? 0 };
    const lane = this.#lane(item.priority);
    const fifo = lane.users.get(item.userId);
    if (options?.front) {
      // First of its user, and that user first in the turn order.
      const rest = [...lane.users].filter(([user]) => user !== item.userId);
      lane.users.clear();
      lane.users.set(item.userId, [item, ...(fifo ?? [])]);
      for (const [user, items] of rest) lane.users.set(user, items);
    } else if (fifo) fifo.push(item);
    // A user with nothing waiting joins at the end of the turn order.
    else lane.users.set(item.userId, [item]);
    if (item.id !== undefined) this.#byId.set(item.id, item);
    this.#size++;
  }

  dequeue(): RunFunction | undefined {
    const lane = this.#lanes.find((l) => l.users.size > 0);
    if (!lane) return undefined;
    const [userId, fifo] = lane.users.entries().next().value as [string, Item[]];
    const item = fifo.shift() as Item;
    // The user had their turn: to the back of the line if they still have requests waiting.
    lane.users.delete(userId);
    if (fifo.length > 0) lane.users.set(userId, fifo);
    this.#forget(item);
    return item.run;
  }

  /** Drops a waiting item (p-queue calls this when a queued task's signal aborts). */
  remove(id: string): void {
    const item = this.#byId.get(id);
    if (!item) return;
    const lane = this.#lane(item.priority);
    const fifo = lane.users.get(item.userId) ?? [];
    const index = fifo.indexOf(item);
    if (index >= 0) fifo.splice(index, 1);
    // Keeps the user's place in the turn order if other requests of theirs still wait.
    if (fifo.length === 0) lane.users.delete(item.userId);
    this.#forget(item);
  }

  setPriority(id: string, priority: number): void {
    const item = this.#byId.get(id);
    if (!item) throw new ReferenceError(`No promise function with the id "${id}" exists in the queue.`);
    this.remove(id);
    this.enqueue(item.run, { id, userId: item.userId, priority });
  }

  filter(options: Readonly<Partial<FairQueueOptions>>): RunFunction[] {
    return this.#ordered()
      .filter((i) => (options.priority === undefined || i.priority === options.priority) && (options.userId === undefined || i.userId === options.userId))
      .map((i) => i.run);
  }

  /** Ids of the waiting items in the order they will start if nothing else arrives. O(n). */
  ids(): string[] {
    return this.#ordered().flatMap((i) => (i.id === undefined ? [] : [i.id]));
  }

  #ordered(): Item[] {
    const out: Item[] = [];
    for (const lane of this.#lanes) {
      // Round k takes the k-th item of every user that has one, in turn order.
      let active = [...lane.users.values()];
      for (let k = 0; active.length > 0; k++) {
        for (const fifo of active) out.push(fifo[k] as Item);
        active = active.filter((fifo) => fifo.length > k + 1);
      }
    }
    return out;
  }

  #lane(priority: number): Lane {
    let lane = this.#lanes.find((l) => l.priority === priority);
    if (!lane) {
      lane = { priority, users: new Map() };
      this.#lanes.push(lane);
      this.#lanes.sort((a, b) => b.priority - a.priority);
    }
    return lane;
  }

  #forget(item: Item): void {
    if (item.id !== undefined) this.#byId.delete(item.id);
    this.#size--;
  }
}
