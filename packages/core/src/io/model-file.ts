/**
 * The model file: versioned JSON holding a fitted linear model on the original feature scale,
 * with what is needed to use it (feature names, target) and to reproduce it (penalty, λ and
 * its convention, standardization, backend, seed).
 *
 * Reading is strict: every field is checked, unknown fields are rejected (a misspelt
 * `"lamda"` must not silently fall back to nothing), a key given twice in one object is refused
 * (JSON.parse would silently keep the last), and a file of a version this code does not read is
 * refused with the versions it reads. A change to the fields is a new version. Text that is not
 * JSON is refused with the line and column of the first fault.
 *
 * Versions: 1 holds λ in the canonical convention only; 2 adds `statedLambda`, the λ as the user
 * gave it in their library's convention (with the n its conversion used), checked against the
 * canonical λ on reading. This code writes version 2 and reads both.
 */
import { CONVENTION_IDS, type ConventionId, convertLambda } from "../conventions.js";
import { describeValue } from "./csv.js";

/** The `format` of every model file. */
export const MODEL_FORMAT = "wdecay-model";
/** The model-file version this code writes. */
export const MODEL_VERSION = 2;
/** The model-file versions this code reads. */
export const MODEL_VERSIONS_READ: readonly number[] = [1, 2];

/**
 * Which penalty the model was fitted with. (The same union as `PenaltyKind` in conventions.ts,
 * spelled out here so that the file format does not change when that module grows.)
 */
export type ModelPenalty = "l2" | "l1" | "elastic";
/** Every {@link ModelPenalty}. */
export const MODEL_PENALTIES: readonly ModelPenalty[] = ["l2", "l1", "elastic"];

/**
 * The convention of `lambda` in every file: core's canonical objective
 * `J = mean ½(ŷ − y)² + λ[(1 − α)/2 ‖w‖² + α‖w‖₁]`, the λ the solver used. Another library's
 * number (some of which, like sklearn's ridge alpha, mean nothing without n) goes in
 * `statedLambda` beside it (version 2); the field is there so that no reader has to guess.
 */
const LAMBDA_CONVENTION = "canonical";

/** A model as saved: `weights` and `bias` predict from features on their original scale. */
export interface SavedModel {
  /** One weight per feature, in `featureNames` order, on the original scale. */
  readonly weights: Float64Array;
  readonly bias: number;
  /** The CSV columns the weights apply to, in order. */
  readonly featureNames: readonly string[];
  /** The CSV column the model predicts. */
  readonly target: string;
  readonly penalty: ModelPenalty;
  /** λ ≥ 0, in `lambdaConvention`, on the scale the model was trained on. */
  readonly lambda: number;
  readonly lambdaConvention: "canonical";
  /**
   * Version 2: the λ as stated in another library's convention, which `lambda` is the canonical
   * value of; `n` is the number of training rows the conversion used (some conventions, like
   * scikit-learn's Ridge, scale λ by n).
   */
  readonly statedLambda?: {
    readonly value: number;
    readonly convention: ConventionId;
    readonly n: number;
    /**
     * The library's own mixing where it differs from the canonical `alpha` (glmnet's, whose y
     * scaling moves the canonical α), with the labels' standard deviation the conversion used.
     */
    readonly alpha?: number;
    readonly ySd?: number;
  };
  /** Elastic net only: the share of the L1 term, in [0, 1] (1 is the lasso, 0 ridge). */
  readonly alpha?: number;
  /**
   * Present when training standardized the features: their training mean and population
   * standard deviation (0 for a dropped constant column, whose weight is then 0). λ applied to
   * the standardized weights, `w_j σ_j`.
   */
  readonly standardization?: { readonly mean: Float64Array; readonly std: Float64Array };
  /** The backend that trained it (e.g. "cpu"). */
  readonly backend: string;
  readonly seed: number;
  /** When it was trained, ISO 8601 with a time zone, e.g. "2024-05-01T12:00:00.000Z". */
  readonly createdAt: string;
}

