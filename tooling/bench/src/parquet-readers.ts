/**
 * Which library should read Parquet for `wdecay` on Node (issue 15): every candidate reads the
 * same files into what the CLI needs, row-major Float64Array blocks of 4096 rows, one row group
 * at a time where the library allows it, each in a fresh process so that its peak RSS is its
 * own. Run from the repository root:
 *
 *   node --conditions=@wdecay/source --import tsx tooling/bench/src/parquet-readers.ts \
 *     [--rows 1000000] [--cols 100] [--runs 3] [--dir /tmp/wdecay-parquet-bench]
 *
 * The files (made once, kept in --dir) are make-big-data.ts's table, x1 … x{cols} and y:
 * - `f64.parquet`: DOUBLE, REQUIRED, SNAPPY, row groups of 100,000 rows (hyparquet-writer);
 * - `f32.parquet`: the same as FLOAT;
 * - `f64-duckdb.parquet` and `f64-duckdb-zstd.parquet`: f64.parquet rewritten by DuckDB (its
 *   own encoders, OPTIONAL columns and v1 pages as most writers in the wild, SNAPPY or ZSTD);
 * - `big.csv`: the same numbers as CSV, read by core's CsvRowStream for comparison.
 * Every reader's blocks are summed in one order; the sums must agree bit for bit across readers
 * (the float32 file has its own). Markdown on stdout, progress on stderr.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openAsBlob, statSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { CsvBlock } from "@wdecay/core";
import type { AsyncBuffer, ColumnData, FileMetaData } from "hyparquet";

// Every library is imported where it is used, so that a child process's peak RSS is its
// reader's alone (plus Node's and tsx's, the same for all).

const BLOCK_ROWS = 4096;
const SELF = fileURLToPath(import.meta.url);

type Values = ArrayLike<number | bigint | boolean | null>;

/** Row-major blocks from columns handed over a row range at a time. */
class Blocks {
  private block: Float64Array;
  private fill = 0;
  rows = 0;
  sum = 0;

  constructor(private readonly width: number) {
    this.block = new Float64Array(BLOCK_ROWS * width);
  }

  /** Rows [0, n) of `columns` (one array per column, each at least n long). */
  add(columns: readonly Values[], n: number): void {
    const { width } = this;
    for (let r = 0; r < n; ) {
      const take = Math.min(n - r, BLOCK_ROWS - this.fill);
      for (let j = 0; j < width; j++) {
        const column = columns[j] as Values;
        let at = this.fill * width + j;
        for (let k = r; k < r + take; k++, at += width) this.block[at] = Number(column[k]);
      }
      this.fill += take;
      r += take;
      if (this.fill === BLOCK_ROWS) this.emit();
    }
  }

  /** A block filled in place by the caller: `rowOf` is the next free row. */
  get rowOf(): number {
    return this.fill;
  }

  get buffer(): Float64Array {
    return this.block;
  }

  advance(): void {
    if (++this.fill === BLOCK_ROWS) this.emit();
  }

  emit(): void {
    // What a consumer would see: the block's values, summed in row-major order.
    const n = this.fill * this.width;
    let s = this.sum;
    for (let k = 0; k < n; k++) s += this.block[k] as number;
    this.sum = s;
    this.rows += this.fill;
    this.fill = 0;
    this.block = new Float64Array(BLOCK_ROWS * this.width);
  }

  finish(): void {
    if (this.fill > 0) this.emit();
  }
}

/** A file as hyparquet's AsyncBuffer: positional reads into fresh ArrayBuffers. */
async function fileBuffer(path: string): Promise<AsyncBuffer & { close(): Promise<void> }> {
  const handle = await open(path, "r");
  const { size } = await handle.stat();
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) throw new Error("unexpected end of file");
        done += bytesRead;
      }
      return out.buffer;
    },
    close: () => handle.close(),
  };
}

