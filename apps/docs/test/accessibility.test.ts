/**
 * Issue 16: every page of the site (and the API reference's index) passes axe-core without a
 * serious or critical violation, at a desktop and a phone size, after its demos have run; a
 * screenshot of each page at each size is kept with the test results.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { API_DIR, PAGES } from "../site.config.js";
import { expectClean, SHOTS, settled, shotName, useSite, watchedPage } from "./browser.js";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The sizes the site is read at: a laptop and a phone (CSS pixels). */
const SIZES = [
  { name: "desktop", width: 1280, height: 900 },
  { name: "phone", width: 390, height: 844 },
] as const;

/** Pages whose suite or training on load takes long (see e2e.test.ts). */
const SLOW: Record<string, number> = {
  "conformance.html": 240_000,
  "chapter/every-layer.html": 120_000,
};

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function axe(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const result = await (
      globalThis as unknown as {
        axe: { run(context: Document, options: object): Promise<{ violations: Violation[] }> };
      }
    ).axe.run(document, { resultTypes: ["violations"] });
    return result.violations;
  });
}

const site = useSite();

describe("accessibility", () => {
  for (const size of SIZES) {
    it(`every page passes axe-core at ${size.width}×${size.height}, no serious or critical violation`, async () => {
      const { page, problems, close } = await watchedPage(site.browser, size);
      const found: string[] = [];
      try {
        for (const path of [...PAGES.map((p) => p.path), `${API_DIR}/index.html`]) {
          await page.goto(site.server.url + path);
          if (!path.startsWith(API_DIR)) await settled(page, SLOW[path] ?? 60_000);
          const violations = await axe(page);
          for (const v of violations) {
            if (v.impact !== "serious" && v.impact !== "critical") continue;
            const where = v.nodes
              .slice(0, 3)
              .map((n) => n.target.join(" "))
              .join("; ");
            found.push(`${path}: ${v.id} (${v.impact}) ${v.help} at ${where}`);
          }
          await page.screenshot({
            path: join(SHOTS, shotName(path, `-${size.name}`)),
            fullPage: true,
          });
        }
        expect(found, "serious or critical axe-core violations").toEqual([]);
        expectClean(problems, `every page at ${size.name} size`);
      } finally {
        await close();
      }
    }, 900_000);
  }
});
