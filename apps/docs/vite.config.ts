import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig, type Plugin } from "vite";
import { BENCH_PATH, benchFigures } from "./bench-figures.js";
import { mnistPool } from "./mnist-pool.js";
import { API_DIR, OPTIONAL_BACKENDS, PAGES, type Page, SITE_HEADERS } from "./site.config.js";

const ROOT = dirname(fileURLToPath(import.meta.url));
const VIRTUAL_BACKENDS = "virtual:wdecay/optional-backends";
const VIRTUAL_MNIST = "virtual:wdecay/mnist-pool";
const VIRTUAL_BENCH = "virtual:wdecay/bench";

/**
 * The chapter this site teaches, in the edition whose §4.5 it follows (the current d2l.ai
 * numbers it §3.7); a link, never a request the pages make.
 */
const D2L_CHAPTER = "https://classic.d2l.ai/chapter_multilayer-perceptrons/weight-decay.html";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The header and navigation of a page, with links relative to it (the site works under any base). */
function navigation(current: Page): string {
  const depth = current.path.split("/").length - 1;
  const up = "../".repeat(depth);
  const sections = [...new Set(PAGES.map((p) => p.section))];
  const groups = sections.map((section) => {
    const links = PAGES.filter((p) => p.section === section && p.path !== "index.html").map((p) => {
      const here = p.path === current.path ? ' aria-current="page"' : "";
      return `<li><a href="${up}${p.path}"${here}>${escapeHtml(p.title)}</a></li>`;
    });
    if (section === "Guides") {
      links.push(`<li><a href="${up}${API_DIR}/index.html">API reference</a></li>`);
    }
    if (links.length === 0) return "";
    return `<li class="nav-group"><span class="nav-heading">${escapeHtml(section)}</span><ul>${links.join("")}</ul></li>`;
  });
  return `<a class="skip" href="#content">Skip to content</a>
<header class="site-header">
  <a class="brand" href="${up}index.html">wdecay</a>
  <span class="tagline">D2L §4.5 weight decay, live, on the backend you pick</span>
  <a class="d2l" href="${D2L_CHAPTER}" data-testid="d2l-link">§4.5 on d2l.ai</a>
</header>
<nav class="site-nav" aria-label="Site">
  <button type="button" class="nav-toggle" aria-expanded="false" aria-controls="site-nav-links">Menu</button>
  <ul id="site-nav-links">${groups.join("")}</ul>
</nav>
<script>${NAV_TOGGLE}</script>`;
}

/**
 * On a phone the full navigation (~550 px) pushed every page's heading off the first screen, so
 * at ≤ 600 px it folds behind a Menu button (style.css). Inline and synchronous, right after the
 * nav, so the page never paints unfolded; the class it adds is what folds it, so without
 * scripts the navigation simply stays open. Escape closes it and gives focus back to the button.
 */
const NAV_TOGGLE = `(() => {
  const nav = document.currentScript.previousElementSibling;
  const button = nav.querySelector(".nav-toggle");
  nav.classList.add("foldable");
  const set = (open) => {
    nav.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", () => set(!nav.classList.contains("open")));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      set(false);
      button.focus();
    }
  });
})();`;

/**
 * Previous and next page in the navigation's order, at the end of the page's main content, so
 * that a reader can go through the site as a book.
 */
function pager(current: Page): string {
  const up = "../".repeat(current.path.split("/").length - 1);
  const at = PAGES.findIndex((p) => p.path === current.path);
  const link = (p: Page | undefined, rel: "prev" | "next") =>
    p === undefined
      ? ""
      : `<a rel="${rel}" href="${up}${p.path}">${rel === "prev" ? "← " : ""}${escapeHtml(p.title)}${rel === "next" ? " →" : ""}</a>`;
  return `<nav class="pager" aria-label="Previous and next page" data-testid="pager">${link(PAGES[at - 1], "prev")}${link(PAGES[at + 1], "next")}</nav>`;
}

/**
 * Links into the API reference are written `<a href="api:@wdecay/core.train">`: here they get
 * the API index as a fallback href, relative to the page, and the name as `data-api`;
 * typedoc/site-plugin.mjs, which runs after this build, points each at its symbol's own page and
 * fails on a name it has no page for.
 */
function apiLinks(html: string, current: Page): string {
  const up = "../".repeat(current.path.split("/").length - 1);
  return html.replace(
    /<a href="api:([^"]+)">/g,
    (_, name: string) => `<a href="${up}${API_DIR}/index.html" data-api="${name}">`,
  );
}

/** Wraps every page in the site's layout: viewport, stylesheet, no favicon request, navigation. */
function layout(): Plugin {
  return {
    name: "wdecay-docs-layout",
    transformIndexHtml: {
      order: "pre",
      handler(html, ctx) {
        const path = relative(ROOT, ctx.filename).split("\\").join("/");
        const page = PAGES.find((p) => p.path === path);
        if (!page) throw new Error(`${path} is not listed in site.config.ts`);
        const title = page.path === "index.html" ? "wdecay" : `${page.title} · wdecay`;
        return apiLinks(html, page)
          .replace(
            "<head>",
            `<head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="data:," />
    <title>${escapeHtml(title)}</title>
    <link rel="stylesheet" href="/src/style.css" />
    <script type="module" src="/src/site.ts"></script>`,
          )
          .replace(/<body>/, `<body>\n${navigation(page)}`)
          .replace(/<\/main>/, `${pager(page)}\n</main>`);
      },
    },
  };
}

