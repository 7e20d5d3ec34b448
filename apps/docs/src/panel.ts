/**
 * The frame of an interactive exercise: heading, controls, a run button, a Cancel button and a
 * progress bar while it runs, status, results. The heavy part of each run goes to the panel's
 * compute worker (`panel.runner`), so the page stays responsive and Cancel stops it at once.
 */
import { h, InvalidInput, showError, statusLine, uid } from "./ui.js";
import { isCancel, Runner } from "./work/runner.js";

export interface Panel {
  readonly section: HTMLElement;
  readonly controls: HTMLElement;
  readonly results: HTMLElement;
  readonly status: HTMLElement;
  readonly button: HTMLButtonElement;
  /** The panel's compute worker; a new run cancels the one before. */
  readonly runner: Runner;
  /** Runs the work now (as the button does); a run in progress is cancelled first. */
  run(): Promise<void>;
  /** Shows how far the run is (fraction done in [0, 1]) and what it is doing. */
  progress(fraction: number, text?: string): void;
}

/**
 * Mounts a panel into `root` whose button (and `run()` on load) calls `work`; the section's
 * `data-state` is `running`, `done`, `cancelled`, `invalid` (input it will not run) or `error`, which the end-to-end tests wait on.
 * `work` returns the summary shown in the status line.
 */
export function mountPanel(
  root: HTMLElement,
  options: { heading: string; testid: string; buttonLabel?: string },
  work: (panel: Panel) => Promise<string>,
): Panel {
  const headingId = uid("panel-heading");
  const section = h("section", {
    class: "panel",
    "aria-labelledby": headingId,
    "data-testid": options.testid,
    "data-state": "idle",
  });
  const controls = h("div", { class: "controls" });
  const button = h(
    "button",
    { type: "button", "data-testid": "run" },
    options.buttonLabel ?? "Run",
  );
  const cancel = h(
    "button",
    { type: "button", class: "cancel", "data-testid": "cancel", hidden: true },
    "Cancel",
  );
  const bar = h("progress", {
    max: 1,
    value: 0,
    hidden: true,
    "aria-label": `${options.heading}: progress`,
    "data-testid": "progress",
  });
  const results = h("div", { class: "results" });
  const status = statusLine(`${options.testid}-status`);
  section.append(
    h("h2", { id: headingId }, options.heading),
    controls,
    h("div", { class: "run-state" }, bar, status),
    results,
  );
  controls.append(h("div", { class: "field field-button" }, button, cancel));
  root.append(section);
  const runner = new Runner();
  let generation = 0;
  const finish = () => {
    bar.hidden = true;
    cancel.hidden = true;
  };
  const run = async () => {
    runner.cancel("superseded by a newer run");
    const mine = ++generation;
    section.dataset.state = "running";
    results.setAttribute("aria-busy", "true");
    status.classList.remove("error");
    status.textContent = "Running…";
    bar.removeAttribute("value");
    bar.hidden = false;
    cancel.hidden = false;
    const started = performance.now();
    try {
      const summary = await work(panel);
      if (mine !== generation) return;
      status.textContent = `${summary} (${Math.round(performance.now() - started)} ms)`;
      section.dataset.state = "done";
      // How many runs finished, for a reader's tools (and the tests) to tell runs apart.
      section.dataset.runs = String(Number(section.dataset.runs ?? 0) + 1);
    } catch (error) {
      if (mine !== generation) return;
      if (isCancel(error)) {
        status.textContent = "Cancelled; the results shown are from the last finished run.";
        section.dataset.state = "cancelled";
      } else if (error instanceof InvalidInput) {
        status.textContent = `Not run: ${error.message}.`;
        status.classList.add("error");
        section.dataset.state = "invalid";
      } else {
        section.dataset.state = "error";
        showError(status, error);
      }
    } finally {
      if (mine === generation) {
        finish();
        results.removeAttribute("aria-busy");
      }
    }
  };
  const panel: Panel = {
    section,
    controls,
    results,
    status,
    button,
    runner,
    run,
    progress(fraction, text) {
      bar.value = Math.min(1, Math.max(0, fraction));
      if (text) status.textContent = text;
    },
  };
  button.addEventListener("click", () => void run());
  cancel.addEventListener("click", () => runner.cancel("cancelled by the reader"));
  return panel;
}

/** Slider moves closer together than this rerun a panel once, for the last position. */
export const SLIDER_DEBOUNCE_MS = 200;

/**
 * Adds a control before the run button. The site's one interaction model: a committed change
 * to any control reruns its panel (the run before is cancelled), a slider reruns while it moves
 * (debounced), the button reruns with the same settings, Cancel stops. `rerun: false` is for a
 * panel whose run is too long to start on every change (the conformance suite).
 */
export function addControl(
  panel: Panel,
  control: HTMLElement,
  options?: { rerun?: boolean },
): void {
  panel.controls.insertBefore(control, panel.controls.lastElementChild);
  if (options?.rerun === false) return;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  control.addEventListener("change", () => {
    clearTimeout(debounce);
    void panel.run();
  });
  control.addEventListener("input", (event) => {
    if ((event.target as HTMLInputElement).type !== "range") return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void panel.run(), SLIDER_DEBOUNCE_MS);
  });
}
