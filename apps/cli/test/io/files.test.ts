import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RuntimeError } from "../../src/errors.js";
import { readTextFile, writeFileAtomic } from "../../src/io/files.js";

// `open` is wrapped so a test can make one call fail or return a failing handle; every other
// call, and every other function, is the real one.
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, open: vi.fn(actual.open) };
});
const actualFs = await vi.importActual<typeof import("node:fs/promises")>("node:fs/promises");
const openMock = vi.mocked(fs.open);

let dir: string;
beforeEach(async () => {
  dir = await actualFs.mkdtemp(join(tmpdir(), "wdecay-files-"));
});
afterEach(async () => {
  openMock.mockReset();
  openMock.mockImplementation(actualFs.open);
  await actualFs.rm(dir, { recursive: true, force: true });
});

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}

describe("readTextFile", () => {
  it("reads UTF-8 and drops a BOM", async () => {
    const file = join(dir, "data.csv");
    await actualFs.writeFile(file, "\ufeffx,ÿ\n1,2\n");
    expect(await readTextFile(file, "--data")).toBe("x,ÿ\n1,2\n");
  });

  it("names the flag and path of a missing file", async () => {
    const file = join(dir, "nope.csv");
    expect((await rejection(readTextFile(file, "--data"))).message).toBe(
      `--data file "${file}" does not exist`,
    );
  });

  it("names the flag and path of a directory", async () => {
    expect((await rejection(readTextFile(dir, "--model"))).message).toBe(
      `--model file "${dir}" is a directory, not a file`,
    );
  });

  it("names the flag and path of an unreadable file", async () => {
    // Tests may run as root, which reads any file whatever its mode, so the denial is simulated.
    const file = join(dir, "secret.csv");
    await actualFs.writeFile(file, "x,y\n");
    openMock.mockRejectedValueOnce(
      errnoError("EACCES", `EACCES: permission denied, open '${file}'`),
    );
    expect((await rejection(readTextFile(file, "--data"))).message).toBe(
      `cannot read --data file "${file}": permission denied`,
    );
  });

  it("rejects bytes that are not UTF-8", async () => {
    const file = join(dir, "latin1.csv");
    await actualFs.writeFile(file, Buffer.from([0x78, 0x2c, 0xff, 0x0a]));
    expect((await rejection(readTextFile(file, "--data"))).message).toBe(
      `--data file "${file}" is not UTF-8 text`,
    );
  });
});

/** Files in the test directory, so a leftover temp file shows. */
async function listing(): Promise<string[]> {
  return (await actualFs.readdir(dir)).sort();
}

describe("writeFileAtomic", () => {
  it("creates a file, and replaces one keeping its permission bits", async () => {
    const file = join(dir, "model.json");
    await writeFileAtomic(file, "first\n");
    expect(await actualFs.readFile(file, "utf8")).toBe("first\n");
    await actualFs.chmod(file, 0o640);
    await writeFileAtomic(file, "second\n", "--save");
    expect(await actualFs.readFile(file, "utf8")).toBe("second\n");
    expect((await actualFs.stat(file)).mode & 0o777).toBe(0o640);
    expect(await listing()).toEqual(["model.json"]);
  });

  it("replaces the file a symbolic link points to, not the link", async () => {
    const real = join(dir, "real.json");
    const link = join(dir, "link.json");
    await actualFs.writeFile(real, "old");
    await actualFs.symlink(real, link);
    await writeFileAtomic(link, "new");
    expect((await actualFs.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await actualFs.readFile(real, "utf8")).toBe("new");
  });

  it("leaves the target untouched and no temp file when writing the temp file fails", async () => {
    const file = join(dir, "model.json");
    await actualFs.writeFile(file, "precious\n");
    // The temp file gets half of the text, then the disk is full.
    openMock.mockImplementationOnce(async (path, flags, mode) => {
      const handle = await actualFs.open(path, flags, mode);
      handle.writeFile = async (data) => {
        await handle.write(String(data).slice(0, 4));
        throw errnoError("ENOSPC", "ENOSPC: no space left on device, write");
      };
      return handle;
    });
    const error = await rejection(writeFileAtomic(file, "replacement\n", "--save"));
    expect(error.message).toBe(
      `cannot write --save file "${file}": ENOSPC: no space left on device, write`,
    );
    expect(openMock).toHaveBeenCalledTimes(1);
    // The failing write did go to a temp file beside the target, which is now gone.
    const tempPath = String(openMock.mock.calls[0]?.[0]);
    expect(tempPath.startsWith(join(dir, ".model.json."))).toBe(true);
    expect(await actualFs.readFile(file, "utf8")).toBe("precious\n");
    expect(await listing()).toEqual(["model.json"]);
  });

  it("cleans up when the flush to disk fails", async () => {
    const file = join(dir, "model.json");
    await actualFs.writeFile(file, "precious\n");
    openMock.mockImplementationOnce(async (path, flags, mode) => {
      const handle = await actualFs.open(path, flags, mode);
      handle.sync = async () => {
        throw errnoError("EIO", "EIO: i/o error, fsync");
      };
      return handle;
    });
    const error = await rejection(writeFileAtomic(file, "replacement\n"));
    expect(error.message).toBe(`cannot write file "${file}": EIO: i/o error, fsync`);
    expect(await actualFs.readFile(file, "utf8")).toBe("precious\n");
    expect(await listing()).toEqual(["model.json"]);
  });

  it("cleans up when the rename fails (a directory where the file should go)", async () => {
    const target = join(dir, "taken");
    await actualFs.mkdir(target);
    await actualFs.writeFile(join(target, "inside"), "kept");
    const error = await rejection(writeFileAtomic(target, "text", "--out"));
    expect(error.message).toMatch(
      new RegExp(`^cannot write --out file "${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}": E`),
    );
    expect(await listing()).toEqual(["taken"]);
    expect(await actualFs.readFile(join(target, "inside"), "utf8")).toBe("kept");
  });

  it("fails in one line naming the flag when the directory does not exist", async () => {
    const file = join(dir, "missing", "model.json");
    const error = await rejection(writeFileAtomic(file, "text", "--save"));
    expect(error.message).toMatch(
      /^cannot write --save file ".*": ENOENT: no such file or directory/,
    );
    expect(error.message).not.toContain("\n");
  });
});