/** hyparquet: one row group at a time with parquetRead's rowStart/rowEnd and onChunk. */
async function readHyparquet(path: string, withCompressors: boolean): Promise<Blocks> {
  const { parquetMetadataAsync, parquetRead, parquetSchema } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  const file = await fileBuffer(path);
  try {
    const metadata: FileMetaData = await parquetMetadataAsync(file);
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    const index = new Map(names.map((n, j) => [n, j]));
    const blocks = new Blocks(names.length);
    let start = 0;
    for (const group of metadata.row_groups) {
      const n = Number(group.num_rows);
      const parts: ColumnData[][] = names.map(() => []);
      await parquetRead({
        file,
        metadata,
        rowStart: start,
        rowEnd: start + n,
        columns: names,
        ...(withCompressors ? { compressors } : {}),
        onChunk: (chunk) => parts[index.get(chunk.columnName) as number]?.push(chunk),
      });
      const columns = parts.map((list) => {
        if (list.length === 1 && (list[0] as ColumnData).rowStart === start) {
          return (list[0] as ColumnData).columnData as Values;
        }
        const out = new Float64Array(n);
        for (const c of list) {
          for (let k = 0; k < c.columnData.length; k++) {
            out[c.rowStart - start + k] = Number(c.columnData[k]);
          }
        }
        return out;
      });
      blocks.add(columns, n);
      start += n;
    }
    blocks.finish();
    return blocks;
  } finally {
    await file.close();
  }
}

/** parquet-wasm (Rust arrow-rs in WebAssembly): a row group at a time, to JS through Arrow IPC. */
async function readParquetWasm(path: string): Promise<Blocks> {
  const { ParquetFile } = await import("parquet-wasm");
  const { tableFromIPC } = await import("apache-arrow");
  const file = await ParquetFile.fromFile(await openAsBlob(path));
  const meta = file.metadata();
  const groups = meta.numRowGroups();
  let blocks: Blocks | undefined;
  for (let g = 0; g < groups; g++) {
    const rows = meta.rowGroup(g).numRows();
    const wasmTable = await file.read({ rowGroups: [g], batchSize: rows });
    const table = tableFromIPC(wasmTable.intoIPCStream());
    blocks ??= new Blocks(table.numCols);
    let offset = 0;
    for (const batch of table.batches) {
      const columns = batch.schema.fields.map(
        (_, j) => batch.getChildAt(j)?.data[0]?.values as Values,
      );
      blocks.add(columns, batch.numRows);
      offset += batch.numRows;
    }
    if (offset !== rows) throw new Error(`row group ${g}: ${offset} rows, expected ${rows}`);
  }
  meta.free();
  file.free();
  if (blocks === undefined) throw new Error("no row groups");
  blocks.finish();
  return blocks;
}

/** DuckDB (native): one streaming query, 2048-row chunks straight into the blocks. */
async function readDuckdb(path: string): Promise<Blocks> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const result = await connection.stream(
    `SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`,
  );
  const width = result.columnCount;
  const blocks = new Blocks(width);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const vectors = Array.from({ length: width }, (_, j) => chunk.getColumnVector(j));
    for (let i = 0; i < chunk.rowCount; i++) {
      const base = blocks.rowOf * width;
      const out = blocks.buffer;
      for (let j = 0; j < width; j++) out[base + j] = Number(vectors[j]?.getItem(i));
      blocks.advance();
    }
  }
  blocks.finish();
  connection.closeSync();
  instance.closeSync();
  return blocks;
}

/** core's streaming CSV reader on the same numbers, for comparison. */
async function readCsv(path: string): Promise<Blocks> {
  const { CsvRowStream, csvHeaderOfBytes, feedCsvRows, resolveCsvColumns } = await import(
    "@wdecay/core"
  );
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(1 << 20);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const header = csvHeaderOfBytes(head.subarray(0, bytesRead), path, false);
    if (header === undefined) throw new Error("header longer than 1 MB");
    const target = header.header.at(-1) as string;
    const columns = resolveCsvColumns(header.header, header.line, { source: path, target });
    const blocks = new Blocks(header.header.length);
    const stream = new CsvRowStream({
      source: path,
      columns,
      firstLine: header.nextLine,
      blockRows: BLOCK_ROWS,
      onBlock: (block: CsvBlock) => {
        // Same order as the Parquet readers' blocks: x1 … x{d}, then y, row by row.
        const { d, X, y } = block;
        for (let i = 0; i < block.n; i++) {
          const out = blocks.buffer;
          const base = blocks.rowOf * (d + 1);
          for (let j = 0; j < d; j++) out[base + j] = X[i * d + j] as number;
          out[base + d] = y[i] as number;
          blocks.advance();
        }
      },
    });
    async function* chunks(): AsyncGenerator<Uint8Array> {
      let position = header?.byteEnd ?? 0;
      for (;;) {
        const buffer = new Uint8Array(1 << 22);
        const { bytesRead: got } = await handle.read(buffer, 0, buffer.length, position);
        if (got === 0) return;
        position += got;
        yield buffer.subarray(0, got);
      }
    }
    await feedCsvRows(chunks(), stream);
    blocks.finish();
    return blocks;
  } finally {
    await handle.close();
  }
}

