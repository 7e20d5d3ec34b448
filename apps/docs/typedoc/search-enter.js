/**
 * Enter in the API reference's search goes to a result (typedoc.json `customJs`).
 *
 * typedoc 0.28's search follows the highlighted result on Enter, but nothing is highlighted
 * until the reader presses an arrow key, so Enter after typing a name did nothing. Here Enter
 * with nothing highlighted takes the first result; if the results are not yet those of what was
 * typed (typedoc waits 200 ms after the last key, and for its index to load), Enter takes the
 * first of them once they are. A highlighted result is left to typedoc.
 */
(() => {
  const field = document.getElementById("tsd-search-input");
  const results = document.getElementById("tsd-search-results");
  if (!(field instanceof HTMLInputElement) || !results) return;

  /** The query the shown results are for: the field's value when typedoc last wrote them. */
  let shownFor = null;
  /** A pending Enter: follow the first result once the results match this query. */
  let waiting = null;

  function first() {
    return results.querySelector('li[role="option"]');
  }

  function highlight(option) {
    option.setAttribute("aria-selected", "true");
    field.setAttribute("aria-activedescendant", option.id);
  }

  function follow() {
    const option = first();
    if (!option) return;
    highlight(option);
    option.querySelector("a")?.click();
  }

  new MutationObserver(() => {
    shownFor = field.value.trim();
    if (waiting !== null && waiting.query === shownFor) {
      clearTimeout(waiting.timer);
      waiting = null;
      follow();
    }
  }).observe(results, { childList: true });

  // Capture phase on the document: before typedoc's own listener on the field.
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.target !== field || event.key !== "Enter" || event.isComposing) return;
      if (event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return;
      const active = field.getAttribute("aria-activedescendant");
      if (active && document.getElementById(active)) return;
      const query = field.value.trim();
      if (query === "") return;
      const option = first();
      if (option && shownFor === query) {
        // typedoc's listener, next, follows the highlighted result.
        highlight(option);
        return;
      }
      event.preventDefault();
      if (waiting !== null) clearTimeout(waiting.timer);
      // typedoc may show nothing new (no results, or the index failed to load): stop waiting.
      waiting = { query, timer: setTimeout(() => (waiting = null), 5000) };
    },
    true,
  );
})();