/**
 * A model file that cannot be read (or a model that cannot be saved), naming file and field. The
 * message starts with the file, then says where: `model.json: field "weights[3]" …` for a field
 * (also for a key given twice, with the line and column of the second), or
 * `model.json: is not valid JSON (line 3, column 7: …)` for text that is not JSON.
 */
export class ModelFileError extends Error {
  readonly file: string;
  /** The offending field's path, e.g. `weights[3]` or `standardization.std`, if any. */
  readonly field: string | undefined;
  /**
   * Where in the text (1-based; the column counts characters), for text that is not JSON and
   * for a repeated key; undefined for errors about a field's value.
   */
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    file: string,
    field: string | undefined,
    reason: string,
    at?: { readonly line: number; readonly column: number },
  ) {
    super(`${file}: ${field === undefined ? "" : `field ${JSON.stringify(field)} `}${reason}`);
    this.name = "ModelFileError";
    this.file = file;
    this.field = field;
    this.line = at?.line;
    this.column = at?.column;
  }
}

const FIELDS = [
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
] as const;

// ISO 8601 as Date.prototype.toISOString writes it, or with an explicit offset; a time zone is
// required because a bare local time means different instants on different machines.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Field checks bound to one file name. */
class Checker {
  constructor(readonly file: string) {}

  fail(field: string | undefined, reason: string): never {
    throw new ModelFileError(this.file, field, reason);
  }

  present(object: Record<string, unknown>, field: string, path = field): unknown {
    const value = object[field];
    if (value === undefined) this.fail(path, "is missing");
    return value;
  }

  finite(value: unknown, path: string, rule?: { min: number; max?: number; what: string }): number {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.fail(path, `must be a finite number, got ${describeValue(value)}`);
    }
    if (rule !== undefined && (value < rule.min || (rule.max !== undefined && value > rule.max))) {
      this.fail(path, `must be ${rule.what}, got ${value}`);
    }
    return value;
  }

  text(value: unknown, path: string): string {
    if (typeof value !== "string" || value === "") {
      this.fail(path, `must be a non-empty string, got ${describeValue(value)}`);
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (!(allowed as readonly unknown[]).includes(value)) {
      this.fail(
        path,
        `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describeValue(value)}`,
      );
    }
    return value as T;
  }

  numbers(value: unknown, path: string, length?: number): Float64Array {
    if (!Array.isArray(value))
      this.fail(path, `must be an array of numbers, got ${describeValue(value)}`);
    if (length !== undefined && value.length !== length) {
      this.fail(path, `has ${value.length} entries but "weights" has ${length}`);
    }
    const out = new Float64Array(value.length);
    for (const [i, x] of value.entries()) out[i] = this.finite(x, `${path}[${i}]`);
    return out;
  }

  noOthers(
    object: Record<string, unknown>,
    known: readonly string[],
    prefix: string,
    version: number,
  ): void {
    for (const key of Object.keys(object)) {
      if (!known.includes(key)) {
        this.fail(
          `${prefix}${key}`,
          `is not part of a version ${version} model file (its fields: ${known.join(", ")})`,
        );
      }
    }
  }
}

