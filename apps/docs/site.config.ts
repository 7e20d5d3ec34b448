/**
 * The site's pages and optional backends, read by vite.config.ts (inputs, navigation) and by
 * the end-to-end tests (every page must load cleanly).
 */

/** One HTML page of the site. */
export interface Page {
  /** Path of the HTML file from the site root (and its URL path). */
  readonly path: string;
  /** Title in the navigation and the document title. */
  readonly title: string;
  readonly section: "Start" | "Chapter §4.5" | "Exercises" | "Backends" | "Guides";
  /** Saved as a screenshot by the end-to-end tests. */
  readonly screenshot?: boolean;
}

export const PAGES: readonly Page[] = [
  { path: "index.html", title: "wdecay", section: "Start", screenshot: true },
  {
    path: "chapter/norms.html",
    title: "Norms and weight decay",
    section: "Chapter §4.5",
    screenshot: true,
  },
  {
    path: "chapter/high-dimensional.html",
    title: "High-dimensional linear regression",
    section: "Chapter §4.5",
    screenshot: true,
  },
  {
    path: "chapter/scratch.html",
    title: "Implementation from scratch",
    section: "Chapter §4.5",
    screenshot: true,
  },
  {
    path: "chapter/concise.html",
    title: "Concise implementation",
    section: "Chapter §4.5",
    screenshot: true,
  },
  {
    path: "chapter/every-layer.html",
    title: "Weight decay on every layer",
    section: "Chapter §4.5",
    screenshot: true,
  },
  {
    path: "exercises/lambda-sweep.html",
    title: "λ sweep",
    section: "Exercises",
    screenshot: true,
  },
  {
    path: "exercises/selection.html",
    title: "Choosing λ by validation",
    section: "Exercises",
    screenshot: true,
  },
  { path: "exercises/l1-l2.html", title: "L1 against L2", section: "Exercises", screenshot: true },
  {
    path: "exercises/frobenius.html",
    title: "The Frobenius norm",
    section: "Exercises",
    screenshot: true,
  },
  {
    path: "exercises/overfitting.html",
    title: "Other ways to fight overfitting",
    section: "Exercises",
    screenshot: true,
  },
  {
    path: "exercises/bayes.html",
    title: "The Bayesian reading",
    section: "Exercises",
    screenshot: true,
  },
  { path: "conformance.html", title: "Conformance", section: "Backends", screenshot: true },
  { path: "performance.html", title: "Performance", section: "Backends", screenshot: true },
  { path: "guides/quick-start.html", title: "Quick start", section: "Guides" },
  { path: "guides/choosing-a-backend.html", title: "Choosing a backend", section: "Guides" },
  { path: "guides/writing-a-backend.html", title: "Writing a backend", section: "Guides" },
  { path: "guides/lambda-conventions.html", title: "λ conventions", section: "Guides" },
];

/** Where typedoc writes the API reference, inside the built site. */
export const API_DIR = "api";

/**
 * The headers the site is served with: cross-origin isolation, without which a browser gives a
 * page no `SharedArrayBuffer` and the wasm backend no threads. (The site loads nothing from
 * other origins, so `require-corp` blocks nothing.) A host that cannot set headers serves the
 * site on one thread, and the backend list says why.
 */
export const SITE_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/**
 * Backends beyond cpu and cpu-f32 (which are always built in): the name each registers under,
 * and the module whose import registers it. The site lists each one in the backend picker; if its
 * package has no `register` entry yet, the build says so instead of failing. Adding a backend to
 * the site is one line here.
 */
export const OPTIONAL_BACKENDS: readonly { readonly name: string; readonly module: string }[] = [
  { name: "wasm", module: "@wdecay/backend-wasm/register" },
  { name: "webgpu", module: "@wdecay/backend-webgpu/register" },
];
