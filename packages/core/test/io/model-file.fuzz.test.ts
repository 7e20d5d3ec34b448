/**
 * Property tests of the model-file reader (`parseModel`): random text never crashes it with
 * anything but a ModelFileError that says where; every valid model it writes reads back bit for
 * bit; and a valid file with one random edit either reads as a careful independent reader
 * (JSON.parse plus the documented rules, written here afresh) reads it, or is refused at the
 * edited spot (the line and column of a syntax error, the field path of a bad value).
 *
 * Decisions: a BOM at the start is accepted, as the CLI's readTextFile also drops it; a number
 * that overflows (1e400) is refused, never read as Infinity, while one that underflows (1e-400)
 * reads as ±0, the nearest double, as every decimal reads as its nearest double; a key given
 * twice is refused.
 *
 * Findings, fixed in model-file.ts:
 * - −0 did not round-trip: JSON.stringify writes −0 as `0`. serializeModel now writes `-0`.
 * - A key given twice was read silently as its last value (JSON.parse's rule): a second
 *   `"weights"` replaced the weights. It is now refused, naming the field and the line and
 *   column of the repeat.
 * - Syntax errors had no location for "Unexpected token" (`nan`, `Infinity`) and for
 *   end-of-input errors, and a 0-based offset for the rest; now always `line L, column C`.
 *
 * Planted bugs (one at a time in model-file.ts, reverted after), each caught in every one of
 * three to five runs with fresh seeds, by the properties named (in the order below: round trip,
 * random edit, never misreads, random text, wrong values, stated λ, deep nesting; "unit" is
 * model-file.test.ts):
 * - accept non-finite numbers: random edit, never misreads, (random text), unit
 * - syntax errors one line too low: random edit, never misreads, random text, deep nesting
 * - columns in UTF-16 units, not characters: random edit (an astral name before the spot)
 * - a lone CR not counted as a line break: random text (checked against V8's offset)
 * - no check of standardization's lengths against the weights: random edit, wrong values, unit
 * - no check of featureNames' length: random edit, wrong values, unit
 * - repeated keys read as the last (the old behaviour): random edit
 * - −0 written as 0 (the old behaviour): round trip, random edit, never misreads
 * - no check of the stated λ against lambda: stated λ, unit
 * - BOM not removed: random edit, unit
 * - statedLambda not checked to be an object (null throws a TypeError): wrong values
 * - σ = 0 with a nonzero weight allowed: random edit, wrong values, unit
 * - fractional seed allowed: wrong values, unit (sometimes random edit, never misreads)
 * - the scanner taking control characters in strings (wrong location): random edit, random text
 * - a repeated key located at its first occurrence: random edit
 * - unknown fields accepted: random text, wrong values, unit
 * The reader before this change (old syntax messages, −0, repeated keys) failed round trip,
 * random edit, never misreads, random text and deep nesting.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONVENTION_IDS, type ConventionId, convertLambda } from "../../src/conventions.js";
import {
  MODEL_PENALTIES,
  ModelFileError,
  type ModelPenalty,
  parseModel,
  type SavedModel,
  serializeModel,
} from "../../src/io/model-file.js";

const source = "model.json";
const BOM = "\ufeff";
/** Generated strings never hold it, so that markers placed in a file's text are unique. */
const MARK = "@@";
const NEG_ZERO = `${MARK}-0${MARK}`;

// ---------------------------------------------------------------------------------------------
// An independent reader: JSON.parse, a −0-keeping printer, locations and the documented rules.

const view = new DataView(new ArrayBuffer(8));
/** A number's 64 bits: comparisons through it are bit for bit (−0 is not 0). */
function bitsOf(x: number): string {
  view.setFloat64(0, x);
  return `f64:${view.getBigUint64(0).toString(16)}`;
}

/** The value with every number (typed arrays' too) as its bits, for toEqual. */
function exact(value: unknown): unknown {
  if (typeof value === "number") return bitsOf(value);
  if (value instanceof Float64Array || Array.isArray(value)) {
    return Array.from(value as ArrayLike<unknown>, exact);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, exact(v)]));
  }
  return value;
}

