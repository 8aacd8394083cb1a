import { describe, expect, it } from "vitest";
import { FairQueue, type RunFunction } from "../../src/inference/fair-queue.js";

/** Enqueues tasks named by id; dequeue() then tells which one p-queue would start. */
function line() {
  const queue = new FairQueue();
  const names = new Map<RunFunction, string>();
  const add = (id: string, userId: string, priority = 0) => {
    const run: RunFunction = async () => id;
    names.set(run, id);
    queue.enqueue(run, { id, userId, priority });
  };
  const drain = () => {
    const out: string[] = [];
    for (let run = queue.dequeue(); run; run = queue.dequeue()) out.push(names.get(run)!);
    return out;
  };
  return { queue, add, drain, names };
}

describe("FairQueue", () => {
  it("round-robins between users, FIFO per user, and ids() predicts the dequeue order", () => {
    const { queue, add, drain } = line();
    for (const id of ["a1", "a2", "a3", "a4"]) add(id, "a");
    add("b1", "b");
    add("b2", "b");
    add("c1", "c");
    const predicted = queue.ids();
    expect(predicted).toEqual(["a1", "b1", "c1", "a2", "b2", "a3", "a4"]);
    expect(queue.size).toBe(7);
    expect(drain()).toEqual(predicted);
    expect(queue.size).toBe(0);
  });

  it("serves a greater priority first, whatever the arrival order", () => {
    const { add, drain } = line();
    add("p1", "probe", 0);
    add("p2", "probe", 0);
    add("i1", "x", 1);
    add("i2", "y", 1);
    expect(drain()).toEqual(["i1", "i2", "p1", "p2"]);
  });

  it("a user who just had a turn goes to the back; a newcomer joins after those waiting", () => {
    const { queue, add } = line();
    add("a1", "a");
    add("a2", "a");
    add("b1", "b");
    queue.dequeue(); // a1
    add("c1", "c");
    expect(queue.ids()).toEqual(["b1", "a2", "c1"]);
  });

  it("remove() drops one item and keeps the user's place; filter() and setPriority() work", () => {
    const { queue, add, names } = line();
    add("a1", "a");
    add("a2", "a");
    add("b1", "b");
    queue.remove("a1");
    queue.remove("unknown");
    expect(queue.ids()).toEqual(["a2", "b1"]);
    expect(queue.filter({ userId: "b" }).map((r) => names.get(r))).toEqual(["b1"]);
    queue.setPriority("b1", 5);
    expect(queue.ids()).toEqual(["b1", "a2"]);
    expect(queue.filter({ priority: 5 })).toHaveLength(1);
    expect(() => queue.setPriority("gone", 1)).toThrow(ReferenceError);
  });
});
