/**
 * The CSV readers issue 15 asked to compare, on one file of numbers (make-big-data.ts's, or any
 * CSV whose every cell is a number): each reads every row into float64 values (not strings),
 * streaming, and the table gives MB/s, rows/s and peak RSS (the kernel's VmHWM of a fresh
 * process per reader), and a checksum of every value so that they are seen to read the same
 * numbers.
 *
 *   node --conditions=@wdecay/source --import tsx tooling/bench/src/csv-readers.ts FILE
 *
 * Readers: core's CsvRowStream (bytes → float64 blocks, the one wdecay ships), csv-parse's
 * streaming parser with `cast` (the most used Node CSV library), Papa Parse's streaming step
 * mode with `dynamicTyping`, and DuckDB's `read_csv` (native, multi-threaded) through
 * @duckdb/node-api's streaming result.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, statSync } from "node:fs";
import { open } from "node:fs/promises";

type Reader = (path: string) => Promise<{ rows: number; sum: number }>;

/** Σ of every value by Neumaier's compensated sum: the same to the last bit in any order, here. */
class Checksum {
  private s = 0;
  private c = 0;
  add(v: number): void {
    const t = this.s + v;
    this.c += Math.abs(this.s) >= Math.abs(v) ? this.s - t + v : v - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

const READERS: Record<string, Reader> = {
  async wdecay(path) {
    const { CsvRowStream, csvHeaderOfBytes, feedCsvRows, resolveCsvColumns } = await import(
      "@wdecay/core"
    );
    const handle = await open(path, "r");
    const head = new Uint8Array(1 << 20);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    await handle.close();
    const header = csvHeaderOfBytes(head.subarray(0, bytesRead), path, false);
    if (header === undefined) throw new Error("header longer than 1 MB");
    const target = header.header.at(-1) as string;
    const columns = resolveCsvColumns(header.header, header.line, { source: path, target });
    const sum = new Checksum();
    const stream = new CsvRowStream({
      source: path,
      columns,
      firstLine: header.nextLine,
      onBlock: (block) => {
        for (const v of block.X) sum.add(v);
        for (const v of block.y) sum.add(v);
      },
    });
    await feedCsvRows(
      createReadStream(path, { start: header.byteEnd, highWaterMark: 4 << 20 }),
      stream,
    );
    return { rows: stream.rows, sum: sum.value };
  },
  async "csv-parse"(path) {
    const { parse } = await import("csv-parse");
    let rows = 0;
    const sum = new Checksum();
    const parser = createReadStream(path, { highWaterMark: 4 << 20 }).pipe(
      parse({ from_line: 2, cast: true }),
    );
    for await (const record of parser as AsyncIterable<number[]>) {
      rows++;
      for (const v of record) sum.add(v);
    }
    return { rows, sum: sum.value };
  },
  async papaparse(path) {
    const Papa = (await import("papaparse")).default;
    let rows = 0;
    const sum = new Checksum();
    await new Promise<void>((resolve, reject) => {
      Papa.parse(createReadStream(path, { highWaterMark: 4 << 20 }) as unknown as File, {
        header: false,
        dynamicTyping: true,
        skipEmptyLines: true,
        step: (result: { data: unknown[] }) => {
          if (rows++ === 0) return; // the header
          for (const v of result.data) sum.add(v as number);
        },
        complete: () => resolve(),
        error: (error: Error) => reject(error),
      });
    });
    return { rows: rows - 1, sum: sum.value };
  },
  async duckdb(path) {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    const result = await connection.stream(
      `SELECT * FROM read_csv('${path.replaceAll("'", "''")}', header = true, all_varchar = false)`,
    );
    let rows = 0;
    const sum = new Checksum();
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const width = chunk.columnCount;
      for (let j = 0; j < width; j++) {
        const vector = chunk.getColumnVector(j);
        for (let i = 0; i < chunk.rowCount; i++) sum.add(Number(vector.getItem(i)));
      }
      rows += chunk.rowCount;
    }
    connection.closeSync();
    instance.closeSync();
    return { rows, sum: sum.value };
  },
};

const [, , path, only] = process.argv;
if (path === undefined) {
  process.stderr.write("usage: csv-readers.ts FILE\n");
  process.exit(2);
}

if (only !== undefined) {
  // Child: one reader, its result on stdout as JSON.
  const reader = READERS[only];
  if (reader === undefined) throw new Error(`unknown reader ${only}`);
  const start = performance.now();
  const { rows, sum } = await reader(path);
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(`${JSON.stringify({ rows, sum, seconds })}\n`);
} else {
  const bytes = statSync(path).size;
  const lines = [
    `CSV readers on ${path} (${(bytes / 1e6).toFixed(0)} MB), every cell read as a number:`,
    "",
    "| reader | seconds | MB/s | rows/s | peak RSS | checksum of all values |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const name of Object.keys(READERS)) {
    process.stderr.write(`${name} …\n`);
    // A fresh process each, so peak RSS is the reader's own; /usr/bin/time gives it.
    const run = spawnSync(
      "/usr/bin/time",
      ["-f", "%M", process.execPath, ...process.execArgv, process.argv[1] as string, path, name],
      { encoding: "utf8", maxBuffer: 1 << 20 },
    );
    if (run.status !== 0) {
      lines.push(`| ${name} | failed: ${run.stderr.trim().split("\n")[0]} | | | | |`);
      continue;
    }
    const { rows, sum, seconds } = JSON.parse(run.stdout) as {
      rows: number;
      sum: number;
      seconds: number;
    };
    const peakKb = Number(run.stderr.trim().split("\n").at(-1));
    lines.push(
      `| ${name} | ${seconds.toFixed(1)} | ${(bytes / 1e6 / seconds).toFixed(1)} | ${(rows / seconds / 1e3).toFixed(0)}k | ${(peakKb / 1024).toFixed(0)} MB | ${sum.toPrecision(15)} (${rows} rows) |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
