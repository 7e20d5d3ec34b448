/**
 * Smoke test in a real browser: headless Chromium (from npm through @wdecay/test-browser, driven
 * by playwright-core) loads a page served on 127.0.0.1 (WebGPU needs a secure context), which
 * trains the chapter on navigator.gpu; ‖w‖ must match the float64 cpu backend in Node within
 * float32 tolerance. Without a GPU Chromium's WebGPU runs on its bundled SwiftShader.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { CHAPTER, runChapter } from "@wdecay/core";
import { launchChromium } from "@wdecay/test-browser";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./browser/page.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["@wdecay/source"],
    logLevel: "silent",
  });
  return (result.outputFiles[0] as { text: string }).text;
}

function serve(script: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else if (req.url === "/") {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(
          '<!doctype html><title>wdecay webgpu</title><script type="module" src="/page.js"></script>',
        );
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("webgpu in headless Chromium", () => {
  let server: Server | undefined;
  afterAll(() => {
    server?.close();
  });

  it("trains the chapter on the page's WebGPU and matches the cpu reference", async () => {
    server = await serve(await bundle());
    const { port } = server.address() as AddressInfo;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on("console", (message) => logs.push(message.text()));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => "__wdecay" in globalThis, undefined, { timeout: 100_000 });
      const result = await page.evaluate(
        () =>
          (globalThis as unknown as { __wdecay: { ok: boolean; error?: string; norms?: number[] } })
            .__wdecay,
      );
      expect(result.ok, `${result.error ?? ""}\n${logs.join("\n")}`).toBe(true);
      const ref = await runChapter(createCpuBackend(), { seed: 42 });
      const steps = CHAPTER.epochs * Math.ceil(CHAPTER.nTrain / CHAPTER.batchSize);
      const tol = steps * Math.sqrt(CHAPTER.dims) * 2 ** -23;
      for (const [i, r] of ref.entries()) {
        const norm = result.norms?.[i] as number;
        expect(Math.abs(norm - r.l2Norm) / r.l2Norm).toBeLessThanOrEqual(tol);
      }
      console.log(
        `chromium webgpu: ‖w‖ ${result.norms?.map((v) => v.toFixed(6)).join(", ")}; ` +
          `stats ${JSON.stringify((result as { stats?: unknown }).stats)}`,
      );
    } finally {
      await browser.close();
    }
  }, 150_000);
});