/** What this commit's `wdecay` reads Parquet with: apps/cli/src/io/parquet.ts's openParquet. */
async function readWdecay(path: string): Promise<{ rows: number; sum: number }> {
  const { openParquet } = await import("../../../apps/cli/src/io/parquet.js");
  const source = await openParquet(path, { target: "y" });
  let rows = 0;
  let sum = 0;
  try {
    for await (const block of source.blocks(undefined, BLOCK_ROWS)) {
      // The other readers' order: each row's x1 … x{d}, then its y.
      const { n, d, X, y } = block;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) sum += X[i * d + j] as number;
        sum += y[i] as number;
      }
      rows += n;
    }
  } finally {
    await source.close();
  }
  return { rows, sum };
}

const READERS = {
  wdecay: readWdecay,
  hyparquet: (p: string) => readHyparquet(p, true),
  "hyparquet-js-snappy": (p: string) => readHyparquet(p, false),
  "parquet-wasm": readParquetWasm,
  duckdb: readDuckdb,
  csv: readCsv,
} as const;
type ReaderName = keyof typeof READERS;

/** Each reader's libraries, loaded (and timed) before its read is timed. */
const LOAD: Record<ReaderName, () => Promise<unknown>> = {
  wdecay: () => import("../../../apps/cli/src/io/parquet.js"),
  hyparquet: () => Promise.all([import("hyparquet"), import("hyparquet-compressors")]),
  "hyparquet-js-snappy": () => import("hyparquet"),
  "parquet-wasm": () => Promise.all([import("parquet-wasm"), import("apache-arrow")]),
  duckdb: () => import("@duckdb/node-api"),
  csv: () => import("@wdecay/core"),
};

interface ChildResult {
  /** Milliseconds to import the reader's libraries. */
  readonly loadMs: number;
  readonly rows: number;
  readonly seconds: number;
  readonly sum: number;
  readonly maxRssMb: number;
}

