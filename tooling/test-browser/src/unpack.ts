/**
 * Unpacks the headless Chromium and the SwiftShader Vulkan driver that the npm package
 * `@sparticuz/chromium` ships compressed (`bin/chromium.br`, `bin/swiftshader.tar.br`) into one
 * folder, once per version: later calls, and other processes, find the folder and return at once.
 *
 * The package's own `executablePath()` is not used: it unpacks into the shared temp folder
 * (`/tmp/chromium`, `/tmp/libvulkan.so.1`…) and answers "done" as soon as the first file exists,
 * so a second process can start a half-written browser. Here the files are written into a
 * private staging folder that is renamed into place only when complete, and a lock folder keeps
 * concurrent test processes (turbo runs several packages' tests at once) from doing the work
 * twice. The rename alone keeps it correct; the lock only saves time.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createBrotliDecompress } from "node:zlib";
import { extract } from "tar-fs";

/** What one unpacked folder holds. */
export interface UnpackedBrowser {
  /** The folder: Chromium, SwiftShader and the Vulkan loader side by side. */
  readonly dir: string;
  /** The headless Chromium executable. */
  readonly chromium: string;
  /** SwiftShader's Vulkan ICD file (`VK_ICD_FILENAMES` for Dawn); `libvulkan.so.1` sits beside it. */
  readonly swiftShaderIcd: string;
  /** The version of `@sparticuz/chromium` it came from. */
  readonly version: string;
}

const PACKAGE = "@sparticuz/chromium";
/** A lock older than this is left over from a killed process (unpacking takes seconds). */
const STALE_LOCK_MS = 5 * 60_000;

function packageDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  // The package's exports map has no ./package.json; its main entry is build/index.js.
  const dir = join(dirname(require.resolve(PACKAGE)), "..");
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    version: string;
  };
  return { dir, version };
}

/**
 * Where unpacked browsers are kept: `$WDECAY_BROWSER_CACHE`, else this package's
 * `node_modules/.cache` (removed with node_modules, never committed).
 */
export function cacheDir(): string {
  return (
    process.env.WDECAY_BROWSER_CACHE ??
    fileURLToPath(new URL("../node_modules/.cache/wdecay-test-browser", import.meta.url))
  );
}

function describe(dir: string, version: string): UnpackedBrowser {
  return {
    dir,
    chromium: join(dir, "chromium"),
    swiftShaderIcd: join(dir, "vk_swiftshader_icd.json"),
    version,
  };
}

async function unpackInto(from: string, into: string): Promise<void> {
  mkdirSync(into, { recursive: true });
  const bin = join(from, "bin");
  await Promise.all([
    pipeline(
      createReadStream(join(bin, "chromium.br")),
      createBrotliDecompress(),
      createWriteStream(join(into, "chromium"), { mode: 0o755 }),
    ),
    // libvk_swiftshader.so, vk_swiftshader_icd.json, libvulkan.so.1, libEGL.so, libGLESv2.so:
    // Chromium looks for them beside its executable, Dawn is pointed at the ICD file.
    pipeline(
      createReadStream(join(bin, "swiftshader.tar.br")),
      createBrotliDecompress(),
      extract(into),
    ),
  ]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function staleLock(lock: string): Promise<boolean> {
  try {
    const owner = Number(await readFile(join(lock, "pid"), "utf8"));
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) return true;
  } catch {
    // No pid file yet: the owner may be between mkdir and writeFile; judge by age.
  }
  try {
    return Date.now() - (await stat(lock)).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false; // gone already
  }
}

/**
 * The unpacked browser, unpacking it first if no process has yet (about 3 s and 220 MB for
 * Chromium 153). Safe to call from many processes at once.
 */
export async function unpackBrowser(): Promise<UnpackedBrowser> {
  const source = packageDir();
  const root = cacheDir();
  const final = join(root, source.version);
  if (existsSync(final)) return describe(final, source.version);
  mkdirSync(root, { recursive: true });
  const lock = `${final}.lock`;
  for (;;) {
    if (existsSync(final)) return describe(final, source.version);
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (await staleLock(lock)) await rm(lock, { recursive: true, force: true });
      else await sleep(100);
      continue;
    }
    const staging = `${final}.staging-${process.pid}`;
    try {
      await writeFile(join(lock, "pid"), String(process.pid));
      if (!existsSync(final)) {
        await rm(staging, { recursive: true, force: true });
        await unpackInto(source.dir, staging);
        try {
          await rename(staging, final);
        } catch (error) {
          // Another process finished first (its lock was judged stale): keep its copy.
          if (!existsSync(final)) throw error;
        }
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
      await rm(lock, { recursive: true, force: true });
    }
  }
}