/** Checks a parsed model file (or a model about to be saved) field by field. */
function checkModel(value: unknown, file: string): SavedModel {
  // Annotated: TypeScript narrows after a `never` call only through an explicitly typed name.
  const check: Checker = new Checker(file);
  if (!isRecord(value))
    check.fail(undefined, `expected a JSON object, got ${describeValue(value)}`);
  // Format and version first: a file of another kind or version fails on that, not on a field
  // that its own format defines differently.
  const format = check.present(value, "format");
  if (format !== MODEL_FORMAT) {
    check.fail(
      "format",
      `must be "${MODEL_FORMAT}", got ${describeValue(format)}; is this a wdecay model file?`,
    );
  }
  const version = check.present(value, "version");
  if (typeof version !== "number" || !MODEL_VERSIONS_READ.includes(version)) {
    check.fail(
      "version",
      `is ${describeValue(version)}, but this wdecay reads only version ${MODEL_VERSIONS_READ.join(" and ")} model files`,
    );
  }
  check.noOthers(
    value,
    version === 1 ? FIELDS.filter((f) => f !== "statedLambda") : FIELDS,
    "",
    version,
  );
  const weights = check.numbers(check.present(value, "weights"), "weights");
  if (weights.length === 0) check.fail("weights", "must hold at least one weight");
  const bias = check.finite(check.present(value, "bias"), "bias");

  const rawNames = check.present(value, "featureNames");
  if (!Array.isArray(rawNames)) {
    check.fail("featureNames", `must be an array of strings, got ${describeValue(rawNames)}`);
  }
  if (rawNames.length !== weights.length) {
    check.fail(
      "featureNames",
      `has ${rawNames.length} names but "weights" has ${weights.length} entries`,
    );
  }
  const featureNames = rawNames.map((name, i) => check.text(name, `featureNames[${i}]`));
  const seen = new Set<string>();
  for (const [i, name] of featureNames.entries()) {
    if (seen.has(name)) check.fail(`featureNames[${i}]`, `repeats the name ${describeValue(name)}`);
    seen.add(name);
  }
  const target = check.text(check.present(value, "target"), "target");
  if (seen.has(target))
    check.fail("target", `is ${describeValue(target)}, which is also a feature name`);

  const penalty = check.oneOf(check.present(value, "penalty"), "penalty", MODEL_PENALTIES);
  const lambda = check.finite(check.present(value, "lambda"), "lambda", {
    min: 0,
    what: "a number ≥ 0",
  });
  const lambdaConvention = check.oneOf(
    check.present(value, "lambdaConvention"),
    "lambdaConvention",
    [LAMBDA_CONVENTION] as const,
  );
  let statedLambda: SavedModel["statedLambda"];
  const rawStated = value.statedLambda;
  if (rawStated !== undefined) {
    const path = "statedLambda";
    if (!isRecord(rawStated)) {
      check.fail(path, `must be an object {value, convention, n}, got ${describeValue(rawStated)}`);
    }
    check.noOthers(rawStated, ["value", "convention", "n", "alpha", "ySd"], `${path}.`, version);
    const stated = check.finite(
      check.present(rawStated, "value", `${path}.value`),
      `${path}.value`,
      {
        min: 0,
        what: "a number ≥ 0",
      },
    );
    const convention = check.oneOf(
      check.present(rawStated, "convention", `${path}.convention`),
      `${path}.convention`,
      CONVENTION_IDS,
    );
    const n = check.present(rawStated, "n", `${path}.n`);
    if (!(typeof n === "number" && Number.isSafeInteger(n) && n >= 1)) {
      check.fail(`${path}.n`, `must be an integer ≥ 1, got ${describeValue(n)}`);
    }
    const statedAlpha =
      rawStated.alpha === undefined
        ? undefined
        : check.finite(rawStated.alpha, `${path}.alpha`, {
            min: 0,
            max: 1,
            what: "a number in [0, 1]",
          });
    const ySd =
      rawStated.ySd === undefined
        ? undefined
        : check.finite(rawStated.ySd, `${path}.ySd`, {
            min: Number.MIN_VALUE,
            what: "a number > 0",
          });
    let canonical: number;
    try {
      canonical = convertLambda(stated, convention, "canonical", {
        kind: penalty,
        n,
        ...(statedAlpha === undefined ? {} : { alpha: statedAlpha }),
        ...(ySd === undefined ? {} : { ySd }),
      });
    } catch (error) {
      check.fail(`${path}.convention`, error instanceof Error ? error.message : String(error));
    }
    // The two are one number written twice: they must agree to rounding (a relative 1e-12
    // allows a few conversions' roundings, far below any edit a person would make).
    if (Math.abs(canonical - lambda) > 1e-12 * Math.max(Math.abs(lambda), Number.MIN_VALUE)) {
      check.fail(
        path,
        `is ${stated} in the ${convention} convention, which is canonical λ ${canonical}, but "lambda" is ${lambda}`,
      );
    }
    statedLambda = {
      value: stated,
      convention,
      n,
      ...(statedAlpha === undefined ? {} : { alpha: statedAlpha }),
      ...(ySd === undefined ? {} : { ySd }),
    };
  }
  let alpha: number | undefined;
  if (penalty === "elastic") {
    alpha = check.finite(check.present(value, "alpha"), "alpha", {
      min: 0,
      max: 1,
      what: "a number in [0, 1]",
    });
  } else if (value.alpha !== undefined) {
    check.fail("alpha", `applies only to penalty "elastic", not "${penalty}"`);
  }

  let standardization: SavedModel["standardization"];
  const rawStd = value.standardization;
  if (rawStd !== undefined) {
    if (!isRecord(rawStd)) {
      check.fail("standardization", `must be an object {mean, std}, got ${describeValue(rawStd)}`);
    }
    check.noOthers(rawStd, ["mean", "std"], "standardization.", version);
    const mean = check.numbers(
      check.present(rawStd, "mean", "standardization.mean"),
      "standardization.mean",
      weights.length,
    );
    const std = check.numbers(
      check.present(rawStd, "std", "standardization.std"),
      "standardization.std",
      weights.length,
    );
    for (const [j, s] of std.entries()) {
      if (s < 0) check.fail(`standardization.std[${j}]`, `must be ≥ 0, got ${s}`);
      // σ = 0 marks a constant column dropped before training: it cannot carry a weight.
      if (s === 0 && weights[j] !== 0) {
        check.fail(
          `weights[${j}]`,
          `is ${weights[j]}, but standardization.std[${j}] is 0 (a dropped constant column), so it must be 0`,
        );
      }
    }
    standardization = { mean, std };
  }

  const backend = check.text(check.present(value, "backend"), "backend");
  const seed = check.present(value, "seed");
  if (!(typeof seed === "number" && Number.isSafeInteger(seed) && seed >= 0)) {
    check.fail("seed", `must be a non-negative integer, got ${describeValue(seed)}`);
  }
  const createdAt = check.present(value, "createdAt");
  if (
    typeof createdAt !== "string" ||
    !ISO_DATE_TIME.test(createdAt) ||
    Number.isNaN(Date.parse(createdAt))
  ) {
    check.fail(
      "createdAt",
      `must be an ISO 8601 date and time with a time zone (e.g. "2024-05-01T12:00:00.000Z"), got ${describeValue(createdAt)}`,
    );
  }
  return {
    weights,
    bias,
    featureNames,
    target,
    penalty,
    lambda,
    lambdaConvention,
    ...(statedLambda === undefined ? {} : { statedLambda }),
    ...(alpha === undefined ? {} : { alpha }),
    ...(standardization === undefined ? {} : { standardization }),
    backend,
    seed,
    createdAt,
  };
}

