/**
 * @wdecay/test-browser: the browser and the software WebGPU adapter the tests run on, from npm
 * alone. `@sparticuz/chromium` ships a headless Chromium and SwiftShader's Vulkan driver; they
 * are unpacked once into a cache folder (see unpack.ts). Chromium gets WebGPU on SwiftShader
 * for pages served from 127.0.0.1; Dawn in Node gets the same adapter from the ICD file.
 *
 * `CHROMIUM_PATH` points the tests at another Chromium or Chrome (required off Linux x86_64:
 * on macOS, `/Applications/Google Chrome.app/Contents/MacOS/Google Chrome`); an explicit
 * `VK_ICD_FILENAMES` points Dawn at another Vulkan driver.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { unpackBrowser } from "./unpack.js";

export { type ServeOptions, type StaticServer, serveStatic } from "./serve.js";
export { cacheDir, type UnpackedBrowser, unpackBrowser } from "./unpack.js";

/**
 * Flags for headless Chromium on a machine without a display or a GPU, as root, offline:
 * without the networking flags Chromium keeps trying hosts this machine cannot reach.
 * `--enable-unsafe-webgpu` gives pages WebGPU on the software adapter.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--enable-unsafe-webgpu",
];

/** Whether the Chromium and SwiftShader that npm ships can run here. */
export function bundledBrowserRuns(): boolean {
  return process.platform === "linux" && process.arch === "x64";
}

const PLATFORM = `the Chromium and SwiftShader of @sparticuz/chromium run on Linux x86_64 only (this is ${process.platform} ${process.arch})`;

/**
 * Unpacks the browser where it will be used (Linux x86_64), so that a test run's global setup
 * does it once before its test processes start; elsewhere does nothing.
 */
export async function prepareTestBrowser(): Promise<void> {
  if (bundledBrowserRuns()) await unpackBrowser();
}

/**
 * The Chromium the tests drive: `$CHROMIUM_PATH` when set, else the one unpacked from npm.
 * Rejects with a one-line reason when there is none.
 */
export async function chromiumPath(): Promise<string> {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`CHROMIUM_PATH=${chosen} does not exist`);
    return chosen;
  }
  if (!bundledBrowserRuns()) {
    throw new Error(
      `${PLATFORM}: set CHROMIUM_PATH to a Chrome or Chromium (on macOS, /Applications/Google Chrome.app/Contents/MacOS/Google Chrome)`,
    );
  }
  return (await unpackBrowser()).chromium;
}

/** Headless Chromium through playwright-core (which downloads nothing). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    args: [...CHROMIUM_ARGS],
    headless: true,
  });
}

/**
 * The Vulkan ICD file that gives Dawn (the `webgpu` package) a software adapter:
 * `$VK_ICD_FILENAMES` when set, else SwiftShader's, unpacked from npm. The Vulkan loader
 * (`libvulkan.so.1`) sits beside it, where `@wdecay/backend-webgpu/node` finds it.
 */
export async function swiftShaderIcd(): Promise<string> {
  const chosen = process.env.VK_ICD_FILENAMES;
  if (chosen) return chosen;
  if (!bundledBrowserRuns())
    throw new Error(`${PLATFORM}: set VK_ICD_FILENAMES to a Vulkan driver`);
  return (await unpackBrowser()).swiftShaderIcd;
}

/**
 * The environment for a child process (the `wdecay` command, say) whose WebGPU backend should
 * run on the software adapter: `WDECAY_WEBGPU_SOFTWARE=1` and the ICD file.
 */
export async function softwareWebGpuEnv(): Promise<{
  WDECAY_WEBGPU_SOFTWARE: string;
  VK_ICD_FILENAMES: string;
}> {
  return { WDECAY_WEBGPU_SOFTWARE: "1", VK_ICD_FILENAMES: await swiftShaderIcd() };
}
