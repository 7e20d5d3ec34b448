/** Small DOM helpers and the controls every demo shares: backend picker, λ slider, seed. */
import type { BackendChoice } from "./backends.js";
import { Runner } from "./work/runner.js";

let listing: Promise<BackendChoice[]> | undefined;

/** ", on 2 threads" where it computes on more than one, or why it computes on one. */
function threadsText(c: BackendChoice): string {
  if (c.threadsNote !== undefined) return `, on one thread (${c.threadsNote})`;
  return c.threads !== undefined && c.threads > 1 ? `, on ${c.threads} threads` : "";
}

/**
 * Every backend the site knows, as the compute worker sees it: the worker is where they train,
 * and starting them there keeps their compilation off the page's main thread (cached).
 */
export function listBackends(): Promise<BackendChoice[]> {
  listing ??= (async () => {
    const runner = new Runner();
    try {
      return await runner.run("listBackends", {});
    } finally {
      runner.dispose();
    }
  })();
  return listing;
}

/** The backend named by the page's `?backend=` parameter, if any. */
function requestedBackend(): string | null {
  return urlParam("backend");
}

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

/**
 * The page's settings in its URL: a control bound with `persist` takes its value from the query
 * parameter of its name on load and writes it back on every change, so the address bar always
 * reproduces what is on screen (replaceState: no history entry per slider move).
 */
export function urlParam(name: string): string | null {
  return new URLSearchParams(globalThis.location?.search ?? "").get(name);
}

export function writeUrlParam(name: string, value: string): void {
  const url = new URL(location.href);
  url.searchParams.set(name, value);
  history.replaceState(history.state, "", url);
}

/** Binds a select or input to the URL parameter `name` (see urlParam). */
function persist(name: string, control: HTMLInputElement | HTMLSelectElement): void {
  const given = urlParam(name);
  if (given !== null) {
    if (control instanceof HTMLSelectElement) {
      // An unknown option is ignored (the default stays), never shown as something else.
      if ([...control.options].some((o) => o.value === given)) control.value = given;
    } else {
      control.value = given;
    }
  }
  control.addEventListener("change", () => writeUrlParam(name, control.value));
}

/** A select bound to the URL, with its label. */
export function selectControl(options: {
  label: string;
  name: string;
  options: readonly (readonly [value: string, text: string])[];
  value: string;
  onChange?: (value: string) => void;
  hint?: string;
}): { readonly element: HTMLElement; readonly select: HTMLSelectElement; value(): string } {
  const select = h(
    "select",
    { "data-testid": options.name },
    ...options.options.map(([value, text]) => h("option", { value }, text)),
  );
  select.value = options.value;
  persist(options.name, select);
  select.addEventListener("change", () => options.onChange?.(select.value));
  return {
    element: field(options.label, select, options.hint),
    select,
    value: () => select.value,
  };
}

/** Input a page will not run: shown as such (the panel's state `invalid`), not as a failure. */
export class InvalidInput extends Error {
  override name = "InvalidInput";
}

/** The control's value, or an InvalidInput error naming what is wrong with it. */
export function required(control: NumberControl): number {
  const v = control.value();
  if (v === undefined) throw new InvalidInput(control.error());
  return v;
}

/** A number input (with a slider beside it when it has a range), for one number ≥ min. */
export interface NumberControl {
  readonly element: HTMLElement;
  readonly input: HTMLInputElement;
  /** The value, or undefined while the box holds something that is not a valid value. */
  value(): number | undefined;
  /** Why the box's content is not valid (empty when it is). */
  error(): string;
  /** Sets the value (and the URL, unless `persist: false`). */
  set(value: number, options?: { persist?: boolean }): void;
}

/**
 * A number box, plus a slider over [min, max] when `max` is given; the box takes any valid value.
 * Invalid content (not a number, below min, not an integer where one is needed) is marked
 * (aria-invalid, a message under the box) and `value()` is undefined: a page never runs a value
 * other than the one shown. `onChange` runs on every committed change (slider release, typing
 * committed), `onInput` while the slider moves. The value lives in the URL under `name`.
 */
