/**
 * Output paths are checked before training starts, by actually writing, so that a typo in
 * --out or --plot costs a second rather than a whole run; failures are runtime errors (exit 1).
 */
import { mkdir, open, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { RuntimeError } from "./errors.js";

function why(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `mkdir -p`, one level at a time from the deepest existing ancestor. Node's own
 * `mkdir(…, { recursive: true })` never returns for some paths (under /proc, as seen on Linux
 * with Node 20), which left `demo --out /proc/x` spinning; this one fails at the first level the
 * system refuses.
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    try {
      if (!(await stat(current)).isDirectory()) {
        throw Object.assign(new Error(`not a directory: ${current}`), { code: "ENOTDIR" });
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      missing.push(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** Creates the directory (and its parents) and proves a file can be written in it. */
export async function prepareOutDir(dir: string, flag = "--out"): Promise<void> {
  const probe = join(dir, `.wdecay-probe-${process.pid}`);
  try {
    await makeDirectories(dir);
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
