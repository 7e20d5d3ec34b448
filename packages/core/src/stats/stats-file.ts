/**
 * Stats files: the float64 sufficient statistics of a data file (or of some of its shards), per
 * fold, as JSON, with everything needed to refuse combining the wrong ones: the data file and
 * its size, the target and feature names, the fold rule, the standardization a fit should use,
 * and which shards of how many the statistics cover. Numbers are written by JSON.stringify,
 * whose shortest round-trip form reads back as the same doubles, so a file loses nothing.
 *
 * Merging adds the parts of disjoint shards fold by fold with the pairwise update of
 * {@link mergeMoments}, in shard order, so the same shard files give the same bits whatever
 * order they are named in.
 */
import { describeValue, quoteForMessage } from "../io/csv.js";
import { type Moments, mergeMoments } from "../solvers/moments.js";
import type { FoldRule } from "./accumulate.js";

export const STATS_FORMAT = "wdecay-stats";
export const STATS_VERSION = 1;

/** What the statistics were computed from. */
export interface StatsSource {
  /** The data file as the user named it (a base name is compared when merging). */
  readonly file: string;
  /** Its size in bytes: shards of different files must not be merged. */
  readonly bytes: number;
  readonly format: "csv" | "parquet";
}

/** The statistics of some shards of a data file. */
export interface StatsFile {
  readonly source: StatsSource;
  readonly target: string;
  readonly features: readonly string[];
  readonly foldRule: FoldRule;
  /** Whether fits from these statistics standardize the features (decided by `stats`). */
  readonly standardize: boolean;
  /** How many shards the file was cut into, and which of them these statistics cover. */
  readonly shards: { readonly count: number; readonly covered: readonly number[] };
  /** Each fold's moments, by fold id ascending (folds without rows are absent). */
  readonly folds: ReadonlyMap<number, Moments>;
}

/** A stats file that cannot be read or merged, naming the file and the field. */
export class StatsFileError extends Error {
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, field: string | undefined, reason: string) {
    super(`${file}: ${field === undefined ? "" : `field ${JSON.stringify(field)} `}${reason}`);
    this.name = "StatsFileError";
    this.file = file;
    this.field = field;
  }
}