/**
 * The model as a model file: pretty-printed JSON with a trailing newline. Checks the model
 * with the reader's rules first (throwing {@link ModelFileError} naming `source` and the
 * field), so that no file is written that {@link parseModel} would refuse, e.g. a NaN weight,
 * which JSON would turn into null.
 */
export function serializeModel(model: SavedModel, source = "model"): string {
  const object = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    weights: Array.from(model.weights),
    bias: model.bias,
    featureNames: [...model.featureNames],
    target: model.target,
    penalty: model.penalty,
    lambda: model.lambda,
    lambdaConvention: model.lambdaConvention,
    ...(model.statedLambda === undefined ? {} : { statedLambda: { ...model.statedLambda } }),
    ...(model.alpha === undefined ? {} : { alpha: model.alpha }),
    ...(model.standardization === undefined
      ? {}
      : {
          standardization: {
            mean: Array.from(model.standardization.mean),
            std: Array.from(model.standardization.std),
          },
        }),
    backend: model.backend,
    seed: model.seed,
    createdAt: model.createdAt,
  };
  checkModel(object, source);
  return `${toJson(object, "")}\n`;
}

/**
 * `JSON.stringify(value, null, 2)`, except that −0 is written `-0` (JSON.stringify writes `0`,
 * which reads back as +0). Numbers are otherwise JSON.stringify's shortest round-trip form:
 * reading gives the same doubles.
 */
