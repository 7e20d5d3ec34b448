/**
 * Writes issue 15's benchmark files, a data set larger than memory as CSV and as Parquet:
 *
 *   node --conditions=@wdecay/source --import tsx tooling/bench/src/make-big-data.ts \
 *     --rows 10000000 --cols 100 --out DIR
 *
 * gives `DIR/big.csv` and `DIR/big.parquet` (never commit them: 10 M rows are about 10 GB of
 * CSV and 8 GB of Parquet). Columns `x1 … xD` and the target `y`, seeded (--seed, default 42):
 *   x_j = z_j + 0.5·z_{j−1} with z ~ N(0, 1) (neighbours correlated, as in `tabular`),
 *   y   = 3 + Σ_{j ≤ 10} j·x_j + N(0, 4²),
 * every value rounded to a multiple of 10⁻⁶ (7 or 8 significant digits for these scales).
 *
 * The two files hold the same numbers bit for bit: a CSV cell is printed as the exact decimal
 * `k·10⁻⁶` (`-1.234567`), which a reader parses to the double nearest to it, and the Parquet file
 * stores `k / 1e6`, which is that same double (both numbers are exact and IEEE division rounds
 * correctly). So a fit on either file gives the same answer, and the time to read each compares
 * like with like. Parquet columns are therefore DOUBLE (float64) by default: FLOAT (float32, with
 * --type float32) would round these 7–8-digit values to about 7 digits and the two files would
 * no longer agree; the models fit in float64 anyway. Columns are REQUIRED (no nulls), SNAPPY
 * compressed (the common default; --codec uncompressed to skip it), in row groups of --row-group
 * rows (default 100,000: one row group of 101 float64 columns is 80 MB decoded, the most a
 * streaming reader holds).
 *
 * Memory is one row group's columns plus an 8 MB text buffer, whatever --rows is: rows are drawn
 * a row group at a time, printed into the buffer (written out whenever it fills) and handed to
 * hyparquet-writer's ParquetWriter, which appends each row group to the file as it is written.
 * Progress goes to stderr.
 */
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Rng } from "@wdecay/core";
import { fileWriter, ParquetWriter, type SchemaElement } from "hyparquet-writer";

/** Decimal places of every value: values are multiples of 10⁻⁶. */
export const DECIMALS = 6;
const SCALE = 10 ** DECIMALS;

/** Options of {@link makeBigData}. */
export interface BigDataOptions {
  readonly rows: number;
  /** Feature columns x1 … x{cols}; the file has cols + 1 columns with y. */
  readonly cols: number;
  readonly seed: number;
  /** Rows per Parquet row group, and per batch drawn. */
  readonly rowGroup: number;
  /** Parquet's physical type: DOUBLE for float64, FLOAT for float32. */
  readonly type: "float64" | "float32";
  readonly codec: "SNAPPY" | "UNCOMPRESSED";
  /** Where to write the CSV file; none when undefined. */
  readonly csv?: string;
  /** Where to write the Parquet file; none when undefined. */
  readonly parquet?: string;
  /** Called after each row group with the rows written so far. */
  readonly progress?: (rows: number) => void;
}

/** The column names: x1 … x{cols}, then y. */
export function bigDataColumns(cols: number): string[] {
  return [...Array.from({ length: cols }, (_, j) => `x${j + 1}`), "y"];
}

/**
 * Draws `n` rows into `columns` (cols + 1 arrays of at least n: x1 … x{cols}, y), continuing
 * `rng`'s stream, with every value a multiple of 10⁻⁶ (see the module comment). Exported for
 * tests, which recompute the values a file should hold.
 */
export function drawRows(rng: Rng, n: number, columns: readonly Float64Array[]): void {
  const cols = columns.length - 1;
  const z = new Float64Array(cols);
  const y = columns[cols] as Float64Array;
  for (let i = 0; i < n; i++) {
    rng.fillNormal(z);
    let target = 3 + 4 * rng.normal();
    for (let j = 0; j < cols; j++) {
      const x = (z[j] as number) + (j > 0 ? 0.5 * (z[j - 1] as number) : 0);
      // + 0 turns −0 into 0, which the CSV prints as "0.000000" and a reader parses to +0.
      const v = (Math.round(x * SCALE) + 0) / SCALE;
      (columns[j] as Float64Array)[i] = v;
      if (j < 10) target += (j + 1) * v;
    }
    y[i] = (Math.round(target * SCALE) + 0) / SCALE;
  }
}

