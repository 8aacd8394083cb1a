import { describe, expect, it } from "vitest";
import { HeldOutput } from "../../src/app/held-output.js";

function sink() {
  const lines: string[] = [];
  return { lines, isTTY: true, write: (line: string) => lines.push(line) > 0 };
}

describe("HeldOutput", () => {
  it("holds lines until released, then writes them in order and passes later ones through", () => {
    const out = sink();
    const held = new HeldOutput(out as unknown as NodeJS.WritableStream);
    held.write("a\n");
    held.write("b\n");
    expect(out.lines).toEqual([]);
    held.release();
    held.write("c\n");
    expect(out.lines).toEqual(["a\n", "b\n", "c\n"]);
  });

  it("drops what it held when discarded, and reports the destination's isTTY", () => {
    const out = sink();
    const held = new HeldOutput(out as unknown as NodeJS.WritableStream);
    expect(held.isTTY).toBe(true);
    held.write("starting\n");
    held.discard();
    held.write("later\n");
    expect(out.lines).toEqual(["later\n"]);
  });
});
