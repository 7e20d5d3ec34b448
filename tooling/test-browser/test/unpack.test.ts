/**
 * The unpack must be safe when several test processes start at once (turbo runs the docs', the
 * cli's and the webgpu backend's tests in parallel): every process gets a complete, runnable
 * Chromium and SwiftShader, and a lock left by a killed process does not block the others.
 * Each case unpacks into a fresh cache folder of its own.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const TSX = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
const UNPACK = fileURLToPath(new URL("./unpack-once.ts", import.meta.url));

let cache: string | undefined;
const children = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  // A process still waiting (on a lock that is never released, say) must not outlive its test.
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  if (cache) rmSync(cache, { recursive: true, force: true });
  cache = undefined;
});

interface Seen {
  readonly chromium: string;
  readonly version: string;
  readonly icd: { ICD: { library_path: string } };
}

/**
 * Starts one process that unpacks into `dir`, runs the browser the moment it is told it is
 * ready (unpack-once.ts) and prints what it saw as JSON.
 */
function unpackIn(dir: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ["--conditions=@wdecay/source", UNPACK], {
      env: { ...process.env, WDECAY_BROWSER_CACHE: dir },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.add(child);
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      children.delete(child);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`unpack exited ${code}`));
    });
  });
}

function usable(seen: Seen): void {
  expect(seen.version).toMatch(/^Chromium \d+\./);
  expect(seen.icd.ICD.library_path).toBe("./libvk_swiftshader.so");
}

/** Resolves once something appears in `dir` (the first process has begun). */
async function somethingIn(dir: string): Promise<void> {
  while (readdirSync(dir).length === 0) await new Promise((r) => setTimeout(r, 10));
}

describe("unpacking the test browser", () => {
  it("processes that start while one unpacks get a complete browser, unpacked once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wdecay-browser-"));
    cache = dir;
    const first = unpackIn(dir);
    await somethingIn(dir);
    const results = await Promise.all([first, unpackIn(dir), unpackIn(dir)]);
    for (const seen of results) usable(seen);
    expect(new Set(results.map((r) => r.chromium)).size).toBe(1);
    // One version folder; no staging folder or lock left behind.
    expect(readdirSync(cache)).toHaveLength(1);
  }, 120_000);

  it("a lock left by a process that died is broken, not waited on", async () => {
    cache = mkdtempSync(join(tmpdir(), "wdecay-browser-"));
    const version = JSON.parse(
      readFileSync(
        fileURLToPath(new URL("../node_modules/@sparticuz/chromium/package.json", import.meta.url)),
        "utf8",
      ),
    ).version;
    const lock = join(cache, `${version}.lock`);
    mkdirSync(lock);
    // A pid that cannot be alive: above the kernel's pid_max (at most 2^22).
    writeFileSync(join(lock, "pid"), String(2 ** 22 + 1));
    usable(await unpackIn(cache));
    expect(readdirSync(cache)).toEqual([version]);
  }, 60_000);
});