export function numberControl(options: {
  label: string;
  name: string;
  min: number;
  max?: number;
  step?: number;
  value: number;
  integer?: boolean;
  /** The value must be greater than `min`, not equal to it (a standard deviation, say). */
  exclusiveMin?: boolean;
  /** Also for controls of a panel, which reruns on any change by itself (addControl). */
  onChange?: (value: number) => void;
  onInput?: (value: number) => void;
  hint?: string;
}): NumberControl {
  const { label, name, min, max } = options;
  const id = uid(name);
  const messageId = uid(`${name}-error`);
  const input = h("input", {
    id,
    type: "number",
    min,
    step: options.integer ? 1 : "any",
    value: options.value,
    inputmode: options.integer ? "numeric" : "decimal",
    "aria-describedby": messageId,
    "data-testid": `${name}-input`,
  });
  const message = h("span", {
    class: "field-error",
    id: messageId,
    "data-testid": `${name}-error`,
  });
  const range =
    max === undefined
      ? undefined
      : h("input", {
          type: "range",
          min,
          max,
          step: options.step ?? "any",
          value: options.value,
          "aria-label": `${label} (slider)`,
          "data-testid": `${name}-range`,
        });
  const error = (): string => {
    const text = input.value.trim();
    const v = Number(text);
    if (text === "" || !Number.isFinite(v)) return `${label} must be a number`;
    if (options.exclusiveMin && v <= min) return `${label} must be greater than ${min}`;
    if (v < min) return `${label} must be at least ${min}`;
    if (options.integer && !Number.isSafeInteger(v)) return `${label} must be a whole number`;
    return "";
  };
  const value = (): number | undefined => (error() ? undefined : Number(input.value));
  const check = () => {
    const problem = error();
    input.setAttribute("aria-invalid", String(problem !== ""));
    message.textContent = problem;
    return problem === "";
  };
  const given = urlParam(name);
  if (given !== null) input.value = given;
  if (range && check()) range.value = input.value;
  check();
  const commit = () => {
    writeUrlParam(name, input.value);
    const v = value();
    // Invalid input still reaches onChange's caller through value() === undefined, so a page
    // can say it did not run; the call itself carries the last valid number.
    options.onChange?.(v ?? Number.NaN);
  };
  range?.addEventListener("input", () => {
    input.value = range.value;
    check();
    options.onInput?.(Number(range.value));
  });
  range?.addEventListener("change", () => {
    input.value = range.value;
    check();
    commit();
  });
  input.addEventListener("input", check);
  input.addEventListener("change", () => {
    const v = check() ? Number(input.value) : undefined;
    if (range && v !== undefined) range.value = String(Math.min(max as number, v));
    commit();
  });
  const element = h(
    "div",
    { class: `field field-number${range ? "" : " field-number-only"}` },
    h("label", { for: id }, label),
    range ? h("div", { class: "number-pair" }, range, input) : input,
    options.hint ? h("span", { class: "hint" }, options.hint) : null,
    message,
  );
  return {
    element,
    input,
    value,
    error,
    set(v, setOptions) {
      input.value = String(v);
      if (range) range.value = String(v);
      check();
      if (setOptions?.persist !== false) writeUrlParam(name, input.value);
    },
  };
}

/** The seed the tests and the CLI use by default. */
export const DEFAULT_SEED = 42;

/** The seed of a page's data, initial weights and minibatch order. */
export function seedControl(onChange?: () => void): NumberControl {
  return numberControl({
    label: "Seed",
    name: "seed",
    min: 0,
    value: DEFAULT_SEED,
    integer: true,
    ...(onChange ? { onChange } : {}),
    hint: "data, initial weights and minibatch order",
  });
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
          {
            "data-backend": c.name,
            "data-available": String(c.available),
            ...(c.threads !== undefined ? { "data-threads": String(c.threads) } : {}),
          },
          h("strong", {}, c.name),
          c.available
            ? `: available, ${c.precision}${threadsText(c)}`
            : `: unavailable: ${c.reason ?? "unknown"}`,
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
  select.addEventListener("change", () => {
    writeUrlParam("backend", select.value);
    onChange?.(select.value);
  });
  return { element, ready, selected: () => select.value };
}

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
