/**
 * The tests' headless Chromium (npm's, through @wdecay/test-browser; `CHROMIUM_PATH` for
 * another) driven by playwright-core, with every request outside 127.0.0.1 recorded.
 */
import type { Browser, Page } from "playwright-core";

export { launchChromium as launch } from "@wdecay/test-browser";

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
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.consoleErrors.push(msg.text());
  });
  page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.failedRequests.push(`${res.url()}: HTTP ${res.status()}`);
  });
  page.on("requestfailed", (req) =>
    problems.failedRequests.push(`${req.url()}: ${req.failure()?.errorText}`),
  );
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
