// Where the terminal chat's log lines wait during start-up. The chat owns stdout, so its logs go
// to stderr — which is also where a start-up error is written as ONE line (design.md). The log
// lines of a start-up that then fails ("starting…", "readiness: model loading") say nothing the
// error line does not, so they are held and dropped on failure, and written once start-up is done.

export class HeldOutput {
  private held: string[] | undefined = [];

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {}

  /** The destination's, so that the logger still pretty-prints on a terminal. */
  get isTTY(): boolean {
    return this.out.isTTY === true;
  }

  write(chunk: string): boolean {
    if (this.held) return (this.held.push(chunk), true);
    return this.out.write(chunk);
  }

  /** Writes what was held, then passes every later line straight through. */
  release(): void {
    const lines = this.held;
    this.held = undefined;
    for (const line of lines ?? []) this.out.write(line);
  }

  /** Drops what was held (start-up failed); later lines pass straight through. */
  discard(): void {
    this.held = undefined;
  }
}
