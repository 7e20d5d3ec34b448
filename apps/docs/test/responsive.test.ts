/**
 * Issue 16, finding 1: heavy work runs off the main thread, with progress and a Cancel button,
 * on every page and backend. A PerformanceObserver (test/browser.ts) records every main-thread
 * task of 50 ms or more; none may pass LONG_TASK_MS while a demo or exercise runs.
 */
import { describe, expect, it } from "vitest";
import { REQUIRED_BACKENDS } from "./backends.js";
import { expectClean, expectResponsive, settled, useSite, watchedPage } from "./browser.js";

const site = useSite();

describe("the site stays responsive", () => {
  it("selects λ on 400 rows by 5-fold cross-validation without freezing the page, with progress and Cancel", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}exercises/selection.html`);
      await settled(page);
      await page.getByTestId("n").selectOption("400");
      // Cancel stops a run at once; the page says so and keeps the last finished result.
      const before = await page.getByTestId("selection-result").getAttribute("data-chosen");
      await page.getByTestId("method").selectOption("kfold-10");
      await page.getByTestId("run").click();
      await page.waitForFunction(
        () =>
          Number(document.querySelector<HTMLProgressElement>('[data-testid="progress"]')?.value) >
          0,
      );
      await page.getByTestId("cancel").click();
      await page.waitForSelector('[data-testid="selection"][data-state="cancelled"]', {
        timeout: 1_000,
      });
      await expect(page.getByTestId("selection-status").textContent()).resolves.toContain(
        "Cancelled",
      );
      await expect(page.getByTestId("selection-result").getAttribute("data-chosen")).resolves.toBe(
        before,
      );
      // And the 5-fold run, to the end, with its progress shown on the way.
      await page.getByTestId("method").selectOption("kfold-5");
      await page.getByTestId("run").click();
      await page.waitForFunction(() =>
        /^Solving: fit \d+ of \d+/.test(
          document.querySelector('[data-testid="selection-status"]')?.textContent ?? "",
        ),
      );
      await settled(page, 60_000);
      expect(
        Number(await page.getByTestId("selection-result").getAttribute("data-chosen")),
      ).toBeGreaterThan(0);
      await expectResponsive(page, "selection with n = 400");
      expectClean(problems, "selection with n = 400");
    } finally {
      await close();
    }
  });

  it("trains every exercise on every backend without a main-thread task over the budget", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      for (const backend of REQUIRED_BACKENDS) {
        for (const path of [
          "exercises/lambda-sweep.html",
          "exercises/l1-l2.html",
          "exercises/frobenius.html",
          "chapter/high-dimensional.html",
        ]) {
          await page.goto(`${site.server.url}${path}?backend=${backend}`);
          await settled(page, 120_000);
          await expectResponsive(page, `${path} on ${backend}`);
        }
      }
      expectClean(problems, "the exercises on every backend");
    } finally {
      await close();
    }
  }, 600_000);
});