function numbersIn(value: unknown, out: number[] = []): number[] {
  if (typeof value === "number") out.push(value);
  else if (value instanceof Float64Array) out.push(...value);
  else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) numbersIn(v, out);
  }
  return out;
}

/** JSON.stringify's 2-space layout, with −0 written `-0` (which JSON.parse reads back as −0). */
function pretty(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) => (Object.is(v, -0) ? NEG_ZERO : v), 2);
  return `${text.replaceAll(`"${NEG_ZERO}"`, "-0")}\n`;
}

/** 1-based line and column (in code points) of an offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: lines.length, column: [...(lines[lines.length - 1] as string)].length + 1 };
}

function withoutBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

type Json = { ok: true; value: unknown } | { ok: false; message: string };
function jsonOf(text: string): Json {
  try {
    return { ok: true, value: JSON.parse(withoutBom(text)) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

type Segment = string | number;
function pathOf(segments: readonly Segment[]): string {
  let path = "";
  for (const s of segments)
    path = typeof s === "number" ? `${path}[${s}]` : path ? `${path}.${s}` : s;
  return path;
}

function at(value: unknown, segments: readonly Segment[]): unknown {
  let v = value;
  for (const s of segments) v = (v as Record<Segment, unknown> | undefined)?.[s];
  return v;
}

function setAt(root: unknown, segments: readonly Segment[], value: unknown): void {
  const holder = at(root, segments.slice(0, -1)) as Record<Segment, unknown>;
  holder[segments[segments.length - 1] as Segment] = value;
}

/** Every number in a parsed file, with its path. */
function numberLeaves(
  value: unknown,
  segments: Segment[] = [],
  out: Segment[][] = [],
): Segment[][] {
  if (typeof value === "number") out.push(segments);
  else if (Array.isArray(value)) value.forEach((v, i) => numberLeaves(v, [...segments, i], out));
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) numberLeaves(v, [...segments, k], out);
  }
  return out;
}

/** The paths at which two JSON values differ. */
function differences(a: unknown, b: unknown, path = "", out: string[] = []): string[] {
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => differences(v, b[i], `${path}[${i}]`, out));
  } else if (
    typeof a === "object" &&
    a !== null &&
    !Array.isArray(a) &&
    typeof b === "object" &&
    b !== null &&
    !Array.isArray(b)
  ) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      differences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
        out,
      );
    }
  } else if (!Object.is(a, b)) out.push(path);
  return out;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The documented rules of a model, checked here without the reader's code. */
function expectValid(model: SavedModel): void {
  const d = model.weights.length;
  expect(d).toBeGreaterThan(0);
  for (const x of numbersIn(model)) expect(Number.isFinite(x), `${x} is not finite`).toBe(true);
  expect(model.featureNames).toHaveLength(d);
  expect(new Set(model.featureNames).size).toBe(d);
  for (const name of [...model.featureNames, model.target, model.backend]) {
    expect(typeof name === "string" && name !== "").toBe(true);
  }
  expect(model.featureNames).not.toContain(model.target);
  expect(MODEL_PENALTIES).toContain(model.penalty);
  expect(model.lambda >= 0).toBe(true);
  expect(model.lambdaConvention).toBe("canonical");
  expect(model.alpha === undefined).toBe(model.penalty !== "elastic");
  if (model.alpha !== undefined) expect(model.alpha >= 0 && model.alpha <= 1).toBe(true);
  if (model.standardization) {
    expect(model.standardization.mean).toHaveLength(d);
    expect(model.standardization.std).toHaveLength(d);
    model.standardization.std.forEach((s, j) => {
      expect(s >= 0).toBe(true);
      if (s === 0) expect(model.weights[j] === 0).toBe(true);
    });
  }
  expect(Number.isSafeInteger(model.seed) && model.seed >= 0).toBe(true);
  expect(ISO.test(model.createdAt) && !Number.isNaN(Date.parse(model.createdAt))).toBe(true);
  const stated = model.statedLambda;
  if (stated) {
    expect(CONVENTION_IDS).toContain(stated.convention);
    expect(Number.isSafeInteger(stated.n) && stated.n >= 1).toBe(true);
    expect(stated.value >= 0).toBe(true);
  }
}

