/**
 * Issue 16, read as a student would (findings 5, 6 and 9): charts that agree with the text
 * beside them, numbers that read as numbers, notation set as notation, and pages whose heading
 * a phone shows first. The charts record what they draw on their figure (charts.ts).
 */
import { CHAPTER, regularizationPath, syntheticSplit } from "@wdecay/core";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PAGES } from "../site.config.js";
import { expectClean, settled, useSite, watchedPage } from "./browser.js";

const PHONE = { width: 390, height: 844 };
/**
 * Raw notation a reader should never see: a subscript written with "_" after a letter or a
 * closing bracket (w_c, λ_1se, ‖W‖_F, S_(a+b)), or an index on the line (w40). A program's
 * identifier (weight_decay, no_decay) is a word, not notation, and is not matched.
 */
const RAW_NOTATION = /(?:(?<![\p{L}\p{N}])\p{L}\p{M}*|[‖)])_[\p{L}\p{N}({∞]|\bw\d+\b/u;
/** Pages whose work on load takes long (see e2e.test.ts); the conformance page has its own test. */
const SLOW_PAGES: Record<string, number> = { "chapter/every-layer.html": 120_000 };

const site = useSite();

/** What a chart's figure records (charts.ts, figureRecorder). */
async function figureOf(page: Page, testid: string) {
  return page.getByTestId(testid).evaluate((figure) => {
    const d = (figure as HTMLElement).dataset;
    return {
      yMin: Number(d.yMin),
      yMax: Number(d.yMax),
      xMin: Number(d.xMin),
      xMax: Number(d.xMax),
      clipped: d.clipped === undefined ? Number.NaN : Number(d.clipped),
      legend: d.legend === undefined ? [] : d.legend.split("|"),
      legendColors: d.legendColors === undefined ? [] : d.legendColors.split("|"),
    };
  });
}

/**
 * Every piece of text a reader sees that could hold raw notation: visible text nodes outside
 * code, the charts' legends (canvas text, recorded on the figure) and their accessible labels.
 */
async function rawNotation(page: Page, pattern: RegExp): Promise<string[]> {
  return page.evaluate((source) => {
    const re = new RegExp(source, "u");
    const found: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest("code, pre, script, style, kbd, samp")) continue;
      const text = node.textContent ?? "";
      if (re.test(text) && parent.getClientRects().length > 0) found.push(text.trim());
    }
    for (const figure of document.querySelectorAll<HTMLElement>("figure")) {
      const legend = figure.dataset.legend ?? "";
      if (re.test(legend)) found.push(`legend: ${legend}`);
    }
    for (const el of document.querySelectorAll("[aria-label]")) {
      const label = el.getAttribute("aria-label") ?? "";
      if (re.test(label)) found.push(`aria-label: ${label}`);
    }
    return found;
  }, pattern.source);
}