function toJson(value: unknown, indent: string): string {
  if (Object.is(value, -0)) return "-0";
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((item) => toJson(item, inner))
    : Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => `${JSON.stringify(key)}: ${toJson(item, inner)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (items.length === 0) return `${open}${close}`;
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${indent}${close}`;
}

/** What JSON.parse does not say precisely about a text. */
interface JsonScan {
  /** The offset of the first syntax error, if the text is not JSON. */
  readonly syntaxError?: number;
  /** The first key that repeats a key of its object: its path, and the offset of the repeat. */
  readonly repeated?: { readonly path: string; readonly at: number };
}

/**
 * Scans JSON text without building values (RFC 8259, as JSON.parse reads it) for the offset of
 * the first syntax error, which JSON.parse's message gives only for some errors, and for a
 * repeated key, of which JSON.parse silently keeps the last. Iterative: no nesting depth
 * overflows it.
 */
function scanJson(text: string): JsonScan {
  const n = text.length;
  let i = 0;
  let repeated: JsonScan["repeated"];
  // The containers open at i; `path` is the path of the value about to be read.
  const stack: { object: boolean; path: string; keys: Set<string>; count: number }[] = [];
  let path = "";
  const skipSpace = (): void => {
    while (i < n && " \t\n\r".includes(text[i] as string)) i++;
  };
  const isDigit = (k: number): boolean => {
    const c = text.charCodeAt(k);
    return c >= 0x30 && c <= 0x39;
  };
  const digits = (): boolean => {
    const start = i;
    while (isDigit(i)) i++;
    return i > start;
  };
  // Each reader moves i past what it reads and returns true, or stops i at the fault.
  const string = (): boolean => {
    for (i++; i < n; ) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c !== 0x5c) i++;
      else if (text[i + 1] === "u") {
        for (let k = 2; k < 6; k++) {
          if (!/^[0-9a-fA-F]$/.test(text[i + k] ?? "")) {
            i += k;
            return false;
          }
        }
        i += 6;
      } else if ('"\\/bfnrt'.includes(text[i + 1] ?? "?")) i += 2;
      else {
        i++;
        return false;
      }
    }
    return false;
  };
  const number = (): boolean => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else if (!digits()) return false;
    if (text[i] === ".") {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (!digits()) return false;
    }
    return true;
  };
  const literal = (): boolean => {
    const c = text[i];
    const word = c === "t" ? "true" : c === "f" ? "false" : c === "n" ? "null" : "";
    let k = 0;
    while (k < word.length && text[i + k] === word[k]) k++;
    i += k;
    return word !== "" && k === word.length;
  };
  // Past `{` or `[` (not closed at once) or a comma: an object's next key and colon, and the
  // path of the value that follows.
  const member = (): boolean => {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    if (!top.object) {
      path = `${top.path}[${top.count++}]`;
      return true;
    }
    skipSpace();
    const start = i;
    if (text[i] !== '"' || !string()) return false;
    const key = JSON.parse(text.slice(start, i)) as string;
    path = top.path === "" ? key : `${top.path}.${key}`;
    if (top.keys.has(key)) repeated ??= { path, at: start };
    top.keys.add(key);
    skipSpace();
    if (text[i] !== ":") return false;
    i++;
    return true;
  };
  for (;;) {
    skipSpace();
    const c = text[i];
    if (c === "{" || c === "[") {
      i++;
      skipSpace();
      if (text[i] !== (c === "{" ? "}" : "]")) {
        stack.push({ object: c === "{", path, keys: new Set(), count: 0 });
        if (!member()) return { syntaxError: i, repeated };
        continue;
      }
      i++;
    } else if (!(c === '"' ? string() : c === "-" || isDigit(i) ? number() : literal())) {
      return { syntaxError: i, repeated };
    }
    // A value ended: close containers, or go on to the next member.
    for (;;) {
      skipSpace();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? { syntaxError: i, repeated } : { repeated };
      if (text[i] === ",") {
        i++;
        if (!member()) return { syntaxError: i, repeated };
        break;
      }
      if (text[i] !== (top.object ? "}" : "]")) return { syntaxError: i, repeated };
      i++;
      stack.pop();
    }
  }
}