type Outcome = { model: SavedModel } | { error: ModelFileError };

/** parseModel's answer; any exception but a ModelFileError fails the property. */
function read(text: string): Outcome {
  try {
    return { model: parseModel(text, source) };
  } catch (error) {
    if (error instanceof ModelFileError) return { error };
    throw error;
  }
}

const SYNTAX = /^model\.json: is not valid JSON \(line (\d+), column (\d+): (.+)\)$/;

/**
 * The error names the file and says where, in one line: a field path for a JSON file, the line
 * and column for text that is not JSON; where V8 gives an offset, the same place.
 */
function expectLocated(error: ModelFileError, text: string): void {
  expect(error.name).toBe("ModelFileError");
  expect(error.file).toBe(source);
  expect(error.message).not.toMatch(/[\r\n]/);
  const json = withoutBom(text);
  const parsed = jsonOf(text);
  if (parsed.ok) {
    if (error.field === undefined) {
      expect(error.message).toMatch(/^model\.json: expected a JSON object, got /);
    } else {
      expect(error.message.startsWith(`${source}: field ${JSON.stringify(error.field)} `)).toBe(
        true,
      );
    }
    return;
  }
  const m = SYNTAX.exec(error.message);
  expect(m, error.message).not.toBeNull();
  const where = { line: Number(m?.[1]), column: Number(m?.[2]) };
  expect({ line: error.line, column: error.column }).toEqual(where);
  expect(error.field).toBeUndefined();
  const position = /at position (\d+)/.exec(parsed.message)?.[1];
  const offset =
    position !== undefined
      ? Number(position)
      : parsed.message.startsWith("Unexpected end")
        ? json.length
        : undefined;
  if (offset !== undefined) {
    expect(where, parsed.message).toEqual(lineColumn(json, offset));
  } else {
    const lines = json.split(/\r\n|\r|\n/);
    expect(where.line).toBeLessThanOrEqual(lines.length);
    expect(where.column).toBeLessThanOrEqual([...(lines[where.line - 1] ?? "")].length + 1);
  }
}

/** An accepted text: a valid model, equal bit for bit to the text's JSON.parse reading. */
function expectReadAsJson(model: SavedModel, text: string): void {
  expectValid(model);
  const parsed = jsonOf(text);
  expect(parsed.ok).toBe(true);
  const { format, version, ...fields } = (parsed.ok ? parsed.value : {}) as Record<string, unknown>;
  expect([format, version === 1 || version === 2]).toEqual(["wdecay-model", true]);
  expect(exact(model)).toEqual(exact(fields));
  expect(model.weights).toBeInstanceOf(Float64Array);
}

// ---------------------------------------------------------------------------------------------
// Valid models.

const doubles = fc.oneof(
  { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      -0,
      0,
      5e-324,
      -5e-324,
      2.2250738585072014e-308,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      1e-300,
      1e300,
      0.1,
      -1 / 3,
      123456789012345680000,
    ),
  },
);
const nonNegative = fc.oneof(
  fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0, 5e-324, 1e-300, Number.MAX_VALUE),
);
const unitInterval = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(-0, 0, 0.5, 1),
);
const names = fc
  .oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 6 }),
    fc.constantFrom(
      "x1",
      "a,b",
      "t:0",
      'q"uote',
      "back\\slash",
      "tab\there",
      "new\nline",
      "\ud800lone",
      "ünï",
      "😀",
      "\u2028",
      "[{",
      "-0",
      "1e400",
      "null",
    ),
  )
  .filter((s) => !s.includes(MARK));
const createdAts = fc
  .record({
    ms: fc.integer({
      min: Date.parse("0000-01-01T00:00:00.000Z"),
      max: Date.parse("9999-12-31T23:59:59.999Z"),
    }),
    zone: fc.constantFrom("Z", "+00:00", "-05:30", "+14:00"),
    wholeSeconds: fc.boolean(),
  })
  .map(({ ms, zone, wholeSeconds }) => {
    const iso = new Date(ms).toISOString();
    return (wholeSeconds ? iso.replace(/\.\d+Z$/, "Z") : iso).replace(/Z$/, zone);
  });
