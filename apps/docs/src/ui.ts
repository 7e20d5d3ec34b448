/** Small DOM helpers and the controls every demo shares: backend picker, λ slider, seed. */
import { type BackendChoice, getBackend, listBackends, requestedBackend } from "./backends.js";

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`on*` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | ((event: Event) => void) | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

let ids = 0;
/** A document-unique id with a readable prefix. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A number for display: `digits` significant digits, no float noise. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

/** `count` values from `lo` to `hi`, evenly spaced in log. */
export function logGrid(lo: number, hi: number, count: number): number[] {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Array.from({ length: count }, (_, k) => 10 ** (a + ((b - a) * k) / (count - 1)));
}

/** Lets the browser paint (and the reader interact) before going on. */
export function nextFrame(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A labeled control row. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid("control");
  control.id = id;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("span", { class: "hint" }, hint) : null,
  );
}

/** A slider and a number input bound together, for one non-negative number. */
export interface NumberControl {
  readonly element: HTMLElement;
  readonly input: HTMLInputElement;
  value(): number;
  set(value: number): void;
}

/**
 * A slider with a number input beside it: the slider covers [min, max], the number box takes any
 * value ≥ min. `onChange` runs on every committed change (slider release or typing).
 */
export function numberControl(options: {
  label: string;
  name: string;
  min: number;
  max: number;
  step: number;
  value: number;
  onChange: (value: number) => void;
  hint?: string;
}): NumberControl {
  const { label, name, min, max, step } = options;
  const id = uid(name);
  const range = h("input", {
    type: "range",
    min,
    max,
    step,
    value: options.value,
    "aria-label": `${label} (slider)`,
    "data-testid": `${name}-range`,
  });
  const input = h("input", {
    id,
    type: "number",
    min,
    step: "any",
    value: options.value,
    inputmode: "decimal",
    "data-testid": `${name}-input`,
  });
  const read = (): number => {
    const v = Number(input.value);
    return Number.isFinite(v) && v >= min ? v : min;
  };
  range.addEventListener("input", () => {
    input.value = range.value;
  });
  range.addEventListener("change", () => {
    input.value = range.value;
    options.onChange(read());
  });
  input.addEventListener("change", () => {
    range.value = String(Math.min(max, Math.max(min, read())));
    options.onChange(read());
  });
  const element = h(
    "div",
    { class: "field field-number" },
    h("label", { for: id }, label),
    h("div", { class: "number-pair" }, range, input),
    options.hint ? h("span", { class: "hint" }, options.hint) : null,
  );
  return {
    element,
    input,
    value: read,
    set(value) {
      input.value = String(value);
      range.value = String(value);
    },
  };
}

/** The backend picker: a select of every backend, unavailable ones disabled with their reason. */
export interface BackendPicker {
  readonly element: HTMLElement;
  /** Resolves once the backends are listed. */
  readonly ready: Promise<BackendChoice[]>;
  /** The selected backend's name. */
  selected(): string;
}

export function backendPicker(onChange?: (name: string) => void): BackendPicker {
  const selectId = uid("backend");
  const select = h("select", { id: selectId, "data-testid": "backend", disabled: true });
  select.append(h("option", { value: "cpu" }, "cpu (listing backends…)"));
  const status = h("ul", { class: "backend-status", "data-testid": "backend-status" });
  const details = h(
    "details",
    { class: "backend-details" },
    h("summary", {}, "Backends in this browser"),
    status,
  );
  const element = h(
    "div",
    { class: "field field-backend" },
    h("label", { for: selectId }, "Backend"),
    select,
    details,
  );
  const ready = listBackends().then((choices) => {
    select.replaceChildren(
      ...choices.map((c) =>
        h(
          "option",
          { value: c.name, disabled: !c.available, title: c.reason },
          c.available ? `${c.name} (${c.precision})` : `${c.name} (unavailable)`,
        ),
      ),
    );
    status.replaceChildren(
      ...choices.map((c) =>
        h(
          "li",
          { "data-backend": c.name, "data-available": String(c.available) },
          h("strong", {}, c.name),
          c.available ? `: available, ${c.precision}` : `: unavailable: ${c.reason ?? "unknown"}`,
        ),
      ),
    );
    // Say up front why a backend is missing.
    details.open = choices.some((c) => !c.available);
    const wanted = requestedBackend();
    const pick = choices.find((c) => c.name === wanted && c.available) ?? choices[0];
    if (pick) select.value = pick.name;
    select.disabled = false;
    if (wanted && pick?.name !== wanted) {
      details.open = true;
      const c = choices.find((x) => x.name === wanted);
      status.prepend(
        h(
          "li",
          { class: "warning" },
          `Asked for ${wanted}, which is ${c ? `unavailable (${c.reason})` : "not a known backend"}; using ${pick?.name}.`,
        ),
      );
    }
    return choices;
  });
  select.addEventListener("change", () => onChange?.(select.value));
  return { element, ready, selected: () => select.value };
}

export { getBackend };

/** A status line that screen readers announce. */
export function statusLine(testid: string): HTMLElement {
  return h("p", { class: "status", role: "status", "aria-live": "polite", "data-testid": testid });
}

/** Renders a failure in a page: the message, and an error console entry for the tests to see. */
export function showError(target: HTMLElement, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  target.textContent = `Error: ${message}`;
  target.classList.add("error");
  console.error(error);
}
