/**
 * Run by parquet.test.ts as `node --expose-gc … parquet-memory.ts FILE`: reads the Parquet file
 * FILE (target `y`) in blocks, collects garbage after each block, and prints as JSON the rows
 * read and the most ArrayBuffer memory still allocated after a collection, beyond what was
 * allocated once the file was open: what the reader holds, free of the collector's timing.
 */
import { openParquet } from "../src/io/parquet.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const path = process.argv[2];
if (path === undefined) throw new Error("usage: parquet-memory.ts FILE");
const source = await openParquet(path, { target: "y" });
gc();
await new Promise((resolve) => setImmediate(resolve));
gc();
const base = process.memoryUsage().arrayBuffers;
let rows = 0;
let maxRetained = 0;
/** A collection, a turn of the event loop (buffers are freed off the main thread), another. */
async function collect(): Promise<void> {
  (gc as () => void)();
  await new Promise((resolve) => setImmediate(resolve));
  (gc as () => void)();
}
for await (const block of source.blocks()) {
  rows += block.n;
  await collect();
  maxRetained = Math.max(maxRetained, process.memoryUsage().arrayBuffers - base);
}
await source.close();
process.stdout.write(`${JSON.stringify({ rows, maxRetained })}\n`);
