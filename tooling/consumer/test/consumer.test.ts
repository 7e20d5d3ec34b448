/**
 * The published packages as a user gets them, outside the workspace: packed by pnpm, installed
 * by npm from the tarballs (as a project's dependencies, and globally as `npm i -g` does), then
 * (a) imported in plain Node ESM, the chapter trained on cpu and wasm and the conformance suite
 * run on its example backend; (b) the installed `wdecay demo --json`; (c) a page bundled by Vite
 * trained on wasm and WebGPU in the test Chromium. Every package passes publint and
 * arethetypeswrong. ‖w‖ is compared with the chapter trained here from the workspace's source.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { CHAPTER, runChapter } from "@wdecay/core";
import { launchChromium, serveStatic } from "@wdecay/test-browser";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmInstall, packPublished, publishedPackages } from "../src/index.js";

const run = promisify(execFile);
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const ATTW = fileURLToPath(
  new URL("../node_modules/@arethetypeswrong/cli/dist/index.js", import.meta.url),
);

/**
 * float32 against float64 on the chapter: each of the 400 steps rounds w to float32 and sums
 * d = 200 products, and stable steps carry those errors without amplifying them, so ‖w‖ agrees
 * within steps·√d·ε₃₂ relative (the bound every float32 backend's chapter test uses).
 */
const STEPS = CHAPTER.epochs * Math.ceil(CHAPTER.nTrain / CHAPTER.batchSize);
const F32_TOLERANCE = STEPS * Math.sqrt(CHAPTER.dims) * 2 ** -23;

let work: string;
let tarballs: string[];
let project: string;
let globalPrefix: string;
/** ‖w‖ of the chapter's four runs, trained from the workspace's source on the float64 cpu. */
let reference: number[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "wdecay-consumer-"));
  project = join(work, "project");
  globalPrefix = join(work, "global");
  tarballs = await packPublished(join(work, "tarballs"));
  // One after the other: the second install finds the first's downloads in npm's cache.
  await npmInstall(project, tarballs);
  await npmInstall(globalPrefix, tarballs, { global: true });
  reference = (await runChapter(createCpuBackend(), { seed: 42 })).map((r) => r.l2Norm);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function expectNorms(label: string, norms: readonly number[], tolerance: number): void {
  expect(norms, label).toHaveLength(reference.length);
  for (const [i, ref] of reference.entries()) {
    const error = Math.abs((norms[i] as number) - ref) / ref;
    expect(error, `${label}, run ${i}: ‖w‖ ${norms[i]} against ${ref}`).toBeLessThanOrEqual(
      tolerance,
    );
  }
}

describe("the published packages, installed from their tarballs", () => {
  it("packs every package that is not private, and nothing else", () => {
    expect(publishedPackages().map((p) => p.name)).toEqual([
      "@wdecay/backend-cpu",
      "@wdecay/backend-wasm",
      "@wdecay/backend-webgpu",
      "@wdecay/cli",
      "@wdecay/conformance",
      "@wdecay/core",
    ]);
    expect(tarballs.map((t) => basename(t))).toHaveLength(6);
  });

  it("every tarball passes publint (strict, suggestions included)", async () => {
    for (const tarball of tarballs) {
      const data = readFileSync(tarball);
      const { messages, pkg } = await publint({
        pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
        level: "suggestion",
        strict: true,
      });
      const text = messages.map((m) => formatMessage(m, pkg, { color: false }));
      expect(text, basename(tarball)).toEqual([]);
    }
  });

  it("every tarball passes arethetypeswrong (ESM-only packages: Node 16+ and bundlers)", async () => {
    for (const tarball of tarballs) {
      const result = await run(process.execPath, [ATTW, tarball, "--profile", "esm-only"], {
        env: { ...process.env, FORCE_COLOR: "0" },
      }).catch((error: { stdout?: string; stderr?: string }) => error);
      expect("code" in result ? `${result.stdout}${result.stderr}` : "", basename(tarball)).toBe(
        "",
      );
    }
  });

  it("(a) plain Node ESM: every entry point imports, the chapter trains on cpu and wasm, the example backend passes the suite", async () => {
    cpSync(join(FIXTURES, "node-consumer.mjs"), join(project, "node-consumer.mjs"));
    const { stdout } = await run(process.execPath, ["node-consumer.mjs"], { cwd: project });
    const out = JSON.parse(stdout);
    // The same float64 code, compiled and installed: the same ‖w‖ to the last bit.
    expect(out.cpu).toEqual(reference);
    expectNorms("wasm in Node", out.wasm, F32_TOLERANCE);
    expect(out.conformance.failed).toEqual([]);
    expect(out.conformance.properties).toBe(out.suiteSize);
    expect(out.suiteSize).toBeGreaterThan(40);
    expect(out.registered).toEqual(["webgpu", "wasm", "cpu", "cpu-f32"]);
    expect(out.exports).toEqual(["function", "function", "function"]);
  });

  it("(b) the globally installed wdecay: demo --json", async () => {
    const out = join(work, "demo-out");
    const { stdout } = await run(
      join(globalPrefix, "bin", "wdecay"),
      ["demo", "--json", "--out", out],
      { cwd: work },
    );
    const report = JSON.parse(stdout);
    // No GPU here (or a software adapter, which is never the default): wasm.
    expect(report.backend).toBe("wasm");
    expectNorms(
      "wdecay demo",
      report.runs.map((r: { l2Norm: number }) => r.l2Norm),
      F32_TOLERANCE,
    );
    const { stdout: version } = await run(join(globalPrefix, "bin", "wdecay"), ["--version"]);
    expect(version.trim()).toBe(publishedPackages().find((p) => p.name === "@wdecay/cli")?.version);
  });

  it("(c) a page bundled by Vite trains on wasm and WebGPU in Chromium to Node's ‖w‖", async () => {
    const page = join(project, "page");
    cpSync(join(FIXTURES, "page"), page, { recursive: true });
    const dist = join(project, "page-dist");
    await build({
      root: page,
      base: "./",
      configFile: false,
      logLevel: "warn",
      build: { outDir: dist, emptyOutDir: true },
    });
    const server = await serveStatic(dist);
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const logs: string[] = [];
      tab.on("console", (message) => logs.push(message.text()));
      tab.on("pageerror", (error) => logs.push(String(error)));
      await tab.goto(server.url);
      await tab.waitForFunction(() => "__result" in globalThis, undefined, { timeout: 120_000 });
      const result = (await tab.evaluate(
        () => (globalThis as unknown as { __result: unknown }).__result,
      )) as {
        ok: boolean;
        error?: string;
        wasm: number[];
        webgpu: number[];
      };
      expect(result.ok, `${result.error ?? ""}\n${logs.join("\n")}`).toBe(true);
      expectNorms("wasm in Chromium", result.wasm, F32_TOLERANCE);
      expectNorms("webgpu in Chromium", result.webgpu, F32_TOLERANCE);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
