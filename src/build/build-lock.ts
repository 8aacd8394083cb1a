// An exclusive lock file for a build in the user's cache: concurrent callers (a test file and the
// bench, two CI steps) wait on it instead of building twice; a lock left by a dead process is taken
// over.

import { open, readFile, rm } from "node:fs/promises";

/** Takes the lock at `file`; resolves with its release. `what` names the build in the waiting line. */
export async function buildLock(file: string, what: string, log?: (line: string) => void): Promise<() => Promise<void>> {
  let told = false;
  for (;;) {
    try {
      const handle = await open(file, "wx");
      await handle.write(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number((await readFile(file, "utf8").catch(() => "")) || NaN);
      if (!Number.isInteger(holder) || !alive(holder)) {
        await rm(file, { force: true });
        continue;
      }
      if (!told) log?.(`${what}: waiting for the build in process ${holder}`);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