const stateds = fc.record({
  value: nonNegative,
  convention: fc.constantFrom(...CONVENTION_IDS),
  n: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  alpha: fc.option(unitInterval, { nil: undefined }),
  ySd: fc.option(
    fc.oneof(
      fc.double({ min: 5e-324, noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(5e-324, 1e-310, 1),
    ),
    { nil: undefined },
  ),
});
type Stated = typeof stateds extends fc.Arbitrary<infer T> ? T : never;

function statedOptions(s: Stated, penalty: ModelPenalty) {
  return {
    kind: penalty,
    n: s.n,
    ...(s.alpha === undefined ? {} : { alpha: s.alpha }),
    ...(s.ySd === undefined ? {} : { ySd: s.ySd }),
  };
}

function statedField(s: Stated): NonNullable<SavedModel["statedLambda"]> {
  return {
    value: s.value,
    convention: s.convention as ConventionId,
    n: s.n,
    ...(s.alpha === undefined ? {} : { alpha: s.alpha }),
    ...(s.ySd === undefined ? {} : { ySd: s.ySd }),
  };
}

const models: fc.Arbitrary<SavedModel> = fc.integer({ min: 1, max: 5 }).chain((d) =>
  fc
    .record({
      weights: fc.array(doubles, { minLength: d, maxLength: d }),
      bias: doubles,
      names: fc.uniqueArray(names, { minLength: d + 1, maxLength: d + 1 }),
      penalty: fc.constantFrom(...MODEL_PENALTIES),
      alpha: unitInterval,
      lambda: nonNegative,
      stated: fc.option(stateds, { nil: undefined }),
      standardization: fc.option(
        fc.record({
          mean: fc.array(doubles, { minLength: d, maxLength: d }),
          std: fc.array(nonNegative, { minLength: d, maxLength: d }),
        }),
        { nil: undefined },
      ),
      backend: fc.oneof(
        fc.constantFrom("cpu", "wasm", "webgpu"),
        fc.string({ unit: "binary", minLength: 1, maxLength: 6 }),
      ),
      seed: fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constant(-0)),
      createdAt: createdAts,
    })
    .map((r): SavedModel => {
      const weights = Float64Array.from(r.weights);
      // A dropped constant column (σ = 0) carries a zero weight.
      r.standardization?.std.forEach((s, j) => {
        if (s === 0) weights[j] = Math.sign(weights[j] as number) * 0;
      });
      let lambda = r.lambda;
      let statedLambda: SavedModel["statedLambda"];
      if (r.stated) {
        try {
          const canonical = convertLambda(
            r.stated.value,
            r.stated.convention,
            "canonical",
            statedOptions(r.stated, r.penalty),
          );
          if (Number.isFinite(canonical)) {
            lambda = canonical;
            statedLambda = statedField(r.stated);
          }
        } catch {
          // A convention that does not apply to this penalty: no stated λ.
        }
      }
      return {
        weights,
        bias: r.bias,
        featureNames: r.names.slice(0, d),
        target: r.names[d] as string,
        penalty: r.penalty,
        lambda,
        lambdaConvention: "canonical",
        ...(statedLambda ? { statedLambda } : {}),
        ...(r.penalty === "elastic" ? { alpha: r.alpha } : {}),
        ...(r.standardization
          ? {
              standardization: {
                mean: Float64Array.from(r.standardization.mean),
                std: Float64Array.from(r.standardization.std),
              },
            }
          : {}),
        backend: r.backend,
        seed: r.seed,
        createdAt: r.createdAt,
      };
    }),
);

// ---------------------------------------------------------------------------------------------
// One random edit of a valid file, with what the reader must make of it.

interface Edit {
  readonly kind: string;
  readonly text: string;
  /** "must": read as `same` (or the JSON reading); "never": refused; "may": either. */
  readonly accept: "must" | "may" | "never";
  /** The original model, where an accepted text must read as exactly it. */
  readonly same?: SavedModel;
  /** Where a syntax error must be: a line and a column range. */
  readonly syntax?: { readonly line: number; readonly columns: readonly [number, number] };
  /** The fields a refusal of a JSON text may name (a rule ties the edited field to them). */
  readonly fields?: (field: string) => boolean;
  /** Where a repeated key must be located. */
  readonly repeat?: { readonly line: number; readonly column: number };
}

const HUGE = ["1e400", "-1e400", "1e309", "-2e308", `1${"0".repeat(400)}`];
const NAN_SPELLINGS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf"];

const numberEditKinds = ["huge", "nan", "null", "string", "respell", "change"] as const;
const editKinds = [
  "truncate",
  "comma",
  "colon",
  "quote",
  "bom",
  ...numberEditKinds,
  "duplicate",
  "shorten",
  "lengthen",
] as const;
type EditKind = (typeof editKinds)[number];
const editSpecs = fc.record({
  kind: fc.constantFrom(...editKinds),
  pick: fc.nat(),
  pick2: fc.nat(),
  other: doubles,
  text: fc.string({ maxLength: 5 }).filter((s) => !s.includes(MARK)),
});
type EditSpec = typeof editSpecs extends fc.Arbitrary<infer T> ? T : never;

/** The fields a refusal may name when the value at `path` changed (rules tie them). */
function related(path: string): (field: string) => boolean {
  return (field) =>
    field === path ||
    (/^featureNames\[\d+\]$/.test(path) &&
      (/^featureNames\[\d+\]$/.test(field) || field === "target")) ||
    ((path === "lambda" || path === "version") && field === "statedLambda") ||
    (path.startsWith("statedLambda.") &&
      (field === "statedLambda" || field === "statedLambda.convention")) ||
    (/^standardization\.std\[\d+\]$/.test(path) &&
      field === `weights${path.slice("standardization.std".length)}`);
}

/** Spellings of x that JSON reads as exactly x. */
function respellings(x: number): string[] {
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const a = Math.abs(x);
  const out = [
    `${sign}${a.toPrecision(17)}`,
    `${sign}${a.toExponential().toUpperCase()}`,
    `${sign}${a.toExponential().replace(/e([+-])/, "e$1000")}`,
  ];
  if (!/[e.]/.test(String(a))) out.push(`${sign}${a}.000`);
  return out;
}

function numberText(x: number): string {
  return Object.is(x, -0) ? "-0" : String(x);
}

/** `object` printed with the value at `segments` written as the raw `token`. */
function withToken(object: unknown, segments: readonly Segment[], token: string) {
  const copy = structuredClone(object);
  const marker = `${MARK}edit${MARK}`;
  setAt(copy, segments, marker);
  const printed = pretty(copy);
  const offset = printed.indexOf(`"${marker}"`);
  const text = printed.slice(0, offset) + token + printed.slice(offset + marker.length + 2);
  return { text, where: lineColumn(text, offset) };
}

function makeEdit(model: SavedModel, spec: EditSpec): Edit {
  const original = serializeModel(model);
  const object = JSON.parse(original) as Record<string, unknown>;
  const kind: EditKind = spec.kind;
  const choose = <T>(items: readonly T[], pick = spec.pick): T => items[pick % items.length] as T;
  switch (kind) {
    case "truncate": {
      const cut = spec.pick % original.length;
      const text = original.slice(0, cut);
      if (original.slice(cut).trim() === "") return { kind, text, accept: "must", same: model };
      const end = lineColumn(text, text.length);
      return {
        kind,
        text,
        accept: "never",
        syntax: { line: end.line, columns: [end.column, end.column] },
      };
    }
    case "comma":
    case "colon": {
      const [from, to] = kind === "comma" ? [",", ";"] : [":", "="];
      const offsets = [...original.matchAll(new RegExp(from, "g"))].map((m) => m.index);
      const offset = choose(offsets);
      const text = `${original.slice(0, offset)}${to}${original.slice(offset + 1)}`;
      const where = lineColumn(text, offset);
      return inStringOr(kind, text, object, {
        line: where.line,
        columns: [where.column, where.column],
      });
    }
    case "quote": {
      const offset = spec.pick % (original.length + 1);
      const text = `${original.slice(0, offset)}"${original.slice(offset)}`;
      const where = lineColumn(text, offset);
      return inStringOr(kind, text, object, {
        line: where.line,
        columns: [where.column, Number.MAX_SAFE_INTEGER],
      });
    }
    case "bom":
      return { kind, text: `${BOM}${original}`, accept: "must", same: model };
    case "huge":
    case "nan":
    case "null":
    case "string":
    case "respell":
    case "change": {
      const segments = choose(numberLeaves(object));
      const path = pathOf(segments);
      const x = at(object, segments) as number;
      const tokens: Record<typeof kind, readonly string[]> = {
        huge: HUGE,
        nan: NAN_SPELLINGS,
        null: ["null"],
        string: [JSON.stringify(numberText(x)), JSON.stringify(spec.text)],
        respell: respellings(x),
        change: [spec.other, x * (1 + 2 ** -52), x + 1]
          .filter(Number.isFinite)
          .map(numberText)
          .concat(["1e-400", "-1e-400"]),
      };
      const { text, where } = withToken(object, segments, choose(tokens[kind], spec.pick2));
      if (kind === "nan") {
        return {
          kind,
          text,
          accept: "never",
          syntax: { line: where.line, columns: [where.column, where.column + 1] },
        };
      }
      if (kind === "respell") return { kind, text, accept: "must", same: model };
      if (kind === "change") return { kind, text, accept: "may", fields: related(path) };
      return { kind, text, accept: "never", fields: (field) => field === path };
    }
    case "duplicate": {
      const containers: Segment[][] = [[]];
      if (object.statedLambda) containers.push(["statedLambda"]);
      if (object.standardization) containers.push(["standardization"]);
      const container = choose(containers);
      const holder = at(object, container) as Record<string, unknown>;
      const key = choose(Object.keys(holder), spec.pick2);
      const value = holder[key];
      // The repeat holds the same value, or one that differs (a weight, a name).
      const changed =
        spec.pick % 2 === 0
          ? value
          : typeof value === "number"
            ? value + 1
            : typeof value === "string"
              ? `${value}x`
              : Array.isArray(value)
                ? [typeof value[0] === "number" ? value[0] + 1 : `${value[0]}x`, ...value.slice(1)]
                : value;
      const marker = `${MARK}dup${MARK}`;
      const rebuilt: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(holder)) {
        rebuilt[k] = v;
        if (k === key) rebuilt[marker] = changed;
      }
      const copy = container.length === 0 ? rebuilt : structuredClone(object);
      if (container.length > 0) setAt(copy, container, rebuilt);
      const printed = pretty(copy);
      const offset = printed.indexOf(`"${marker}"`);
      const text =
        printed.slice(0, offset) + JSON.stringify(key) + printed.slice(offset + marker.length + 2);
      const path = pathOf([...container, key]);
      return {
        kind,
        text,
        accept: "never",
        fields: (field) => field === path,
        repeat: lineColumn(text, offset),
      };
    }
    case "shorten":
    case "lengthen": {
      const arrays: Segment[][] = [["weights"], ["featureNames"]];
      if (object.standardization)
        arrays.push(["standardization", "mean"], ["standardization", "std"]);
      const segments = choose(arrays);
      const copy = structuredClone(object);
      const array = at(copy, segments) as unknown[];
      if (kind === "shorten") array.pop();
      else array.push(array[array.length - 1]);
      const path = pathOf(segments);
      // Lengths are checked against the weights; a wrong count of weights shows at the names.
      const fields = (field: string) =>
        field === path || (path === "weights" && field === "featureNames");
      return { kind, text: pretty(copy), accept: "never", fields };
    }
  }
}

