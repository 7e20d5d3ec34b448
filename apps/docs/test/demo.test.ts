/**
 * Issue 16, findings 3 and 4, and the playground's controls: the chapter demo says which runs it
 * shows and clears what belongs to the run before; a λ that makes SGD diverge is warned of and
 * the divergence reported; invalid input is shown as such and never trained; pause, step and
 * cancel do what they say; every setting round-trips through the URL. ‖w‖ is checked against
 * core's `train` on the float64 cpu backend in this Node process.
 */
import { createCpuBackend } from "@wdecay/backend-cpu";
import { CHAPTER, type Method, syntheticSplit, train } from "@wdecay/core";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { expectClean, expectResponsive, settled, useSite, watchedPage } from "./browser.js";

const site = useSite();

/** ‖w‖ of the chapter's run in this process (float64 cpu), the reference for the page's. */
async function nodeNorm(lambda: number, method: Method, seed: number): Promise<number> {
  const r = await train(createCpuBackend(), syntheticSplit(seed, CHAPTER), {
    method,
    lambda,
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    batchSize: CHAPTER.batchSize,
    evalEvery: CHAPTER.evalEvery,
    seed,
  });
  return r.l2Norm;
}

const demoState = (page: Page) => page.getByTestId("demo").getAttribute("data-state");

async function typeLambda(page: Page, value: string): Promise<void> {
  const input = page.getByTestId("lambda-input");
  await input.fill(value);
  await input.press("Enter");
}

