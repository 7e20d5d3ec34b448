/** Mounts the chapter demo into every `[data-demo]` element, with its data-* settings. */
import type { Method } from "@wdecay/core";
import { mountChapterDemo } from "../demo.js";

for (const el of document.querySelectorAll<HTMLElement>("[data-demo]")) {
  mountChapterDemo(el, {
    lambda: Number(el.dataset.lambda ?? 3),
    method: (el.dataset.method === "concise" ? "concise" : "scratch") as Method,
    keepPrevious: el.dataset.keepPrevious !== undefined,
    ...(el.dataset.heading ? { heading: el.dataset.heading } : {}),
    ...(el.dataset.sequence ? { sequence: el.dataset.sequence.split(",").map(Number) } : {}),
  });
}
