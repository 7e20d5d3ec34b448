/**
 * Issue 16, read as a student would (findings 5, 6 and 9): charts that agree with the text
 * beside them, numbers that read as numbers, notation set as notation, and pages whose heading
 * a phone shows first. The charts record what they draw on their figure (charts.ts).
 */
import { CHAPTER, regularizationPath, syntheticSplit } from "@wdecay/core";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectClean, type Site, settled, startSite, watchedPage } from "./browser.js";

/**
 * Raw notation a reader should never see: a subscript written with "_" after a letter or a
 * closing bracket (w_c, λ_1se, ‖W‖_F, S_(a+b)), or an index on the line (w40). A program's
 * identifier (weight_decay, no_decay) is a word, not notation, and is not matched.
 */
const RAW_NOTATION = /(?:(?<![\p{L}\p{N}])\p{L}\p{M}*|[‖)])_[\p{L}\p{N}({∞]|\bw\d+\b/u;

let site: Site;

beforeAll(async () => {
  site = await startSite();
});

afterAll(async () => {
  await site?.close();
});

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
});