/**
 * An edit that may land inside a string (a name with a comma, an escape the quote completes):
 * then the text is still JSON, and a refusal names the changed value; else a syntax error.
 */
function inStringOr(kind: string, text: string, object: unknown, syntax: Edit["syntax"]): Edit {
  const parsed = jsonOf(text);
  if (!parsed.ok) return { kind, text, accept: "never", syntax };
  const changed = differences(object, parsed.value);
  return {
    kind,
    text,
    accept: "may",
    fields: (field) => changed.some((path) => related(path)(field)),
  };
}

function expectEditOutcome(edit: Edit): void {
  const outcome = read(edit.text);
  if ("model" in outcome) {
    expect(edit.accept, `accepted a ${edit.kind} edit`).not.toBe("never");
    expectReadAsJson(outcome.model, edit.text);
    if (edit.same) expect(exact(outcome.model)).toEqual(exact(edit.same));
    return;
  }
  const { error } = outcome;
  expect(edit.accept, `refused a ${edit.kind} edit: ${error.message}`).not.toBe("must");
  expectLocated(error, edit.text);
  if (!jsonOf(edit.text).ok) {
    expect(edit.syntax, error.message).toBeDefined();
    const { line, columns } = edit.syntax ?? { line: 0, columns: [0, 0] };
    expect(error.line, error.message).toBe(line);
    expect(error.column, error.message).toBeGreaterThanOrEqual(columns[0]);
    expect(error.column, error.message).toBeLessThanOrEqual(columns[1]);
    return;
  }
  expect(error.field, error.message).toBeDefined();
  expect(edit.fields?.(error.field as string), error.message).toBe(true);
  if (edit.repeat) expect({ line: error.line, column: error.column }).toEqual(edit.repeat);
}