/** tfjs-backend-wasm's binaries, which the wasm backend fetches in browsers. */
const TFJS_WASM_FILES = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
];

/**
 * The wasm backend's loader: in a browser, tfjs-backend-wasm fetches its .wasm binaries from
 * URLs it is given (`tfjsWasmPaths`), so the site bundles them as assets and registers `wasm`
 * again with their URLs, at the priority its register entry uses.
 */
function wasmLoader(registerPath: string, module: string, imports: string[]): string {
  const require = createRequire(registerPath);
  const dir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  const paths = TFJS_WASM_FILES.map((file, k) => {
    imports.push(`import tfjsWasm${k} from ${JSON.stringify(`${join(dir, "dist", file)}?url`)};`);
    // The page or the compute worker: `location` is the document's or the worker script's.
    return `${JSON.stringify(file)}: new URL(tfjsWasm${k}, globalThis.location.href).href`;
  });
  // `module` is a quoted specifier: "@wdecay/backend-wasm/register" → "@wdecay/backend-wasm".
  const main = module.replace(/\/register"$/, '"');
  return `async () => {
    const [registered, wasm, core] = await Promise.all([import(${module}), import(${main}), import("@wdecay/core")]);
    const tfjsWasmPaths = { ${paths.join(", ")} };
    core.registerBackend("wasm", () => wasm.createWasmBackend({ tfjsWasmPaths }), registered.WASM_PRIORITY);
  }`;
}

/**
 * `virtual:wdecay/optional-backends`: one loader per entry of OPTIONAL_BACKENDS. A backend whose
 * package has no register module yet gets a loader that rejects with the reason, so the site
 * still builds and the picker says why the backend is missing.
 */
function optionalBackends(): Plugin {
  return {
    name: "wdecay-optional-backends",
    resolveId(id) {
      return id === VIRTUAL_BACKENDS ? `\0${VIRTUAL_BACKENDS}` : undefined;
    },
    async load(id) {
      if (id !== `\0${VIRTUAL_BACKENDS}`) return undefined;
      const entries: string[] = [];
      const imports: string[] = [];
      for (const backend of OPTIONAL_BACKENDS) {
        let found = false;
        let resolvedId: string | undefined;
        try {
          const resolved = await this.resolve(backend.module, join(ROOT, "src", "backends.ts"));
          resolvedId = resolved?.id.split("?")[0];
          found = resolvedId !== undefined && existsSync(resolvedId);
        } catch {
          found = false;
        }
        const name = JSON.stringify(backend.name);
        const module = JSON.stringify(backend.module);
        let load: string;
        if (!found || resolvedId === undefined) {
          load = `() => Promise.reject(new Error(${JSON.stringify(
            `${backend.module} is not part of this build of the site (the package has no register entry yet)`,
          )}))`;
        } else if (backend.name === "wasm") {
          load = wasmLoader(resolvedId, module, imports);
        } else {
          load = `() => import(${module})`;
        }
        entries.push(`{ name: ${name}, module: ${module}, load: ${load} }`);
      }
      return `${imports.join("\n")}\nexport const optionalBackends = [\n${entries.join(",\n")}\n];\n`;
    },
  };
}

/** `virtual:wdecay/mnist-pool`: the images of mnist-pool.ts, inlined for the page that uses them. */
function mnistPoolModule(): Plugin {
  return {
    name: "wdecay-mnist-pool",
    resolveId(id) {
      return id === VIRTUAL_MNIST ? `\0${VIRTUAL_MNIST}` : undefined;
    },
    load(id) {
      if (id !== `\0${VIRTUAL_MNIST}`) return undefined;
      return `export const pool = ${JSON.stringify(mnistPool())};\n`;
    },
  };
}

/**
 * `virtual:wdecay/bench`: BENCH.md's figures for the performance page (bench-figures.ts), read
 * when the page is built; a BENCH.md without them fails the build with what is missing.
 */
function benchModule(): Plugin {
  return {
    name: "wdecay-bench",
    resolveId(id) {
      return id === VIRTUAL_BENCH ? `\0${VIRTUAL_BENCH}` : undefined;
    },
    load(id) {
      if (id !== `\0${VIRTUAL_BENCH}`) return undefined;
      // Rebuilt in `vite dev` when the file changes.
      this.addWatchFile(BENCH_PATH);
      return `export const figures = ${JSON.stringify(benchFigures())};\n`;
    },
  };
}

export default defineConfig({
  base: "./",
  appType: "mpa",
  publicDir: false,
  plugins: [layout(), optionalBackends(), mnistPoolModule(), benchModule()],
  // The compute worker (src/work/worker.ts) imports the backends and the digits as the pages did.
  worker: { format: "es", plugins: () => [optionalBackends(), mnistPoolModule()] },
  resolve: { conditions: ["@wdecay/source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      input: Object.fromEntries(
        PAGES.map((p) => [p.path.replace(/\.html$/, ""), join(ROOT, p.path)]),
      ),
    },
  },
  server: { headers: SITE_HEADERS },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true, headers: SITE_HEADERS },
});
