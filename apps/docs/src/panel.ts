/** The frame of an interactive exercise: heading, controls, a run button, status, results. */
import { h, showError, statusLine, uid } from "./ui.js";

export interface Panel {
  readonly section: HTMLElement;
  readonly controls: HTMLElement;
  readonly results: HTMLElement;
  readonly status: HTMLElement;
  readonly button: HTMLButtonElement;
  /** Runs the work now (as the button does). */
  run(): Promise<void>;
}

/**
 * Mounts a panel into `root` whose button (and `run()` on load) calls `work`; the section's
 * `data-state` is `running`, `done` or `error`, which the end-to-end tests wait on.
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
  const results = h("div", { class: "results" });
  const status = statusLine(`${options.testid}-status`);
  section.append(h("h2", { id: headingId }, options.heading), controls, status, results);
  controls.append(h("div", { class: "field field-button" }, button));
  root.append(section);
  let busy = false;
  const run = async () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    section.dataset.state = "running";
    status.classList.remove("error");
    status.textContent = "Running…";
    const started = performance.now();
    try {
      const summary = await work(panel);
      status.textContent = `${summary} (${Math.round(performance.now() - started)} ms)`;
      section.dataset.state = "done";
    } catch (error) {
      section.dataset.state = "error";
      showError(status, error);
    } finally {
      busy = false;
      button.disabled = false;
    }
  };
  const panel: Panel = { section, controls, results, status, button, run };
  button.addEventListener("click", () => void run());
  return panel;
}

/** Adds a control before the run button. */
export function addControl(panel: Panel, control: HTMLElement): void {
  panel.controls.insertBefore(control, panel.controls.lastElementChild);
}
