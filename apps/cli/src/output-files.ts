/**
 * Output paths are checked before training starts, by actually writing, so that a typo in
 * --out or --plot costs a second rather than a whole run; failures are runtime errors (exit 1).
 */
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RuntimeError } from "./errors.js";

function why(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Creates the directory (and its parents) and proves a file can be written in it. */
export async function prepareOutDir(dir: string, flag = "--out"): Promise<void> {
  const probe = join(dir, `.wdecay-probe-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    throw new RuntimeError(`cannot write to ${flag} directory "${dir}": ${why(error)}`, {
      cause: error,
    });
  }
}

/** Proves the file can be written, leaving an existing file's contents and no new file behind. */
export async function probeWritableFile(file: string, flag: string): Promise<void> {
  let created = false;
  try {
    // "wx" creates only if absent, so we know whether to remove it; "a" never truncates.
    const handle = await open(file, "wx").then(
      (h) => {
        created = true;
        return h;
      },
      async (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") return open(file, "a");
        throw error;
      },
    );
    await handle.close();
    if (created) await rm(file, { force: true });
  } catch (error) {
    throw new RuntimeError(`cannot write ${flag} file "${file}": ${why(error)}`, { cause: error });
  }
}

/** Writes a file, turning a failure into a one-line runtime error naming the flag. */
export async function writeOutput(file: string, contents: string, flag: string): Promise<void> {
  try {
    await writeFile(file, contents);
  } catch (error) {
    throw new RuntimeError(`cannot write ${flag} file "${file}": ${why(error)}`, { cause: error });
  }
}
