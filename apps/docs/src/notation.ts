/**
 * Notation as plain text, for the places that take no markup (chart legends and tooltips, which
 * Chart.js draws on a canvas, and accessible labels): Unicode subscripts and superscripts.
 */

const SUBSCRIPTS: Record<string, string> = {
  "0": "₀",
  "1": "₁",
  "2": "₂",
  "3": "₃",
  "4": "₄",
  "5": "₅",
  "6": "₆",
  "7": "₇",
  "8": "₈",
  "9": "₉",
  "+": "₊",
  "-": "₋",
  "−": "₋",
  a: "ₐ",
  e: "ₑ",
  h: "ₕ",
  i: "ᵢ",
  j: "ⱼ",
  k: "ₖ",
  l: "ₗ",
  m: "ₘ",
  n: "ₙ",
  o: "ₒ",
  p: "ₚ",
  r: "ᵣ",
  s: "ₛ",
  t: "ₜ",
  u: "ᵤ",
  v: "ᵥ",
  x: "ₓ",
};

const SUPERSCRIPTS: Record<string, string> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "+": "⁺",
  "-": "⁻",
  "−": "⁻",
};

function mapChars(text: string, table: Record<string, string>, what: string): string {
  return [...String(text)]
    .map((c) => {
      const mapped = table[c];
      if (mapped === undefined) throw new RangeError(`no Unicode ${what} for "${c}" in "${text}"`);
      return mapped;
    })
    .join("");
}

/** `text` in Unicode subscripts: `sub(40)` is "₄₀", so `w${sub(40)}` reads w₄₀. */
export function sub(text: string | number): string {
  return mapChars(String(text), SUBSCRIPTS, "subscript");
}

/** `text` in Unicode superscripts: `sup(-16)` is "⁻¹⁶". */
export function sup(text: string | number): string {
  return mapChars(String(text), SUPERSCRIPTS, "superscript");
}

/**
 * A number as a reader writes it: `digits` significant digits, and below 10⁻³ or from 10⁵ on,
 * a power of ten with a real exponent, "2.22 × 10⁻¹⁶" rather than "2.22e-16" (which also
 * breaks across lines at its hyphen).
 */
export function sci(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(digits)));
  const [mantissa, exponent] = x.toExponential(digits - 1).split("e") as [string, string];
  const m = String(Number(mantissa)).replace("-", "−");
  const e = sup(Number(exponent));
  return m === "1" ? `10${e}` : m === "−1" ? `−10${e}` : `${m} × 10${e}`;
}

/** `x_k`, `λ_min`, `‖W‖_F`, `S_(a+b)`, `γ_{k+2}`: a letter (or ‖, or a bracket) and its subscript. */
const SUBSCRIPT_TEXT =
  /(?:(?<![\p{L}\p{N}])(\p{L}\p{M}*)|([‖)]))_(\([^()]*\)|\{[^{}]*\}|[\p{L}0-9∞]+)/gu;
/** `(1 − ηλ)^k`: a superscript. */
const SUPERSCRIPT_TEXT = /\^(\([^()]*\)|\{[^{}]*\}|[\p{L}0-9]+)/gu;
/** `weight_decay`, `l1_ratio`: a program's identifier, not notation. */
const IDENTIFIER = /\b[A-Za-z][A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b/g;

/** A piece of text as {@link notationParts} splits it. */
export interface NotationPart {
  readonly kind: "text" | "code" | "sub" | "sup";
  readonly text: string;
}

/**
 * Text written in the plain notation of source code and test names (`w_k`, `λ_min`,
 * `‖W‖_F²`, `(1 − ηλ)^k`, `weight_decay`), split into what a reader expects to see: subscripts
 * and superscripts set as such, identifiers in code type. For text that comes from elsewhere
 * (the conformance suite's property names, the packages' READMEs); the site's own strings are
 * written typographically.
 */
export function notationParts(text: string): NotationPart[] {
  const marks: { at: number; end: number; part: NotationPart }[] = [];
  for (const m of text.matchAll(IDENTIFIER)) {
    marks.push({ at: m.index, end: m.index + m[0].length, part: { kind: "code", text: m[0] } });
  }
  const free = (at: number, end: number) => !marks.some((k) => at < k.end && end > k.at);
  for (const m of text.matchAll(SUBSCRIPT_TEXT)) {
    const base = (m[1] ?? m[2]) as string;
    const at = m.index + base.length;
    const end = m.index + m[0].length;
    if (free(at, end)) marks.push({ at, end, part: { kind: "sub", text: unwrap(m[3] as string) } });
  }
  for (const m of text.matchAll(SUPERSCRIPT_TEXT)) {
    const end = m.index + m[0].length;
    if (free(m.index, end)) {
      marks.push({ at: m.index, end, part: { kind: "sup", text: unwrap(m[1] as string) } });
    }
  }
  marks.sort((a, b) => a.at - b.at);
  const out: NotationPart[] = [];
  let done = 0;
  for (const mark of marks) {
    if (mark.at > done) out.push({ kind: "text", text: text.slice(done, mark.at) });
    out.push(mark.part);
    done = mark.end;
  }
  if (done < text.length) out.push({ kind: "text", text: text.slice(done) });
  return out;
}

/** {@link notationParts} as DOM nodes, to append to an element. */
export function mathText(text: string): (string | HTMLElement)[] {
  return notationParts(text).map((part) => {
    if (part.kind === "text") return part.text;
    const el = document.createElement(part.kind);
    el.textContent = part.text;
    return el;
  });
}

/** {@link notationParts} as HTML, for text that is already HTML-escaped. */
export function mathHtml(escaped: string): string {
  return notationParts(escaped)
    .map((part) => (part.kind === "text" ? part.text : `<${part.kind}>${part.text}</${part.kind}>`))
    .join("");
}

/** `(a+b)`, `{a+b}` → `a+b`: the brackets only grouped the script. */
function unwrap(group: string): string {
  const grouped = /^\(.*\)$|^\{.*\}$/s.test(group);
  return grouped ? group.slice(1, -1) : group;
}
