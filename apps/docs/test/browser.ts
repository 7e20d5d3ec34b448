/**
 * The tests' headless Chromium (npm's, through @wdecay/test-browser; `CHROMIUM_PATH` for
 * another) driven by playwright-core, with every request outside 127.0.0.1 recorded.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, type StaticServer, serveStatic } from "@wdecay/test-browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { SITE_HEADERS } from "../site.config.js";

export { launchChromium as launch };

/** Where the tests save their screenshots (test-results/ is kept by CI). */
export const SHOTS = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "test-results",
  "screenshots",
);

/** What a page did wrong while it was open. */
export interface PageProblems {
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  readonly outsideRequests: string[];
  readonly failedRequests: string[];
}

/** A new page that records console errors, uncaught errors and requests that leave the site. */
export async function watchedPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; problems: PageProblems; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: PageProblems = {
    consoleErrors: [],
    pageErrors: [],
    outsideRequests: [],
    failedRequests: [],
  };
  // Issue 16, finding 1: every task of 50 ms or more on the page's main thread, recorded from
  // the first script on (the Long Tasks API's own threshold is 50 ms).
  await page.addInitScript(() => {
    const tasks: { start: number; duration: number }[] = [];
    (globalThis as unknown as { __longTasks: typeof tasks }).__longTasks = tasks;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.consoleErrors.push(msg.text());
  });
  page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.failedRequests.push(`${res.url()}: HTTP ${res.status()}`);
  });
  page.on("requestfailed", (req) => {
    const reason = req.failure()?.errorText;
    // A compute worker cancelled while it still loads its modules (a newer run superseded it)
    // aborts those loads; a missing file shows as an HTTP status above, not as this.
    if (reason === "net::ERR_ABORTED" && req.resourceType() === "script") return;
    problems.failedRequests.push(`${req.url()}: ${reason}`);
  });
  // Anything not on the test server is blocked and recorded: the site must not need it.
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    const local =
      url.protocol === "data:" || url.protocol === "blob:" || url.hostname === "127.0.0.1";
    if (local) return route.continue();
    problems.outsideRequests.push(url.href);
    return route.abort("blockedbyclient");
  });
  return { page, problems, close: () => context.close() };
}

/** Waits until no demo or panel of the page is idle or running, and none failed. */
export async function settled(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    () =>
      ![...document.querySelectorAll<HTMLElement>("[data-state]")].some(
        (e) => e.dataset.state === "idle" || e.dataset.state === "running",
      ),
    undefined,
    { timeout },
  );
  const failed = await page.locator('[data-state="error"]').allTextContents();
  expect(failed, "a demo or panel reported an error").toEqual([]);
}

/** Fails on anything a page did wrong while open. */
export function expectClean(problems: PageProblems, where: string): void {
  expect(problems.pageErrors, `uncaught errors on ${where}`).toEqual([]);
  expect(problems.consoleErrors, `console errors on ${where}`).toEqual([]);
  expect(problems.outsideRequests, `requests outside the site from ${where}`).toEqual([]);
  expect(problems.failedRequests, `failed requests on ${where}`).toEqual([]);
}

/** A screenshot file name for a page path. */
export function shotName(path: string, suffix = ""): string {
  return `${path.replace(/\.html$/, "").replace(/\//g, "-")}${suffix}.png`;
}

/** The built site (dist/, made by global-setup.ts) served on 127.0.0.1, and the test browser. */
export interface Site {
  readonly server: StaticServer;
  readonly browser: Browser;
  close(): Promise<void>;
}

/** Serves dist/ and launches the browser; each test file starts one in `beforeAll`. */
export async function startSite(): Promise<Site> {
  const [server, browser] = await Promise.all([
    serveStatic(join(dirname(fileURLToPath(import.meta.url)), "..", "dist"), {
      headers: SITE_HEADERS,
    }),
    launchChromium(),
  ]);
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** A main-thread task longer than this makes the page feel frozen (RAIL's response budget). */
export const LONG_TASK_MS = 100;

/** The page's main-thread tasks of 50 ms or more so far (start and duration in ms). */
export function longTasks(page: Page): Promise<{ start: number; duration: number }[]> {
  return page.evaluate(
    () =>
      (globalThis as unknown as { __longTasks?: { start: number; duration: number }[] })
        .__longTasks ?? [],
  );
}

/** Fails if the page's main thread ever ran a task longer than LONG_TASK_MS. */
export async function expectResponsive(page: Page, where: string): Promise<void> {
  const tasks = await longTasks(page);
  const over = tasks.filter((t) => t.duration > LONG_TASK_MS).map((t) => Math.round(t.duration));
  expect(over, `main-thread tasks over ${LONG_TASK_MS} ms on ${where} (ms)`).toEqual([]);
}

/**
 * The site for one test file: started before its tests, closed after them. The returned object
 * reads through to the started site, so tests use `site.browser` and `site.server.url`.
 */
export function useSite(): Site {
  let started: Site | undefined;
  beforeAll(async () => {
    started = await startSite();
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): Site => {
    if (!started) throw new Error("the site is not started yet (use it inside a test)");
    return started;
  };
  return {
    get server() {
      return current().server;
    },
    get browser() {
      return current().browser;
    },
    close: () => current().close(),
  };
}