const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const COMMA = 0x2c;
const LF = 0x0a;

/** A text file written through one large buffer. */
class BufferedFile {
  private readonly fd: number;
  private readonly buffer: Buffer;
  private at = 0;
  bytes = 0;

  constructor(path: string, size = 8 << 20) {
    this.fd = openSync(path, "w");
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** Room for `n` more bytes, flushing first when needed. */
  reserve(n: number): Buffer {
    if (this.at + n > this.buffer.length) this.flush();
    return this.buffer;
  }

  get position(): number {
    return this.at;
  }

  set position(p: number) {
    this.at = p;
  }

  ascii(text: string): void {
    const b = this.reserve(text.length);
    this.at += b.write(text, this.at, "latin1");
  }

  flush(): void {
    let done = 0;
    while (done < this.at) done += writeSync(this.fd, this.buffer, done, this.at - done);
    this.bytes += this.at;
    this.at = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Prints `v` (a multiple of 10⁻⁶) as its exact decimal with 6 places into `buffer` at `p`;
 * returns where it ends. Exported for tests.
 */
export function printFixed(buffer: Buffer, p: number, v: number): number {
  let k = Math.round(v * SCALE);
  if (k < 0) {
    buffer[p++] = MINUS;
    k = -k;
  }
  let whole = Math.floor(k / SCALE);
  let frac = k - whole * SCALE;
  // The integer part, most significant digit first.
  if (whole === 0) {
    buffer[p++] = ZERO;
  } else {
    let digits = 0;
    for (let w = whole; w > 0; w = Math.floor(w / 10)) digits++;
    for (let d = digits - 1; d >= 0; d--) {
      buffer[p + d] = ZERO + (whole % 10);
      whole = Math.floor(whole / 10);
    }
    p += digits;
  }
  buffer[p++] = DOT;
  for (let d = DECIMALS - 1; d >= 0; d--) {
    buffer[p + d] = ZERO + (frac % 10);
    frac = Math.floor(frac / 10);
  }
  return p + DECIMALS;
}

/** Writes the files; returns their sizes in bytes. Memory: one row group (see the module comment). */
export async function makeBigData(
  options: BigDataOptions,
): Promise<{ csvBytes: number; parquetBytes: number }> {
  const { rows, cols, rowGroup } = options;
  const names = bigDataColumns(cols);
  const rng = new Rng(options.seed);
  const columns = names.map(() => new Float64Array(rowGroup));
  const narrow = options.type === "float32" ? names.map(() => new Float32Array(rowGroup)) : [];

  const csv = options.csv === undefined ? undefined : new BufferedFile(options.csv);
  csv?.ascii(`${names.join(",")}\n`);
  const schema: SchemaElement[] = [
    { name: "root", num_children: names.length },
    ...names.map(
      (name): SchemaElement => ({
        name,
        type: options.type === "float32" ? "FLOAT" : "DOUBLE",
        repetition_type: "REQUIRED",
      }),
    ),
  ];
  const parquet =
    options.parquet === undefined
      ? undefined
      : new ParquetWriter({
          writer: fileWriter(options.parquet),
          schema,
          codec: options.codec,
          createdBy: "wdecay make-big-data",
        });

  // The longest cell: sign, 16 integer digits (|y| < 10^16 by far), dot, 6 decimals, comma.
  const rowBytes = names.length * 25 + 1;
  for (let start = 0; start < rows; start += rowGroup) {
    const n = Math.min(rowGroup, rows - start);
    drawRows(rng, n, columns);
    if (csv !== undefined) {
      for (let i = 0; i < n; i++) {
        const buffer = csv.reserve(rowBytes);
        let p = csv.position;
        for (let j = 0; j < names.length; j++) {
          if (j > 0) buffer[p++] = COMMA;
          p = printFixed(buffer, p, (columns[j] as Float64Array)[i] as number);
        }
        buffer[p++] = LF;
        csv.position = p;
      }
    }
    if (parquet !== undefined) {
      const data = options.type === "float32" ? narrow : columns;
      if (options.type === "float32") {
        for (const [j, c] of columns.entries()) (narrow[j] as Float32Array).set(c);
      }
      await parquet.write({
        columnData: names.map((name, j) => ({
          name,
          data:
            n === rowGroup ? (data[j] as Float64Array) : (data[j] as Float64Array).subarray(0, n),
        })),
        rowGroupSize: rowGroup,
      });
    }
    options.progress?.(start + n);
  }
  csv?.close();
  await parquet?.finish();
  return {
    csvBytes: csv?.bytes ?? 0,
    parquetBytes: options.parquet === undefined ? 0 : statSync(options.parquet).size,
  };
}

const USAGE = `usage: node --conditions=@wdecay/source --import tsx tooling/bench/src/make-big-data.ts [options]
  --rows N        data rows (default 10000000)
  --cols D        feature columns x1 … xD, plus the target y (default 100)
  --out DIR       where big.csv and big.parquet go (required; the directory must exist)
  --seed S        the generator's seed (default 42)
  --row-group R   rows per Parquet row group (default 100000)
  --type T        float64 | float32: the Parquet columns' type (default float64, see the
                  module comment: only float64 holds exactly the CSV's numbers)
  --codec C       snappy | uncompressed (default snappy)
  --only F        csv | parquet: write only that file`;

function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string" },
      cols: { type: "string" },
      out: { type: "string" },
      seed: { type: "string" },
      "row-group": { type: "string" },
      type: { type: "string" },
      codec: { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.out === undefined) throw new Error(`--out DIR is required\n${USAGE}`);
  const type = values.type ?? "float64";
  if (type !== "float64" && type !== "float32") throw new Error("--type is float64 or float32");
  const codec = (values.codec ?? "snappy").toUpperCase();
  if (codec !== "SNAPPY" && codec !== "UNCOMPRESSED") {
    throw new Error("--codec is snappy or uncompressed");
  }
  if (values.only !== undefined && values.only !== "csv" && values.only !== "parquet") {
    throw new Error("--only is csv or parquet");
  }
  const rows = positiveInteger("--rows", values.rows, 10_000_000);
  const cols = positiveInteger("--cols", values.cols, 100);
  const rowGroup = positiveInteger("--row-group", values["row-group"], 100_000);
  const seed = Number(values.seed ?? 42);
  const csvPath = values.only === "parquet" ? undefined : join(values.out, "big.csv");
  const parquetPath = values.only === "csv" ? undefined : join(values.out, "big.parquet");
  const started = performance.now();
  let last = 0;
  const result = await makeBigData({
    rows,
    cols,
    seed,
    rowGroup,
    type,
    codec,
    ...(csvPath === undefined ? {} : { csv: csvPath }),
    ...(parquetPath === undefined ? {} : { parquet: parquetPath }),
    progress: (done) => {
      const now = performance.now();
      if (now - last < 1000 && done < rows) return;
      last = now;
      const seconds = (now - started) / 1000;
      const eta = (seconds / done) * (rows - done);
      process.stderr.write(
        `\r${done.toLocaleString("en")} / ${rows.toLocaleString("en")} rows (${((100 * done) / rows).toFixed(0)}%), ${Math.round(done / seconds).toLocaleString("en")} rows/s, ${eta.toFixed(0)} s left   `,
      );
    },
  });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write("\n");
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  if (csvPath !== undefined) process.stdout.write(`${csvPath}: ${mb(result.csvBytes)} MB\n`);
  if (parquetPath !== undefined) {
    process.stdout.write(
      `${parquetPath}: ${mb(result.parquetBytes)} MB (${type === "float64" ? "DOUBLE" : "FLOAT"}, ${codec}, row groups of ${rowGroup} rows)\n`,
    );
  }
  process.stdout.write(`${rows} rows × ${cols + 1} columns in ${seconds.toFixed(1)} s\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`make-big-data: ${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 1;
  });
}