describe("the site as a teaching instrument (issue 16)", () => {
  it("finding 5: the L1/L2 paths share one y-scale, ridge visibly shrinks over the λ it shows, and the lines are told apart by colour and legend", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}exercises/l1-l2.html`);
      await settled(page);
      const lasso = await figureOf(page, "l1-path-chart");
      const ridge = await figureOf(page, "l2-path-chart");
      expect([ridge.yMin, ridge.yMax], "the two panels' y-scales").toEqual([
        lasso.yMin,
        lasso.yMax,
      ]);
      expect(lasso.yMax).toBeGreaterThan(lasso.yMin);
      // The ridge solution of the page's data (seed 42) at the two ends of the λ axis shown:
      // "ridge shrinks smoothly" must be visible, the largest |w| falling by more than half.
      const { train } = syntheticSplit(42, CHAPTER);
      const ends = regularizationPath(train, { alpha: 0, lambdas: [ridge.xMin, ridge.xMax] });
      const largest = (w: Float64Array | undefined) =>
        Math.max(...[...(w ?? [])].map((v) => Math.abs(v)));
      const [atSmall, atLarge] = ends.weights.map(largest) as [number, number];
      expect(atLarge, `largest |w| at λ = ${ridge.xMax} against λ = ${ridge.xMin}`).toBeLessThan(
        0.5 * atSmall,
      );
      for (const [name, chart] of [
        ["lasso", lasso],
        ["ridge", ridge],
      ] as const) {
        // A legend, its coloured lines in distinct colours, no raw w12 in it.
        expect(chart.legend.length, `${name} legend: ${chart.legend}`).toBeGreaterThanOrEqual(3);
        const colors = chart.legendColors;
        expect(new Set(colors).size, `${name} legend colours: ${colors}`).toBe(colors.length);
        expect(chart.legend.join("|")).not.toMatch(RAW_NOTATION);
      }
      expect(lasso.legend, "the same coefficients, in the same colours, in both panels").toEqual(
        ridge.legend,
      );
      expect(lasso.legendColors).toEqual(ridge.legendColors);
      expectClean(problems, "exercises/l1-l2.html");
    } finally {
      await close();
    }
  });

  it("finding 9: no point or marker is cut off at a chart's edge (sweep, Bayes, L1/L2)", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      for (const path of [
        "exercises/lambda-sweep.html",
        "exercises/bayes.html",
        "exercises/l1-l2.html",
      ]) {
        await page.goto(site.server.url + path);
        await settled(page);
        const figures = await page.locator("figure.chart").evaluateAll((els) =>
          els.map((el) => ({
            id: (el as HTMLElement).dataset.testid,
            clipped: (el as HTMLElement).dataset.clipped,
          })),
        );
        expect(figures.length, path).toBeGreaterThan(0);
        for (const f of figures) expect(f.clipped, `${path}: ${f.id}, points clipped`).toBe("0");
      }
      expectClean(problems, "the chart pages");
    } finally {
      await close();
    }
  });

  it("finding 5 (and 2) on a phone and a laptop: no chart's tick labels run into each other", async () => {
    for (const viewport of [PHONE, { width: 1280, height: 900 }]) {
      const { page, problems, close } = await watchedPage(site.browser, viewport);
      try {
        const found: string[] = [];
        for (const path of [
          "index.html",
          "exercises/lambda-sweep.html",
          "exercises/selection.html",
          "exercises/l1-l2.html",
          "exercises/frobenius.html",
          "exercises/bayes.html",
        ]) {
          await page.goto(site.server.url + path);
          await settled(page);
          const figures = await page
            .locator("figure.chart")
            .evaluateAll((els) => els.map((el) => ({ ...(el as HTMLElement).dataset })));
          for (const f of figures) {
            for (const axis of ["x", "y"] as const) {
              const overlaps = f[`${axis}Overlaps`];
              if (overlaps !== "0") {
                found.push(`${path} ${f.testid} ${axis}: ${overlaps} (${f[`${axis}Ticks`]})`);
              }
            }
          }
        }
        expect(found, `at ${viewport.width} px`).toEqual([]);
        expectClean(problems, `the chart pages at ${viewport.width} px`);
      } finally {
        await close();
      }
    }
  });

  it("finding 9: no raw notation (w_c, λ_1se, ‖W‖_F, w40) in any page's text, legends or labels", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      const found: Record<string, string[]> = {};
      for (const { path } of PAGES) {
        if (path === "conformance.html") continue; // checked with its report, below
        await page.goto(site.server.url + path);
        await settled(page, SLOW_PAGES[path] ?? 30_000);
        const raw = await rawNotation(page, RAW_NOTATION);
        if (raw.length > 0) found[path] = raw;
      }
      expect(found).toEqual({});
      expectClean(problems, "every page");
    } finally {
      await close();
    }
  });

  it("finding 9: a display-style Σ is set larger than the letters around it, with or without a math font", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      /** Each display sum's Σ: its height and font size against its formula's font size. */
      const sums = async () => {
        await page.evaluate(() => document.fonts.ready);
        return page.evaluate(() =>
          [...document.querySelectorAll('math[display="block"]')].flatMap((math) => {
            const size = (el: Element) => Number.parseFloat(getComputedStyle(el).fontSize);
            return [...math.querySelectorAll("mo[largeop]")].map((mo) => ({
              op: mo.getBoundingClientRect().height,
              text: size(math),
              fontRatio: size(mo) / size(math),
            }));
          }),
        );
      };
      for (const path of ["chapter/norms.html", "exercises/l1-l2.html"]) {
        await page.goto(site.server.url + path);
        await settled(page);
        const withFont = await sums();
        // Chromium here enlarges Σ by itself (it finds DejaVu Math TeX Gyre, a font with a MATH
        // table); the reader's browser did not, so the page must size Σ itself, in CSS, and
        // no browser may then enlarge it a second time: with a math font and with a text font.
        await page.addStyleTag({ content: 'math { font-family: "DejaVu Sans", sans-serif; }' });
        const withoutFont = await sums();
        expect(withFont.length, `${path}: display sums`).toBeGreaterThan(0);
        for (const [which, sizes] of [
          ["math font", withFont],
          ["text font", withoutFont],
        ] as const) {
          for (const s of sizes) {
            expect(s.fontRatio, `${path}: Σ's font size against its formula's`).toBeGreaterThan(
              1.4,
            );
            expect(
              s.op,
              `${path}, ${which}: Σ's height against its formula's ${s.text} px text`,
            ).toBeGreaterThan(1.5 * s.text);
            // Not enlarged twice where the font would enlarge it too.
            expect(
              s.op,
              `${path}, ${which}: Σ's height against its formula's ${s.text} px text`,
            ).toBeLessThan(3 * s.text);
          }
        }
      }
      expectClean(problems, "the pages with sums");
    } finally {
      await close();
    }
  });

  it("finding 9: on a phone the navigation folds into a Menu button, so each page's heading comes first", async () => {
    const { page, problems, close } = await watchedPage(site.browser, PHONE);
    try {
      for (const { path } of PAGES) {
        await page.goto(site.server.url + path, { waitUntil: "domcontentloaded" });
        const top = await page
          .locator("h1")
          .first()
          .evaluate((h1) => h1.getBoundingClientRect().top);
        expect(top, `${path}: the h1's top at 390 × 844`).toBeLessThan(200);
      }
      await page.goto(`${site.server.url}exercises/l1-l2.html`, { waitUntil: "domcontentloaded" });
      const menu = page.getByRole("button", { name: "Menu" });
      const link = page.locator("nav.site-nav a", { hasText: "Norms and weight decay" });
      await expect(menu.getAttribute("aria-expanded")).resolves.toBe("false");
      expect(await link.isVisible(), "a navigation link before opening the menu").toBe(false);
      // From the keyboard: focus the button, Enter opens, Escape closes and returns focus.
      await menu.focus();
      await page.keyboard.press("Enter");
      await expect(menu.getAttribute("aria-expanded")).resolves.toBe("true");
      expect(await link.isVisible(), "a navigation link once the menu is open").toBe(true);
      await page.keyboard.press("Escape");
      await expect(menu.getAttribute("aria-expanded")).resolves.toBe("false");
      expect(await link.isVisible()).toBe(false);
      await menu.click();
      await link.click();
      await page.waitForURL(/chapter\/norms\.html$/);
      // On a wide screen the navigation is always there and the button is not.
      await page.setViewportSize({ width: 1280, height: 900 });
      expect(await page.getByRole("button", { name: "Menu" }).isVisible()).toBe(false);
      expect(await page.locator("nav.site-nav a", { hasText: "L1 against L2" }).isVisible()).toBe(
        true,
      );
      // Leaving a page before its demo has loaded aborts that demo's requests; nothing failed.
      const aborted = (r: string) => r.endsWith("net::ERR_ABORTED");
      expectClean(
        { ...problems, failedRequests: problems.failedRequests.filter((r) => !aborted(r)) },
        "the pages on a phone",
      );
    } finally {
      await close();
    }
  });

  it("finding 6: the conformance report keeps each number on one line, and a phone shows the error and tolerance columns", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}conformance.html?runs=3&seed=7`);
      await settled(page, 240_000);
      await page.evaluate(() => {
        for (const d of document.querySelectorAll("details[data-backend]")) {
          (d as HTMLDetailsElement).open = true;
        }
      });
      /** Each numeric cell whose text takes more than one line, or that lies off-screen. */
      const badCells = () =>
        page.evaluate(() => {
          const out: string[] = [];
          const cells = document.querySelectorAll<HTMLElement>(
            '[data-testid="conformance-details"] tbody td.num',
          );
          for (const cell of cells) {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.bottom)));
            const box = cell.getBoundingClientRect();
            if (lines.size > 1) out.push(`wraps: "${cell.textContent}"`);
            if (box.left < 0 || box.right > window.innerWidth) {
              out.push(
                `off-screen (${Math.round(box.left)}…${Math.round(box.right)}): "${cell.textContent}"`,
              );
            }
          }
          return { out, cells: cells.length, width: document.documentElement.scrollWidth };
        });
      const wide = await badCells();
      expect(wide.cells).toBeGreaterThan(20);
      expect(wide.out, "at 1280 × 900").toEqual([]);
      // The same report on a phone: the error and tolerance are read without scrolling sideways.
      await page.setViewportSize(PHONE);
      const phone = await badCells();
      expect(phone.out, "at 390 × 844").toEqual([]);
      expect(phone.width, "the page's width at 390 px").toBeLessThanOrEqual(PHONE.width);
      expect(await rawNotation(page, RAW_NOTATION), "conformance.html").toEqual([]);
      expectClean(problems, "conformance.html");
    } finally {
      await close();
    }
  });
});