describe("the chapter demo", () => {
  it("names the runs on screen and clears the previous run's results while training", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}index.html?backend=cpu`);
      await settled(page);
      // After the chapter's two runs: λ = 3 solid, λ = 0 dashed, and the heading claims neither.
      const shown = page.getByTestId("runs-shown");
      await expect(shown.textContent()).resolves.toMatch(/^Solid: λ = 3, scratch, seed 42/);
      await expect(shown.textContent()).resolves.toContain("Dashed: λ = 0, scratch, seed 42");
      // A new run, held by Pause right away: nothing of λ = 3 is shown as if it were this run.
      await typeLambda(page, "1");
      await page.getByTestId("pause").click();
      expect(await demoState(page)).toBe("running");
      await expect(shown.textContent()).resolves.toMatch(/^Solid: λ = 1, .*\(training\)/);
      await expect(shown.textContent()).resolves.toContain("Dashed: λ = 3");
      await expect(page.getByTestId("losses").textContent()).resolves.toBe("");
      await expect(page.getByTestId("norm").getAttribute("data-value")).resolves.toBeNull();
      // Step: exactly one more epoch each time.
      const epochs = async () => Number(await page.getByTestId("progress").getAttribute("value"));
      await page.waitForFunction(
        () => {
          const bar = document.querySelector<HTMLProgressElement>('[data-testid="progress"]');
          const at = bar?.value ?? -1;
          return new Promise((resolve) => setTimeout(() => resolve(bar?.value === at), 150));
        },
        undefined,
        { timeout: 5_000 },
      );
      const before = await epochs();
      for (let k = 1; k <= 3; k++) {
        await page.getByTestId("step").click();
        await page.waitForFunction(
          (want) =>
            document.querySelector<HTMLProgressElement>('[data-testid="progress"]')?.value === want,
          before + k,
          { timeout: 5_000 },
        );
      }
      expect(before + 3).toBeLessThan(CHAPTER.epochs);
      await page.getByTestId("pause").click(); // Resume
      await page.waitForSelector('[data-testid="demo"][data-state="done"]');
      expect(Number(await page.getByTestId("norm").getAttribute("data-value"))).toBeCloseTo(
        await nodeNorm(1, "scratch", 42),
        12,
      );
      await expect(shown.textContent()).resolves.toMatch(
        /^Solid: λ = 1, scratch, seed 42, on cpu\./,
      );
      await expectResponsive(page, "the demo's pause and step");
      expectClean(problems, "the demo's pause and step");
    } finally {
      await close();
    }
  });

  it("warns of a diverging step size, reports the divergence, and refuses invalid λ", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      // ηλ = 0.003 · 700 = 2.1 ≥ 2: warned before, reported after (the weights grow to ~1e23).
      await page.goto(`${site.server.url}chapter/norms.html?backend=cpu&lambda=700`);
      await settled(page);
      await expect(page.getByTestId("demo-warning").textContent()).resolves.toContain("ηλ = 2.1");
      expect(await page.getByTestId("demo").getAttribute("data-diverged")).toBe("true");
      await expect(page.getByTestId("demo-status").textContent()).resolves.toMatch(/^Diverged/);
      // λ = 1e6 overflows to NaN.
      await typeLambda(page, "1e6");
      await page.waitForFunction(
        () =>
          document.querySelector<HTMLElement>('[data-testid="norm"]')?.dataset.lambda === "1000000",
      );
      await settled(page);
      await expect(page.getByTestId("demo-status").textContent()).resolves.toContain("NaN");
      // A stable λ clears the warning.
      await typeLambda(page, "3");
      await page.waitForFunction(
        () => document.querySelector<HTMLElement>('[data-testid="norm"]')?.dataset.lambda === "3",
      );
      expect(await page.getByTestId("demo-warning").isVisible()).toBe(false);
      expect(await page.getByTestId("demo").getAttribute("data-diverged")).toBe("false");
      // λ = −2 is not a weight decay: marked invalid, nothing trained, nothing left showing.
      await typeLambda(page, "-2");
      await page.waitForSelector('[data-testid="demo"][data-state="invalid"]');
      await expect(page.getByTestId("lambda-input").getAttribute("aria-invalid")).resolves.toBe(
        "true",
      );
      await expect(page.getByTestId("lambda-error").textContent()).resolves.toContain("at least 0");
      await expect(page.getByTestId("demo-status").textContent()).resolves.toMatch(/^Not trained/);
      await expect(page.getByTestId("norm").getAttribute("data-lambda")).resolves.toBe("3");
      // The same from the URL.
      await page.goto(`${site.server.url}chapter/norms.html?lambda=-2`);
      await page.waitForSelector('[data-testid="demo"][data-state="invalid"]');
      await expect(page.getByTestId("norm").getAttribute("data-value")).resolves.toBeNull();
      expectClean(problems, "the diverging demo");
    } finally {
      await close();
    }
  });

  it("keeps every setting in the URL: the address reproduces the run", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}chapter/norms.html`);
      await settled(page);
      await page.getByTestId("backend").selectOption("cpu-f32");
      await page.getByTestId("method").selectOption("concise");
      await page.getByTestId("seed-input").fill("7");
      await page.getByTestId("seed-input").press("Enter");
      await typeLambda(page, "0.5");
      await page.waitForFunction(() => {
        const d = document.querySelector<HTMLElement>('[data-testid="norm"]')?.dataset;
        return d?.lambda === "0.5" && d.seed === "7" && d.method === "concise";
      });
      const url = new URL(page.url());
      expect(Object.fromEntries(url.searchParams)).toEqual({
        backend: "cpu-f32",
        method: "concise",
        seed: "7",
        lambda: "0.5",
      });
      const norm = await page.getByTestId("norm").getAttribute("data-value");
      const again = await watchedPage(site.browser);
      try {
        await again.page.goto(url.href);
        await settled(again.page);
        const d = again.page.getByTestId("norm");
        await expect(d.getAttribute("data-backend")).resolves.toBe("cpu-f32");
        // Same backend, seed and settings: the same float32 run, bit for bit.
        await expect(d.getAttribute("data-value")).resolves.toBe(norm);
        await expect(again.page.getByTestId("lambda-input").inputValue()).resolves.toBe("0.5");
        expectClean(again.problems, "the reproduced demo");
      } finally {
        await again.close();
      }
      // An exercise's options too.
      await page.goto(`${site.server.url}exercises/selection.html`);
      await settled(page);
      await page.getByTestId("method").selectOption("holdout");
      await page.getByTestId("rule").selectOption("min");
      await page.getByTestId("n").selectOption("20");
      await page.getByTestId("run").click();
      await settled(page);
      const chosen = await page.getByTestId("selection-result").getAttribute("data-chosen");
      const selectionUrl = page.url();
      expect(selectionUrl).toContain("method=holdout");
      await page.goto("about:blank");
      await page.goto(selectionUrl);
      await settled(page);
      await expect(page.getByTestId("selection-result").getAttribute("data-chosen")).resolves.toBe(
        chosen,
      );
      expectClean(problems, "the URL round trip");
    } finally {
      await close();
    }
  });

  it("retrains while the λ slider moves: the newest position wins, older runs are cancelled", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}chapter/norms.html?backend=cpu`);
      await settled(page);
      const slider = page.getByTestId("lambda-range");
      await slider.focus();
      // Ten moves of 0.1, faster than the debounce: one or a few runs, the last at λ = 4.
      for (let k = 0; k < 10; k++) await page.keyboard.press("ArrowRight");
      await page.waitForFunction(
        () => document.querySelector<HTMLElement>('[data-testid="norm"]')?.dataset.lambda === "4",
        undefined,
        { timeout: 30_000 },
      );
      await settled(page);
      expect(Number(await page.getByTestId("norm").getAttribute("data-value"))).toBeCloseTo(
        await nodeNorm(4, "scratch", 42),
        12,
      );
      await expect(page.getByTestId("lambda-input").inputValue()).resolves.toBe("4");
      expect(new URL(page.url()).searchParams.get("lambda")).toBe("4");
      // An exercise's slider the same way: the every-layer λ moves, the panel reruns by itself.
      await page.goto(`${site.server.url}exercises/l1-l2.html?backend=cpu`);
      await settled(page);
      const sgd = page.getByTestId("l1l2-sgd");
      const runs = Number(await sgd.getAttribute("data-runs"));
      await sgd.getByTestId("lambda-range").focus();
      await page.keyboard.press("ArrowLeft");
      await page.waitForFunction(
        (before) =>
          Number(document.querySelector<HTMLElement>('[data-testid="l1l2-sgd"]')?.dataset.runs) >
          before,
        runs,
      );
      await settled(page);
      expect(new URL(page.url()).searchParams.get("lambda")).toBe("0.95");
      await expectResponsive(page, "the slider retraining");
      expectClean(problems, "the slider retraining");
    } finally {
      await close();
    }
  });

  it("an exercise refuses invalid input the same way: σ = 0 in the Bayesian reading", async () => {
    const { page, problems, close } = await watchedPage(site.browser);
    try {
      await page.goto(`${site.server.url}exercises/bayes.html`);
      await settled(page);
      const lambda = await page.getByTestId("bayes-lambda").textContent();
      await page.getByTestId("sigma-input").fill("0");
      await page.getByTestId("sigma-input").press("Enter");
      await page.waitForSelector('[data-testid="bayes"][data-state="invalid"]');
      await expect(page.getByTestId("sigma-error").textContent()).resolves.toContain(
        "greater than 0",
      );
      await expect(page.getByTestId("bayes-status").textContent()).resolves.toMatch(/^Not run/);
      // The last valid result stays, not replaced by a posterior computed from σ = 0.
      await expect(page.getByTestId("bayes-lambda").textContent()).resolves.toBe(lambda);
      expect(new URL(page.url()).searchParams.get("sigma")).toBe("0");
      expectClean(problems, "the Bayes exercise with σ = 0");
    } finally {
      await close();
    }
  });
});