// ---------------------------------------------------------------------------------------------

describe("parseModel (properties)", () => {
  it("reads back every valid model serializeModel writes, bit for bit (−0 included)", () => {
    fc.assert(
      fc.property(models, (model) => {
        const text = serializeModel(model);
        const parsed = parseModel(text, source);
        expect(parsed.weights).toBeInstanceOf(Float64Array);
        expect(exact(parsed)).toEqual(exact(model));
        // Any JSON reader gets the same numbers, and the layout is JSON.stringify's.
        expectReadAsJson(parsed, text);
        expect(text).toBe(pretty(JSON.parse(text)));
        if (model.statedLambda === undefined) {
          const v1 = text.replace('"version": 2,', '"version": 1,');
          expect(exact(parseModel(v1, source))).toEqual(exact(model));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("reads a valid file with one random edit as JSON.parse does, or refuses it at the edit", () => {
    fc.assert(
      fc.property(models, editSpecs, (model, spec) => expectEditOutcome(makeEdit(model, spec))),
      { numRuns: 600 },
    );
  });

  it("never misreads a number: overflow, NaN spellings and null are refused at their path", () => {
    fc.assert(
      fc.property(models, editSpecs, fc.constantFrom(...numberEditKinds), (model, spec, kind) =>
        expectEditOutcome(makeEdit(model, { ...spec, kind })),
      ),
      { numRuns: 200 },
    );
  });

  it("answers random text with a located ModelFileError, never another exception", () => {
    const jsonish = fc.string({
      unit: fc.constantFrom(...'{}[]",:0123456789eE.+- \n\r\ttrufalsn\\u/abcdef\ufeff'),
      maxLength: 60,
    });
    const spliced = fc
      .tuple(models, fc.nat(), fc.nat({ max: 8 }), jsonish)
      .map(([model, at, cut, insert]) => {
        const text = serializeModel(model);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + cut);
      });
    const texts = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.uint8Array({ maxLength: 80 }).map((bytes) => new TextDecoder().decode(bytes)),
      jsonish,
      fc.json(),
      spliced,
    );
    fc.assert(
      fc.property(texts, (text) => {
        const outcome = read(text);
        if ("model" in outcome) expectReadAsJson(outcome.model, text);
        else expectLocated(outcome.error, text);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a wrong value at any field, nested ones too, there or at a field tied to it", () => {
    const fields = [
      "format",
      "version",
      "weights",
      "bias",
      "featureNames",
      "target",
      "penalty",
      "lambda",
      "lambdaConvention",
      "statedLambda",
      "alpha",
      "standardization",
      "backend",
      "seed",
      "createdAt",
      "lamda",
    ];
    // Top-level fields a value of `field` is checked against.
    const ties: Record<string, readonly string[]> = {
      version: ["statedLambda"],
      weights: ["featureNames", "standardization"],
      featureNames: ["target"],
      penalty: ["alpha", "statedLambda"],
      lambda: ["statedLambda"],
      standardization: ["weights"],
    };
    // Every JSON type, and numbers that are wrong somewhere; undefined removes the field.
    const confusions = [
      undefined,
      null,
      true,
      "",
      "x",
      "1e400",
      0,
      -0,
      -1,
      1.5,
      [],
      [1],
      {},
      { a: 1 },
    ];
    fc.assert(
      fc.property(models, fc.jsonValue({ maxDepth: 2 }), fc.nat(), (model, random, pick) => {
        const object = JSON.parse(serializeModel(model));
        const paths: Segment[][] = fields.map((field) => [field]);
        for (const nested of ["statedLambda", "standardization"]) {
          paths.push(...Object.keys(object[nested] ?? {}).map((key) => [nested, key]));
        }
        for (const array of [["weights"], ["featureNames"], ["standardization", "mean"]]) {
          const value = at(object, array);
          if (Array.isArray(value)) paths.push([...array, pick % value.length]);
        }
        for (const path of paths) {
          for (const value of [...confusions, random]) {
            const copy = structuredClone(object);
            setAt(copy, path, value);
            const text = pretty(copy);
            const outcome = read(text);
            if ("model" in outcome) {
              expectReadAsJson(outcome.model, text);
              continue;
            }
            expectLocated(outcome.error, text);
            const top = /^[^.[]*/.exec(outcome.error.field ?? "")?.[0] ?? "";
            const field = path[0] as string;
            expect([field, ...(ties[field] ?? [])], outcome.error.message).toContain(top);
          }
        }
      }),
      { numRuns: 6 },
    );
  });

  it("accepts a stated λ exactly when its canonical value is finite and agrees with lambda", () => {
    const targeted = fc.record({
      value: fc.constantFrom(0, 1, 5e-324),
      convention: fc.constantFrom("glmnet", "sklearn-logistic", "sklearn-ridge"),
      n: fc.constantFrom(1, Number.MAX_SAFE_INTEGER),
      alpha: fc.constantFrom(undefined, 0, 0.5),
      ySd: fc.constantFrom(undefined, 5e-324, 1e-310, 1),
    });
    fc.assert(
      fc.property(
        models,
        fc.oneof(stateds, targeted),
        fc.constantFrom(...MODEL_PENALTIES),
        fc.option(nonNegative, { nil: undefined }),
        (model, stated, penalty, lambda) => {
          let canonical: number | undefined;
          try {
            canonical = convertLambda(
              stated.value,
              stated.convention,
              "canonical",
              statedOptions(stated, penalty),
            );
          } catch {
            canonical = undefined;
          }
          const object = JSON.parse(serializeModel(model));
          object.penalty = penalty;
          if (penalty === "elastic") object.alpha = 0.5;
          else delete object.alpha;
          object.statedLambda = statedField(stated);
          // lambda: the canonical value when no other is drawn (0 stands in for a non-finite one).
          const written = lambda ?? (Number.isFinite(canonical) ? (canonical as number) : 0);
          object.lambda = written;
          const agrees =
            canonical !== undefined &&
            Math.abs(canonical - written) <= 1e-12 * Math.max(Math.abs(written), 5e-324);
          const outcome = read(pretty(object));
          if ("model" in outcome) {
            expect(agrees, `accepted λ ${written} against canonical ${canonical}`).toBe(true);
          } else {
            expect(agrees, outcome.error.message).toBe(false);
            expect(outcome.error.field).toMatch(/^statedLambda/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses deeply nested text without overflowing the stack", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.constantFrom("[", '{"a":', '{"format":"wdecay-model","version":2,"x":['),
        fc.boolean(),
        (depth, open, closed) => {
          const close = open === "[" ? "]" : open === '{"a":' ? "}" : "]}";
          const text = open.repeat(depth) + (closed ? `1${close.repeat(depth)}` : "");
          const outcome = read(text);
          expect("error" in outcome).toBe(true);
          if ("error" in outcome) expectLocated(outcome.error, text);
        },
      ),
      { numRuns: 10 },
    );
  });
});
