/**
 * A typedoc plugin (typedoc.json `plugin`) that joins the API reference to the site around it:
 *
 * - every API page starts with a bar that links back to the site (typedoc's `navigationLinks`
 *   are written verbatim on every page, so a relative link back would be wrong on all pages but
 *   one; the `body.begin` hook gets each page's own relative URL);
 * - the site's pages name functions and types with `<a href="api:@wdecay/core.train">`, which
 *   vite.config.ts turns into `<a href="…/api/index.html" data-api="@wdecay/core.train">`; once
 *   typedoc has written its pages, each such link gets the relative URL of that symbol's own
 *   page, and a name with no page fails the build, so a renamed or removed export cannot leave
 *   a dead link behind;
 * - the permalink icon typedoc puts in the headings of its collapsible sections is dropped there:
 *   a link inside a `<summary>` is a control nested in a control, which keyboards and screen
 *   readers cannot reach on its own (axe-core's nested-interactive, serious); the heading keeps
 *   its id, so a link to the section still works.
 *
 * It is plain JavaScript because typedoc imports plugins with Node's own loader. The site's
 * pages must be built first (`vite build && typedoc`, as package.json and test/global-setup.ts
 * run them), into the folder that holds typedoc's `out`.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { JSX, PageEvent, RendererEvent } from "typedoc";

/** `<a … data-api="name" …>` with its attributes, in the HTML Vite writes. */
const API_LINK = /<a\b([^>]*?)\sdata-api="([^"]+)"([^>]*)>/g;

/** Every .html file under `dir`, except those under `skip`. */
function htmlFiles(dir, skip) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === skip) continue;
    if (statSync(path).isDirectory()) out.push(...htmlFiles(path, skip));
    else if (name.endsWith(".html")) out.push(path);
  }
  return out;
}

/**
 * Points every `data-api` link of the site's pages at its symbol's page; returns the names that
 * have none.
 * @param {string} apiDir typedoc's output folder
 * @param {Map<string, string>} pages full name of a symbol → its page, relative to `apiDir`
 */
export function resolveSiteLinks(apiDir, pages) {
  const siteDir = dirname(apiDir);
  const missing = [];
  let resolved = 0;
  for (const file of htmlFiles(siteDir, apiDir)) {
    const html = readFileSync(file, "utf8");
    const out = html.replace(API_LINK, (_, before, name, after) => {
      const page = pages.get(name);
      if (page === undefined) {
        missing.push(`${relative(siteDir, file)}: ${name}`);
        return `<a${before} data-api="${name}"${after}>`;
      }
      resolved++;
      const href = relative(dirname(file), join(apiDir, page)).split(sep).join("/");
      // The layout's fallback href (the API index) is replaced, whatever attribute order.
      const rest = `${before}${after}`.replace(/\shref="[^"]*"/, "");
      return `<a href="${href}"${rest} data-api="${name}">`;
    });
    if (out !== html) writeFileSync(file, out);
  }
  return { missing, resolved };
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.renderer.hooks.on("body.begin", (context) =>
    JSX.createElement(
      "nav",
      { class: "wdecay-site-bar", "aria-label": "wdecay site" },
      JSX.createElement(
        "a",
        { href: context.relativeURL("../index.html"), "data-testid": "site-link" },
        "← wdecay: the site",
      ),
      JSX.createElement(
        "a",
        { href: context.relativeURL("../guides/quick-start.html") },
        "Quick start",
      ),
      JSX.createElement(
        "a",
        { href: context.relativeURL("../guides/choosing-a-backend.html") },
        "Choosing a backend",
      ),
    ),
  );

  app.renderer.on(PageEvent.END, (page) => {
    page.contents = page.contents?.replace(/<summary\b[\s\S]*?<\/summary>/g, (summary) =>
      summary.replace(/<a\b[^>]*\bclass="tsd-anchor-icon"[^>]*>[\s\S]*?<\/a>/g, ""),
    );
  });

  app.renderer.on(RendererEvent.END, (event) => {
    const apiDir = event.outputDirectory;
    if (!existsSync(join(dirname(apiDir), "index.html"))) {
      app.logger.warn(`wdecay: no site pages beside ${apiDir}; run vite build first to link them`);
      return;
    }
    /** @type {Map<string, string>} */
    const pages = new Map();
    for (const page of event.pages) pages.set(page.model.getFullName(), page.url);
    const { missing, resolved } = resolveSiteLinks(apiDir, pages);
    if (missing.length > 0) {
      throw new Error(
        `wdecay: the site links to API symbols that have no page in ${apiDir}:\n  ${missing.join("\n  ")}`,
      );
    }
    app.logger.info(`wdecay: ${resolved} links from the site's pages into the API reference`);
  });
}
