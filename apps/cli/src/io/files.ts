/**
 * Reading input files and writing output files on Node, with failures as one-line runtime
 * errors (exit 1) that name the flag and the path, so the user knows which argument to fix.
 */
import { randomBytes } from "node:crypto";
import { type FileHandle, open, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { RuntimeError } from "../errors.js";

function why(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Reads a UTF-8 text file given by `flag` (e.g. `--data`). Throws a {@link RuntimeError} that
 * says which flag and path failed: missing, a directory, unreadable, or not UTF-8 text. A BOM
 * is removed, as parsers of CSV and JSON want.
 */
/**
 * Bytes as UTF-8 text. fatal: a Latin-1 or binary file must fail here, not as odd "not a number"
 * cells. `where` names the input in the error ("--data file \"x\"").
 */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new RuntimeError(`${where} is not UTF-8 text`, { cause: error });
  }
}

export async function readTextFile(path: string, flag: string): Promise<string> {
  const where = `${flag} file "${path}"`;
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT") throw new RuntimeError(`${where} does not exist`, { cause: error });
    if (code === "EISDIR") {
      throw new RuntimeError(`${where} is a directory, not a file`, { cause: error });
    }
    if (code === "EACCES" || code === "EPERM") {
      throw new RuntimeError(`cannot read ${where}: permission denied`, { cause: error });
    }
    throw new RuntimeError(`cannot read ${where}: ${why(error)}`, { cause: error });
  }
  try {
    // On Linux a directory opens for reading and fails only on read; ask first instead.
    if ((await handle.stat()).isDirectory()) {
      throw new RuntimeError(`${where} is a directory, not a file`);
    }
    return decodeUtf8(await handle.readFile(), where);
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    if (codeOf(error) === "EISDIR") {
      throw new RuntimeError(`${where} is a directory, not a file`, { cause: error });
    }
    throw new RuntimeError(`cannot read ${where}: ${why(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/**
 * Writes `text` to `path` so that the path holds either its old contents or all of the new
 * ones, never a part: the text goes to a temporary file in the same directory (a rename is
 * atomic only within one file system), is flushed to disk, then renamed over the target. On
 * failure the temporary file is removed and the target is untouched. A symbolic link at `path`
 * is followed, so the file it points to is replaced rather than the link. An existing target's
 * permission bits are kept. Failures are {@link RuntimeError}s naming `flag` when given.
 */
export async function writeFileAtomic(path: string, text: string, flag?: string): Promise<void> {
  const what = flag === undefined ? `file "${path}"` : `${flag} file "${path}"`;
  let target = path;
  let mode: number | undefined;
  try {
    target = await realpath(path);
    mode = (await stat(target)).mode & 0o7777;
  } catch {
    // No such file yet: write a new one with the default mode.
  }
  // Hidden, and unique per process and call, so concurrent writers never share a temp file.
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx", mode ?? 0o666);
    // open's mode passes through the umask; an existing file's bits are restored exactly.
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(text, "utf8");
    // Without the flush a crash after the rename can leave an empty file under the new name.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw new RuntimeError(`cannot write ${what}: ${why(error)}`, { cause: error });
  }
  // Make the rename itself durable. Best effort: some systems (Windows) cannot open directories.
  try {
    const dir = await open(dirname(target), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // The data is written and renamed; only durability across a power cut is weaker.
  }
}
