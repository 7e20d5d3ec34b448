/**
 * What every page of the site does, whatever its demos: boxes that scroll sideways (code, wide
 * tables, display formulas on a phone) become keyboard-focusable regions, so that a reader
 * without a mouse can scroll them too (WCAG 2.1.1; axe-core's scrollable-region-focusable).
 * Only boxes that actually overflow get a tab stop, re-checked when the page resizes or a demo
 * adds a table.
 */
const SCROLL_BOXES = "pre, .eq, .table-wrap";

function label(box: HTMLElement): string {
  if (box.matches("pre")) return "code (scrolls sideways)";
  if (box.matches(".eq")) return "formula (scrolls sideways)";
  return "table (scrolls sideways)";
}

function update(): void {
  for (const box of document.querySelectorAll<HTMLElement>(SCROLL_BOXES)) {
    const scrolls =
      box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    const ours = box.dataset.scrollFocus !== undefined;
    if (scrolls && !ours && !box.hasAttribute("tabindex") && !box.hasAttribute("role")) {
      box.dataset.scrollFocus = "";
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", label(box));
    } else if (!scrolls && ours) {
      delete box.dataset.scrollFocus;
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      if (box.getAttribute("aria-label") === label(box)) box.removeAttribute("aria-label");
    }
  }
}

let queued = false;
function schedule(): void {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    update();
  });
}

new ResizeObserver(schedule).observe(document.documentElement);
new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
update();