/** The 1-based line (ended by LF, CRLF or CR) and column (in characters) of an offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const breaks = /\r\n?|\n/g;
  let line = 1;
  let start = 0;
  for (let m = breaks.exec(text); m !== null; m = breaks.exec(text)) {
    if (m.index + m[0].length > offset) break;
    line++;
    start = m.index + m[0].length;
  }
  return { line, column: [...text.slice(start, offset)].length + 1 };
}

/**
 * Reads a model file's text (a leading BOM is ignored), checking every field. Throws
 * {@link ModelFileError} naming `source` (e.g. the path) and the field at fault, or the line and
 * column where the text stops being JSON.
 */
export function parseModel(text: string, source: string): SavedModel {
  // A BOM is not JSON, but editors on some systems add one.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    // V8 gives an offset for some errors only; the line and column come from scanJson.
    const why = (error instanceof Error ? error.message : String(error))
      .replace(/\s+/g, " ")
      .replace(/ at position \d+(?: \(line \d+ column \d+\))?/, "");
    const at = scanJson(json).syntaxError;
    if (at === undefined) throw new ModelFileError(source, undefined, `is not valid JSON (${why})`);
    const where = lineAndColumn(json, at);
    throw new ModelFileError(
      source,
      undefined,
      `is not valid JSON (line ${where.line}, column ${where.column}: ${why})`,
      where,
    );
  }
  const { repeated } = scanJson(json);
  if (repeated !== undefined) {
    const where = lineAndColumn(json, repeated.at);
    throw new ModelFileError(
      source,
      repeated.path,
      `appears twice (again at line ${where.line}, column ${where.column}), and only one can be meant`,
      where,
    );
  }
  return checkModel(value, source);
}

/**
 * Predictions `Xw + b` for rows of original-scale features, given row-major (n×d, d the number
 * of weights) or as an array of rows.
 */
export function predict(
  model: { readonly weights: ArrayLike<number>; readonly bias: number },
  X: Float64Array | readonly ArrayLike<number>[],
): Float64Array {
  const { weights, bias } = model;
  const d = weights.length;
  const row = (x: ArrayLike<number>, offset: number): number => {
    let s = bias;
    for (let j = 0; j < d; j++) s += (weights[j] as number) * (x[offset + j] as number);
    return s;
  };
  if (X instanceof Float64Array) {
    if (d === 0 || X.length % d !== 0) {
      throw new RangeError(`${X.length} values are not whole rows of the model's ${d} features`);
    }
    const n = X.length / d;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = row(X, i * d);
    return out;
  }
  const out = new Float64Array(X.length);
  for (const [i, x] of X.entries()) {
    if (x.length !== d) {
      throw new RangeError(`row ${i} has ${x.length} values but the model has ${d} features`);
    }
    out[i] = row(x, 0);
  }
  return out;
}
