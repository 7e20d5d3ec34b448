/**
 * Before the end-to-end tests: unpacks the test browser (npm's Chromium, once) and builds the
 * site once: the Vite pages, then the typedoc API reference into dist/api, as `pnpm --filter
 * docs build` does. Set DOCS_SKIP_BUILD=1 to test an existing dist/ (after a manual build).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareTestBrowser } from "@wdecay/test-browser";
import { Application } from "typedoc";
import { build } from "vite";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export default async function setup(): Promise<void> {
  await prepareTestBrowser();
  if (process.env.DOCS_SKIP_BUILD === "1" && existsSync(join(ROOT, "dist", "index.html"))) return;
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    await build({ root: ROOT, configFile: join(ROOT, "vite.config.ts"), logLevel: "warn" });
    const app = await Application.bootstrapWithPlugins({ options: join(ROOT, "typedoc.json") });
    const project = await app.convert();
    if (!project) throw new Error("typedoc could not convert the packages");
    await app.generateDocs(project, app.options.getValue("out"));
    // typedoc logs a failed render (a plugin's error included) instead of throwing.
    if (app.logger.hasErrors()) throw new Error("typedoc reported errors; see the log above");
  } finally {
    process.chdir(cwd);
  }
}