/** In the child process: one read, its time and peak RSS as JSON on stdout. */
async function child(reader: ReaderName, path: string): Promise<void> {
  const loading = performance.now();
  await LOAD[reader]();
  const start = performance.now();
  const blocks = await READERS[reader](path);
  const seconds = (performance.now() - start) / 1000;
  const result: ChildResult = {
    loadMs: start - loading,
    rows: blocks.rows,
    seconds,
    sum: blocks.sum,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(reader: ReaderName, path: string): ChildResult {
  const out = spawnSync(
    process.execPath,
    ["--conditions=@wdecay/source", "--import", "tsx", SELF, "--child", reader, path],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (out.status !== 0) {
    throw new Error(`${reader} on ${path} exited ${out.status}: ${out.stderr.trim().slice(-2000)}`);
  }
  return JSON.parse(out.stdout.trim().split("\n").at(-1) as string) as ChildResult;
}

async function makeFiles(dir: string, rows: number, cols: number, log: (s: string) => void) {
  const { makeBigData } = await import("./make-big-data.js");
  const { DuckDBInstance } = await import("@duckdb/node-api");
  mkdirSync(dir, { recursive: true });
  const f64 = join(dir, "f64.parquet");
  const f32 = join(dir, "f32.parquet");
  const csv = join(dir, "big.csv");
  const base = { rows, cols, seed: 42, rowGroup: 100_000, codec: "SNAPPY" } as const;
  if (!existsSync(f64) || !existsSync(csv)) {
    log(`writing ${csv} and ${f64}`);
    await makeBigData({ ...base, type: "float64", csv, parquet: f64 });
  }
  if (!existsSync(f32)) {
    log(`writing ${f32}`);
    await makeBigData({ ...base, type: "float32", parquet: f32 });
  }
  const duck = {
    snappy: join(dir, "f64-duckdb.parquet"),
    zstd: join(dir, "f64-duckdb-zstd.parquet"),
  };
  for (const [codec, path] of Object.entries(duck)) {
    if (existsSync(path)) continue;
    log(`writing ${path}`);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM read_parquet('${f64}')) TO '${path}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 100000)`,
    );
    connection.closeSync();
    instance.closeSync();
  }
  return { f64, f32, duckSnappy: duck.snappy, duckZstd: duck.zstd, csv };
}

async function packageVersion(name: string): Promise<string> {
  const here = join(SELF, "..", "..", "node_modules", name, "package.json");
  return (JSON.parse(await readFile(here, "utf8")) as { version: string }).version;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string" },
      cols: { type: "string" },
      runs: { type: "string" },
      dir: { type: "string" },
      child: { type: "string" },
      only: { type: "string" },
    },
    allowPositionals: true,
    strict: false,
  });
  if (typeof values.child === "string") {
    const path = process.argv.at(-1) as string;
    await child(values.child as ReaderName, path);
    return;
  }
  const rows = Number(values.rows ?? 1_000_000);
  const cols = Number(values.cols ?? 100);
  const runs = Number(values.runs ?? 3);
  const dir = String(values.dir ?? "/tmp/wdecay-parquet-bench");
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const files = await makeFiles(dir, rows, cols, log);
  const plan: [ReaderName, keyof typeof files][] = [
    ["wdecay", "f64"],
    ["wdecay", "f32"],
    ["wdecay", "duckSnappy"],
    ["wdecay", "duckZstd"],
    ["hyparquet", "f64"],
    ["hyparquet-js-snappy", "f64"],
    ["parquet-wasm", "f64"],
    ["duckdb", "f64"],
    ["hyparquet", "f32"],
    ["hyparquet-js-snappy", "f32"],
    ["parquet-wasm", "f32"],
    ["duckdb", "f32"],
    ["hyparquet", "duckSnappy"],
    ["parquet-wasm", "duckSnappy"],
    ["duckdb", "duckSnappy"],
    ["hyparquet", "duckZstd"],
    ["parquet-wasm", "duckZstd"],
    ["duckdb", "duckZstd"],
    ["csv", "csv"],
  ];
  const only = typeof values.only === "string" ? new Set(values.only.split(",")) : undefined;
  const versions: Record<string, string> = {};
  for (const name of [
    "hyparquet",
    "hyparquet-compressors",
    "parquet-wasm",
    "apache-arrow",
    "@duckdb/node-api",
  ]) {
    versions[name] = await packageVersion(name);
  }
  const lines = [
    `${rows.toLocaleString("en")} rows × ${cols + 1} columns, ${runs} runs each (the fastest shown; peak RSS of that run), Node ${process.version}`,
    "",
    "| reader | file | MB | rows/s | MB/s | peak RSS MB | import ms | sum |",
    "|---|---|--:|--:|--:|--:|--:|---|",
  ];
  for (const [reader, key] of plan) {
    if (only !== undefined && !only.has(reader)) continue;
    const path = files[key];
    const mb = statSync(path).size / 1e6;
    let best: ChildResult | undefined;
    for (let r = 0; r < runs; r++) {
      const result = runChild(reader, path);
      if (result.rows !== rows) throw new Error(`${reader} read ${result.rows} rows of ${rows}`);
      if (best === undefined || result.seconds < best.seconds) best = result;
      log(`${reader} ${key}: ${result.seconds.toFixed(2)} s, ${result.maxRssMb.toFixed(0)} MB`);
    }
    const b = best as ChildResult;
    lines.push(
      `| ${reader} | ${key} | ${mb.toFixed(0)} | ${Math.round(rows / b.seconds).toLocaleString("en")} | ${(mb / b.seconds).toFixed(0)} | ${b.maxRssMb.toFixed(0)} | ${b.loadMs.toFixed(0)} | ${b.sum} |`,
    );
  }
  lines.push(
    "",
    `Versions: ${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`parquet-readers: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});