/** The statistics as a stats file's text. */
export function serializeStats(stats: StatsFile): string {
  const d = stats.features.length;
  const folds = [...stats.folds.entries()].map(([id, m]) => {
    const upper: number[] = [];
    for (let j = 0; j < d; j++) for (let l = j; l < d; l++) upper.push(m.sxx[j * d + l] as number);
    return {
      fold: id,
      n: m.n,
      xMean: Array.from(m.xMean),
      yMean: m.yMean,
      sxxUpper: upper,
      sxy: Array.from(m.sxy),
      syy: m.syy,
      constant: Array.from(m.constant),
    };
  });
  const object = {
    format: STATS_FORMAT,
    version: STATS_VERSION,
    source: { ...stats.source },
    target: stats.target,
    features: [...stats.features],
    foldRule: { ...stats.foldRule },
    standardize: stats.standardize,
    shards: { count: stats.shards.count, covered: [...stats.shards.covered] },
    rows: folds.reduce((s, f) => s + f.n, 0),
    folds,
  };
  return `${JSON.stringify(object)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Field checks bound to one file. */
class Reader {
  constructor(readonly file: string) {}

  fail(field: string | undefined, reason: string): never {
    throw new StatsFileError(this.file, field, reason);
  }

  object(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
    if (!isRecord(value)) this.fail(path, `must be an object, got ${describeValue(value)}`);
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) {
        this.fail(`${path}.${key}`, `is not part of a stats file (fields: ${keys.join(", ")})`);
      }
    }
    for (const key of keys) {
      if (value[key] === undefined) this.fail(`${path}.${key}`, "is missing");
    }
    return value;
  }

  finite(value: unknown, path: string): number {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.fail(path, `must be a finite number, got ${describeValue(value)}`);
    }
    return value;
  }

  integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      this.fail(path, `must be an integer in [${min}, ${max}], got ${describeValue(value)}`);
    }
    return value as number;
  }

  text(value: unknown, path: string): string {
    if (typeof value !== "string" || value === "") {
      this.fail(path, `must be a non-empty string, got ${describeValue(value)}`);
    }
    return value;
  }

  numbers(value: unknown, path: string, length: number): Float64Array {
    if (!Array.isArray(value))
      this.fail(path, `must be an array of numbers, got ${describeValue(value)}`);
    if (value.length !== length) {
      this.fail(path, `has ${value.length} entries; ${length} expected`);
    }
    const out = new Float64Array(length);
    for (const [i, x] of value.entries()) out[i] = this.finite(x, `${path}[${i}]`);
    return out;
  }
}

const TOP = [
  "format",
  "version",
  "source",
  "target",
  "features",
  "foldRule",
  "standardize",
  "shards",
  "rows",
  "folds",
] as const;
const FOLD = ["fold", "n", "xMean", "yMean", "sxxUpper", "sxy", "syy", "constant"] as const;

function readFoldRule(r: Reader, value: unknown): FoldRule {
  if (!isRecord(value)) r.fail("foldRule", `must be an object, got ${describeValue(value)}`);
  if (value.kind === "none") {
    r.object(value, "foldRule", ["kind"]);
    return { kind: "none" };
  }
  if (value.kind === "hash") {
    const o = r.object(value, "foldRule", ["kind", "folds", "seed"]);
    return {
      kind: "hash",
      folds: r.integer(o.folds, "foldRule.folds", 2, 1000),
      seed: r.integer(o.seed, "foldRule.seed", 0),
    };
  }
  if (value.kind === "column") {
    const o = r.object(value, "foldRule", ["kind", "column"]);
    return { kind: "column", column: r.text(o.column, "foldRule.column") };
  }
  return r.fail(
    "foldRule.kind",
    `must be "none", "hash" or "column", got ${describeValue(value.kind)}`,
  );
}

/**
 * Reads a stats file's text, checking every field: each fold's moments must be those of a set
 * of rows (n ≥ 1, finite, a symmetric Sxx with a non-negative diagonal). Throws
 * {@link StatsFileError} naming `source` and the field at fault.
 */
export function parseStats(text: string, source: string): StatsFile {
  const r: Reader = new Reader(source);
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    r.fail(undefined, `is not valid JSON (${why.replace(/\s+/g, " ")})`);
  }
  if (!isRecord(value)) r.fail(undefined, `must hold a JSON object, got ${describeValue(value)}`);
  if (value.format !== STATS_FORMAT) {
    r.fail(
      "format",
      `must be "${STATS_FORMAT}" (is this a stats file?), got ${describeValue(value.format)}`,
    );
  }
  if (value.version !== STATS_VERSION) {
    r.fail(
      "version",
      `must be ${STATS_VERSION} (this wdecay reads version ${STATS_VERSION}), got ${describeValue(value.version)}`,
    );
  }
  const top = r.object(value, "", TOP);
  const src = r.object(top.source, "source", ["file", "bytes", "format"]);
  if (src.format !== "csv" && src.format !== "parquet") {
    r.fail("source.format", `must be "csv" or "parquet", got ${describeValue(src.format)}`);
  }
  const statsSource: StatsSource = {
    file: r.text(src.file, "source.file"),
    bytes: r.integer(src.bytes, "source.bytes", 0),
    format: src.format,
  };
  const target = r.text(top.target, "target");
  if (!Array.isArray(top.features) || top.features.length === 0) {
    r.fail("features", `must be a non-empty array of names, got ${describeValue(top.features)}`);
  }
  const features = top.features.map((f, j) => r.text(f, `features[${j}]`));
  const seen = new Set<string>([target]);
  for (const [j, name] of features.entries()) {
    if (seen.has(name)) r.fail(`features[${j}]`, `repeats the name ${quoteForMessage(name)}`);
    seen.add(name);
  }
  const d = features.length;
  const foldRule = readFoldRule(r, top.foldRule);
  if (typeof top.standardize !== "boolean") {
    r.fail("standardize", `must be true or false, got ${describeValue(top.standardize)}`);
  }
  const sh = r.object(top.shards, "shards", ["count", "covered"]);
  const count = r.integer(sh.count, "shards.count", 1, 1_000_000);
  if (!Array.isArray(sh.covered) || sh.covered.length === 0) {
    r.fail(
      "shards.covered",
      `must be a non-empty array of shard indices, got ${describeValue(sh.covered)}`,
    );
  }
  const covered = sh.covered.map((s, k) => r.integer(s, `shards.covered[${k}]`, 0, count - 1));
  for (let k = 1; k < covered.length; k++) {
    if ((covered[k] as number) <= (covered[k - 1] as number)) {
      r.fail(`shards.covered[${k}]`, "must be ascending, without repeats");
    }
  }
  if (!Array.isArray(top.folds))
    r.fail("folds", `must be an array, got ${describeValue(top.folds)}`);
  const folds = new Map<number, Moments>();
  let rows = 0;
  for (const [k, raw] of top.folds.entries()) {
    const path = `folds[${k}]`;
    const f = r.object(raw, path, FOLD);
    const id = r.integer(f.fold, `${path}.fold`, Number.MIN_SAFE_INTEGER);
    if (folds.has(id)) r.fail(`${path}.fold`, `repeats fold ${id}`);
    if (foldRule.kind === "none" && id !== 0) {
      r.fail(`${path}.fold`, `must be 0 under the fold rule "none", got ${id}`);
    }
    if (foldRule.kind === "hash" && id >= foldRule.folds) {
      r.fail(`${path}.fold`, `must be below foldRule.folds = ${foldRule.folds}, got ${id}`);
    }
    const n = r.integer(f.n, `${path}.n`, 1);
    const upper = r.numbers(f.sxxUpper, `${path}.sxxUpper`, (d * (d + 1)) / 2);
    const sxx = new Float64Array(d * d);
    let u = 0;
    for (let j = 0; j < d; j++) {
      for (let l = j; l < d; l++) {
        const v = upper[u++] as number;
        if (l === j && v < 0) {
          r.fail(
            `${path}.sxxUpper[${u - 1}]`,
            `is a sum of squares (feature ${quoteForMessage(features[j] as string)}) and cannot be negative, got ${v}`,
          );
        }
        sxx[j * d + l] = v;
        sxx[l * d + j] = v;
      }
    }
    const constantRaw = r.numbers(f.constant, `${path}.constant`, d);
    const constant = new Uint8Array(d);
    for (let j = 0; j < d; j++) {
      const c = constantRaw[j] as number;
      if (c !== 0 && c !== 1) r.fail(`${path}.constant[${j}]`, `must be 0 or 1, got ${c}`);
      constant[j] = c;
    }
    const syy = r.finite(f.syy, `${path}.syy`);
    if (syy < 0) r.fail(`${path}.syy`, `is a sum of squares and cannot be negative, got ${syy}`);
    folds.set(id, {
      n,
      d,
      xMean: r.numbers(f.xMean, `${path}.xMean`, d),
      yMean: r.finite(f.yMean, `${path}.yMean`),
      sxx,
      sxy: r.numbers(f.sxy, `${path}.sxy`, d),
      syy,
      constant,
    });
    rows += n;
  }
  const total = r.integer(top.rows, "rows", 0);
  if (total !== rows) r.fail("rows", `is ${total} but the folds hold ${rows} rows`);
  const ids = [...folds.keys()].sort((a, b) => a - b);
  return {
    source: statsSource,
    target,
    features,
    foldRule,
    standardize: top.standardize,
    shards: { count, covered },
    folds: new Map(ids.map((id) => [id, folds.get(id) as Moments])),
  };
}

function describeRule(rule: FoldRule): string {
  if (rule.kind === "none") return "no folds";
  if (rule.kind === "hash") return `${rule.folds} hashed folds, seed ${rule.seed}`;
  return `folds from column ${quoteForMessage(rule.column)}`;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).at(-1) ?? path;
}

/**
 * Adds the statistics of disjoint shards of one data file. Refuses, naming both files: a
 * different data file (base name or size), target, features (names or order), fold rule,
 * standardization or shard count, and a shard covered twice.
 */
export function mergeStats(files: readonly { stats: StatsFile; name: string }[]): StatsFile {
  const first = files[0];
  if (first === undefined) throw new RangeError("mergeStats needs at least one stats file");
  const a = first.stats;
  const owner = new Map<number, string>();
  for (const { stats: b, name } of files) {
    const clash = (what: string, x: string, y: string) =>
      new StatsFileError(
        name,
        undefined,
        `cannot be merged with ${first.name}: ${what} ${y} here, ${x} there`,
      );
    if (baseName(b.source.file) !== baseName(a.source.file) || b.source.bytes !== a.source.bytes) {
      throw clash(
        "the data file is",
        `${quoteForMessage(a.source.file)} (${a.source.bytes} bytes)`,
        `${quoteForMessage(b.source.file)} (${b.source.bytes} bytes)`,
      );
    }
    if (b.source.format !== a.source.format) {
      throw clash("the data format is", a.source.format, b.source.format);
    }
    if (b.target !== a.target) {
      throw clash("the target is", quoteForMessage(a.target), quoteForMessage(b.target));
    }
    if (b.features.join("\u0000") !== a.features.join("\u0000")) {
      throw clash(
        "the features are",
        a.features.map((f) => quoteForMessage(f)).join(","),
        b.features.map((f) => quoteForMessage(f)).join(","),
      );
    }
    if (describeRule(b.foldRule) !== describeRule(a.foldRule)) {
      throw clash("the fold rule is", describeRule(a.foldRule), describeRule(b.foldRule));
    }
    if (b.standardize !== a.standardize) {
      throw clash("standardize is", String(a.standardize), String(b.standardize));
    }
    if (b.shards.count !== a.shards.count) {
      throw clash("the shard count is", String(a.shards.count), String(b.shards.count));
    }
    for (const s of b.shards.covered) {
      const other = owner.get(s);
      if (other !== undefined) {
        throw new StatsFileError(
          name,
          undefined,
          `covers shard ${s} of ${a.shards.count}, which ${other} covers too; each shard must be merged once`,
        );
      }
      owner.set(s, name);
    }
  }
  // Shard order, whatever order the files came in.
  const ordered = [...files].sort(
    (x, y) => (x.stats.shards.covered[0] as number) - (y.stats.shards.covered[0] as number),
  );
  const ids = new Set<number>();
  for (const { stats } of ordered) for (const id of stats.folds.keys()) ids.add(id);
  const folds = new Map<number, Moments>();
  for (const id of [...ids].sort((x, y) => x - y)) {
    const parts = ordered.flatMap(({ stats }) => {
      const m = stats.folds.get(id);
      return m === undefined ? [] : [m];
    });
    folds.set(id, mergeMoments(parts));
  }
  return {
    ...a,
    shards: { count: a.shards.count, covered: [...owner.keys()].sort((x, y) => x - y) },
    folds,
  };
}

/**
 * Throws unless the statistics cover every shard (a fit from part of the data would be a
 * silently different answer), naming the missing ones.
 */
export function checkComplete(stats: StatsFile, name: string): void {
  const { count, covered } = stats.shards;
  if (covered.length === count) return;
  const have = new Set(covered);
  const missing = Array.from({ length: count }, (_, s) => s).filter((s) => !have.has(s));
  const list = missing.length > 8 ? `${missing.slice(0, 8).join(", ")}, …` : missing.join(", ");
  throw new StatsFileError(
    name,
    "shards",
    `covers ${covered.length} of ${count} shards; merge the missing ones first (wdecay merge): ${list}`,
  );
}

/** All the folds' moments merged: the statistics of every row. */
export function allRows(stats: StatsFile): Moments {
  const parts = [...stats.folds.values()];
  if (parts.length === 0) throw new RangeError("the statistics hold no rows");
  return mergeMoments(parts);
}
