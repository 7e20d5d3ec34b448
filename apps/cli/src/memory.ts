/**
 * A memory estimate before the synthetic data are drawn: `--dims 10000000` used to grow past
 * 6 GB with no word, and `--dims 1e9` ended in a raw RangeError from a typed-array allocation.
 */
import { totalmem } from "node:os";
import { UsageError } from "./errors.js";

/**
 * Copies of the data a run holds at once: the host's float64 rows, the backend's copy (float64
 * on cpu and wasm), and a margin for the products and buffers training allocates beside them.
 */
const COPIES = 3;

/** The share of this machine's memory a run may plan to use. */
const SHARE = 0.5;

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toPrecision(3)} GB`;
}

/**
 * Throws a usage error naming the size flags when `rows × (dims + outputs)` float64 values,
 * times the copies a run holds, would exceed half of this machine's memory.
 */
export function checkSyntheticMemory(rows: number, dims: number, outputs = 1): void {
  // One typed array holds at most 2³² − 1 elements in V8 (less on 32-bit platforms).
  if (rows * dims > 2 ** 32 - 1) {
    throw new UsageError(
      `--dims ${dims} with ${rows} rows (--n-train + --n-test) is ${rows * dims} values, more than one array can hold (2³² − 1); use fewer --dims or rows`,
    );
  }
  const bytes = COPIES * 8 * rows * (dims + outputs);
  const limit = SHARE * totalmem();
  if (bytes > limit) {
    throw new UsageError(
      `--dims ${dims} with ${rows} rows (--n-train + --n-test) needs about ${gigabytes(bytes)} ` +
        `(${rows} × ${dims} float64 values, ${COPIES} copies: host, backend, working buffers), ` +
        `more than half of this machine's ${gigabytes(totalmem())}; use fewer --dims or rows`,
    );
  }
}
