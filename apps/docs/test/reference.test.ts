/**
 * Issue 16, findings 7, 8 and 10, in the built site (global-setup.ts): the API reference is
 * joined to the site both ways and its search follows Enter; the performance page is short, has
 * a chart and says what BENCH.md measured of webgpu against wasm; exercise 5 has its page.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { CHAPTER, syntheticSplit, train } from "@wdecay/core";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { parseBench } from "../bench-figures.js";
import { API_DIR, PAGES } from "../site.config.js";
import { expectClean, settled, useSite, watchedPage } from "./browser.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
const API = join(DIST, API_DIR);

const site = useSite();

/** Every .html file under `dir`. */
function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return name.endsWith(".html") ? [path] : [];
  });
}

/** The file of dist/ a URL of the test server points at. */
function distFile(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  return join(DIST, path.replace(/^\/+/, ""));
}

/**
 * The text of a typedoc page's main heading up to its first tag (`Function train`, `Variable
 * CHAPTER` without its "Const" tag, `Interface Backend`).
 */
function apiHeading(file: string): string {
  const match = /<h1[^>]*>([^<]*)/.exec(readFileSync(file, "utf8"));
  return (match?.[1] ?? "").replace(/\s+/g, " ").trim();
}

describe("the API reference (issue 16, finding 7)", () => {
  it("links back to the site from every one of its pages", async () => {
    const files = htmlFiles(API);
    expect(files.length, "pages in dist/api").toBeGreaterThan(50);
    for (const file of files) {
      const html = readFileSync(file, "utf8");
      const href = /<a href="([^"]+)" data-testid="site-link">/.exec(html)?.[1];
      expect(href, `a link back to the site on ${relative(DIST, file)}`).toBeDefined();
      expect(resolve(dirname(file), href as string), relative(DIST, file)).toBe(
        join(DIST, "index.html"),
      );
    }
    // And a reader can follow it, from the index and from pages one folder down.
    for (const path of [
      "index.html",
      "functions/_wdecay_core.train.html",
      "interfaces/_wdecay_core.Backend.html",
    ]) {
      const { page, problems, close } = await watchedPage(site.browser);
      try {
        await page.goto(`${site.server.url}${API_DIR}/${path}`);
        await page.getByTestId("site-link").click();
        await page.waitForURL(`${site.server.url}index.html`);
        await expect(page.locator(".site-header .brand").textContent()).resolves.toBe("wdecay");
        expectClean(problems, `the link back to the site from ${API_DIR}/${path}`);
      } finally {
        await close();
      }
    }
  });

  it("is linked from the site's pages at each symbol's own page, never only at its index", async () => {
    // Scripts off: the links are in the pages as built, and no demo needs to run.
    const context = await site.browser.newContext({ javaScriptEnabled: false });
    const linked = new Map<string, string>();
    try {
      const page = await context.newPage();
      for (const p of PAGES) {
        await page.goto(site.server.url + p.path);
        const links = await page.locator("main a[href]").evaluateAll((anchors) =>
          anchors.map((a) => ({
            href: (a as HTMLAnchorElement).href,
            api: (a as HTMLElement).dataset.api ?? null,
            text: a.textContent ?? "",
          })),
        );
        for (const link of links) {
          if (link.api === null) {
            // Only "the API reference" as a whole may be linked by hand; a symbol's page is
            // linked by name, so that the build checks it.
            const path = new URL(link.href).pathname;
            if (path.startsWith(`/${API_DIR}/`)) {
              expect(path, `${p.path}: a link into the API without data-api`).toBe(
                `/${API_DIR}/index.html`,
              );
            }
            continue;
          }
          const where = `${p.path}: ${link.api}`;
          const file = distFile(link.href);
          expect(file.startsWith(API + sep), `${where} points into ${API_DIR}/`).toBe(true);
          expect(file, `${where} lands on a symbol's page`).not.toBe(join(API, "index.html"));
          expect(existsSync(file), `${where}: ${relative(DIST, file)} exists`).toBe(true);
          const symbol = link.api.split(".").at(-1) as string;
          expect(apiHeading(file), `${where}: the page's heading`).toMatch(
            new RegExp(`^[A-Z][\\w ]* ${symbol}(?![\\w$])`),
          );
          linked.set(link.api, p.path);
        }
      }
    } finally {
      await context.close();
    }
    // The functions a reader of the site meets first each get their page.
    for (const name of [
      "@wdecay/core.train",
      "@wdecay/core.trainGrid",
      "@wdecay/core.selectLambda",
      "@wdecay/conformance.runConformance",
      "@wdecay/backend-cpu.createCpuBackend",
    ]) {
      expect(linked.has(name), `a site page links ${name}`).toBe(true);
    }
    // And following one works in the browser.
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}exercises/selection.html`);
      await page.locator('main a[data-api="@wdecay/core.selectLambda"]').click();
      await page.waitForURL(/\/api\/functions\/_wdecay_core\.selectLambda\.html$/);
      await expect(page.locator("h1").textContent()).resolves.toContain("selectLambda");
      expectClean(problems, "a link from the selection exercise into the API");
    } finally {
      await close();
    }
  });

  it("goes to a result when Enter is pressed in its search", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    const search = async (query: string, delay: number) => {
      await page.goto(`${site.server.url}${API_DIR}/index.html`);
      await page.locator("#tsd-search-trigger").click();
      await page.locator("#tsd-search-input").pressSequentially(query, { delay });
    };
    const symbolPage = async (p: Page) => new URL(p.url()).pathname.replace(`/${API_DIR}/`, "");
    try {
      // Typed, results shown, then Enter: the first result.
      await search("selectLambda", 30);
      await page.locator("#tsd-search-results li").first().waitFor();
      await page.keyboard.press("Enter");
      await page.waitForURL(/selectLambda\.html$/, { timeout: 10_000 });
      expect(await symbolPage(page)).toBe("functions/_wdecay_core.selectLambda.html");

      // Enter before typedoc's search has caught up with the typing: the first result, once shown.
      await search("runConformance", 0);
      await page.keyboard.press("Enter");
      await page.waitForURL(/runConformance\.html$/, { timeout: 10_000 });
      expect(await symbolPage(page)).toBe("functions/_wdecay_conformance.runConformance.html");

      // A result highlighted with the arrow keys is still the one Enter follows.
      await search("selectLambda", 30);
      await page.locator("#tsd-search-results li").nth(1).waitFor();
      const second = await page.locator("#tsd-search-results li a").nth(1).getAttribute("href");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Enter");
      await page.waitForURL((url) => !url.pathname.endsWith("/index.html"), { timeout: 10_000 });
      expect(await symbolPage(page)).toBe((second ?? "").replace(/^\.\//, ""));
      expectClean(problems, "the API search");
    } finally {
      await close();
    }
  });
});

/**
 * BENCH.md's median (ms) per contender of the four workloads the performance page charts, read
 * here on its own terms (not with bench-figures.ts, which the page is built from).
 */
function benchMedians(): Record<string, Record<string, number>> {
  const text = readFileSync(join(ROOT, "..", "..", "BENCH.md"), "utf8");
  const out: Record<string, Record<string, number>> = {};
  for (const section of text.split(/^### /m).slice(1)) {
    const id = /^(chapter|grid64|big1|big2):/.exec(section)?.[1];
    if (id === undefined) continue;
    out[id] = {};
    // | contender | precision | median | …
    for (const m of section.matchAll(/^\| ([\w-]+) \| float(?:32|64) \| ([\d.]+) \|/gm)) {
      (out[id] as Record<string, number>)[m[1] as string] = Number(m[2]);
    }
  }
  return out;
}

describe("the performance page (issue 16, finding 10)", () => {
  it("is short, charts BENCH.md's figures and says how much slower webgpu on a software adapter was than wasm", async () => {
    const medians = benchMedians();
    expect(Object.keys(medians).sort()).toEqual(["big1", "big2", "chapter", "grid64"]);
    const ratios = Object.entries(medians).map(([id, m]) => ({
      id,
      ratio: (m.webgpu as number) / (m.wasm as number),
    }));
    ratios.sort((a, b) => a.ratio - b.ratio);
    const low = ratios[0] as (typeof ratios)[0];
    const high = ratios.at(-1) as (typeof ratios)[0];

    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const { page, problems, close } = await watchedPage(site.browser, viewport);
      try {
        await page.goto(`${site.server.url}performance.html`);
        await page.waitForSelector('[data-testid="bench"][data-state="done"]');
        const size = await page.evaluate(() => ({
          height: document.documentElement.scrollHeight,
          width: document.documentElement.scrollWidth,
        }));
        expect(size.width, `no sideways scroll at ${viewport.width}`).toBeLessThanOrEqual(
          viewport.width,
        );
        if (viewport.width === 1280) {
          // It was 9,200 px of tables; the tables stay in BENCH.md, behind a closed summary.
          expect(size.height, "page height at 1280 × 900").toBeLessThan(3000);
        }
        const box = await page.locator('[data-testid="bench-chart"] canvas').boundingBox();
        expect(box?.width ?? 0, "the chart's width").toBeGreaterThan(300);
        expect(box?.height ?? 0, "the chart's height").toBeGreaterThan(200);
        // The chart shows the file's figures.
        const charted = JSON.parse(
          (await page.getByTestId("bench-chart").getAttribute("data-medians")) ?? "{}",
        ) as Record<string, Record<string, number>>;
        for (const [id, m] of Object.entries(medians)) {
          for (const backend of ["cpu", "cpu-f32", "wasm", "webgpu"]) {
            expect(charted[backend]?.[id], `${backend} on ${id}`).toBe(m[backend]);
          }
        }
        // The sentence, with BENCH.md's numbers: "… was 73× (big2) to 2,658× (grid64) slower
        // than wasm."
        const sentence = (await page.getByTestId("webgpu-vs-wasm").textContent()) ?? "";
        expect(sentence).toMatch(/software adapter/);
        const said = /([\d,.]+)× \((\w+)\) to ([\d,.]+)× \((\w+)\) slower than wasm/.exec(sentence);
        expect(said, `webgpu against wasm in: ${sentence}`).not.toBeNull();
        const number = (s: string) => Number(s.replace(/,/g, ""));
        expect(said?.[2]).toBe(low.id);
        expect(said?.[4]).toBe(high.id);
        expect(Math.abs(number(said?.[1] ?? "") - low.ratio)).toBeLessThanOrEqual(0.5);
        expect(Math.abs(number(said?.[3] ?? "") - high.ratio)).toBeLessThanOrEqual(0.5);
        expectClean(problems, `performance.html at ${viewport.width} px`);
      } finally {
        await close();
      }
    }
  });

  it("fails the build, naming what is missing, when BENCH.md lacks a figure the page charts", () => {
    const text = readFileSync(join(ROOT, "..", "..", "BENCH.md"), "utf8");
    expect(() => parseBench(text)).not.toThrow();
    // big2's webgpu row gone (the first webgpu row after its heading).
    const at = text.indexOf("### big2:");
    const withoutRow = text.slice(0, at) + text.slice(at).replace(/^\| webgpu \|.*\n/m, "");
    expect(() => parseBench(withoutRow)).toThrow(/the webgpu median of big2/);
    expect(() => parseBench(text.replace(/^### grid64:/m, "### grid:"))).toThrow(
      /"### grid64: …" section/,
    );
  });
});

describe("exercise 5 (issue 16, finding 8)", () => {
  it("has its page, between exercises 4 and 6, and the exercise pages number 1 to 6 without a gap", async () => {
    const exercises = PAGES.filter((p) => p.section === "Exercises");
    // Headings and navigation are in the pages as built; the demos need not run.
    const context = await site.browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const numbers: number[] = [];
      for (const p of exercises) {
        await page.goto(site.server.url + p.path);
        const h1 = (await page.locator("h1").textContent()) ?? "";
        const n = /^Exercise (\d+):/.exec(h1)?.[1];
        expect(n, `${p.path}: "${h1}" names its exercise`).toBeDefined();
        numbers.push(Number(n));
      }
      expect(numbers).toEqual([1, 2, 3, 4, 5, 6]);
      // The navigation lists it in the chapter's order.
      await page.goto(`${site.server.url}index.html`);
      const listed = await page
        .locator("nav.site-nav a")
        .evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
      const at = (path: string) => listed.indexOf(path);
      expect(at("exercises/overfitting.html"), "exercise 5 in the navigation").toBeGreaterThan(
        at("exercises/frobenius.html"),
      );
      expect(at("exercises/overfitting.html")).toBeLessThan(at("exercises/bayes.html"));
    } finally {
      await context.close();
    }
  });

  it("says which other remedies wdecay has, linking them, and shows early stopping from train()'s history", async () => {
    // The same three runs in Node: λ = 0 scored on the validation rows and on the test rows, λ = 3.
    const seed = 42;
    const backend = createCpuBackend();
    const { train: rows, test } = syntheticSplit(seed, CHAPTER);
    const validation = syntheticSplit(seed + 1, CHAPTER).test;
    const options = {
      method: "scratch" as const,
      epochs: CHAPTER.epochs,
      lr: CHAPTER.lr,
      batchSize: CHAPTER.batchSize,
      seed,
      evalEvery: 1,
    };
    const onValidation = await train(
      backend,
      { train: rows, test: validation },
      {
        ...options,
        lambda: 0,
      },
    );
    const onTest = await train(backend, { train: rows, test }, { ...options, lambda: 0 });
    const decayed = await train(backend, { train: rows, test }, { ...options, lambda: 3 });
    const best = onValidation.history.reduce((a, b) => (b.testLoss < a.testLoss ? b : a));

    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const { page, problems, close } = await watchedPage(site.browser, viewport);
      try {
        await page.goto(`${site.server.url}exercises/overfitting.html`);
        await settled(page);
        const rowsShown = await page
          .locator('[data-testid="remedies"] tbody tr')
          .evaluateAll((trs) =>
            trs.map((tr) => ({
              way: tr.querySelector("td")?.textContent?.trim() ?? "",
              has: (tr as HTMLElement).dataset.inWdecay ?? "",
              links: tr.querySelectorAll("td:last-child a[href]").length,
            })),
          );
        const ways = rowsShown.map((r) => r.way).join(" | ");
        for (const way of [
          "more data",
          "data augmentation",
          "early stopping",
          "L1",
          "dropout",
          "noise injection",
          "ensembles",
          "smaller model",
        ]) {
          expect(ways, `the page names ${way}`).toContain(way);
        }
        // Honest: some it has, some it has not; each it has points to where.
        expect(rowsShown.filter((r) => r.has === "no").length).toBeGreaterThanOrEqual(3);
        for (const r of rowsShown.filter((r) => r.has === "yes")) {
          expect(r.links, `a link for "${r.way}"`).toBeGreaterThan(0);
        }
        const result = page.getByTestId("early-stopping-result");
        expect(Number(await result.getAttribute("data-stop-epoch"))).toBe(best.epoch);
        const stoppedTest = Number(await result.getAttribute("data-stopped-test"));
        expect(stoppedTest).toBeCloseTo(
          onTest.history.find((p) => p.epoch === best.epoch)?.testLoss as number,
          9,
        );
        expect(Number(await result.getAttribute("data-final-test"))).toBeCloseTo(
          onTest.testLoss,
          9,
        );
        const decayTest = Number(await result.getAttribute("data-decay-test"));
        expect(decayTest).toBeCloseTo(decayed.testLoss, 9);
        // What the page says of it: early stopping does not rescue this problem; decay does.
        expect(stoppedTest).toBeGreaterThan(100 * decayTest);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(width, `no sideways scroll at ${viewport.width}`).toBeLessThanOrEqual(
          viewport.width,
        );
        expectClean(problems, `exercises/overfitting.html at ${viewport.width} px`);
      } finally {
        await close();
      }
    }
  });
});
