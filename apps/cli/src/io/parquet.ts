/**
 * Parquet data files on Node, streamed into the float64 blocks of core's CSV stream
 * ({@link CsvBlock}), for files larger than memory. The footer, page headers and page encodings
 * are hyparquet's (pure JavaScript, no dependencies; pinned, since its page decoders are imported
 * from its `src/`), the decompressors hyparquet-compressors' (SNAPPY in WebAssembly, LZ4),
 * zstddec's (ZSTD, zstd's own decoder in WebAssembly) and Node's zlib (GZIP, BROTLI); this module
 * walks each column chunk page by page itself (see decodeChunk for why).
 * `tooling/bench/src/parquet-readers.ts` compares it with hyparquet's own reader, parquet-wasm
 * and DuckDB. Gzip around the file does not apply: Parquet compresses its pages itself.
 *
 * Memory is one row group of the columns used, plus a block or two: {@link ParquetData.blocks}
 * reads a row group, converts it to row-major blocks, lets it go before handing over its last
 * rows, and only then reads the next; the columns the model does not use are never read. Row
 * groups are the file's unit of storage (writers make them about 100,000 rows, 64 MB or 128 MB),
 * so a file of any length streams in that much memory; a file written as one huge row group is
 * read as one.
 *
 * Shards: shard i of N reads the row groups g with g mod N = i, whole, in file order, so that
 * N workers read disjoint parts of the file and together every row exactly once. A shard gets no
 * rows when i ≥ the number of row groups.
 *
 * Columns are the file's top-level columns, selected by name with the CSV readers' rules and
 * errors ({@link resolveCsvColumns}, with line 1 for the header). Errors are
 * {@link DataFileError}s located as `file:ROW:COLUMN (column "x")`, where ROW is the 1-based row
 * of the file (the CSV readers give the line there; here there are no lines, and a block's
 * `lines` hold row numbers) and COLUMN the column's 1-based position among the file's columns,
 * or `file:1:COLUMN` for a problem with a column's name or type. Within a block the error
 * reported is the first bad value in reading order (row by row, left to right), as a CSV reader
 * would meet it. A file that cannot be read as Parquet at all (no such file, not Parquet, cut
 * short, damaged) is one line of {@link RuntimeError} that names the file and, for damage inside
 * the data, the rows.
 *
 * Values: the target, feature and extra columns must be numeric; every value is converted to
 * float64 exactly or refused, never silently rounded:
 * - DOUBLE as it is; FLOAT and FLOAT16 widen exactly;
 * - INT32 (signed or unsigned, any width annotation) exactly;
 * - INT64 exactly when |v| ≤ 2^53, beyond which a float64 no longer holds every integer: such a
 *   value is refused, naming its row and column;
 * - BOOLEAN as 0 (false) and 1 (true): a 0/1 label stored as a boolean is common, and nothing is
 *   lost;
 * - a null (missing value), NaN or ±Infinity is refused, as the CSV readers refuse empty, `nan`
 *   and `inf` cells;
 * - every other type (text, bytes, dates, timestamps, times, decimals, INT96, nested columns) is
 *   refused at the header with the column's type.
 */
import { type FileHandle, open } from "node:fs/promises";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import {
  CSV_EXTRA,
  CSV_TARGET,
  CSV_UNUSED,
  type CsvBlock,
  type CsvColumns,
  DataFileError,
  quoteForMessage,
  resolveCsvColumns,
} from "@wdecay/core";
import {
  type AsyncBuffer,
  type Compressors,
  type DecodedArray,
  type FileMetaData,
  parquetMetadataAsync,
  parquetSchema,
  type SchemaElement,
  type SchemaTree,
} from "hyparquet";
// hyparquet's page decoders, without its row assembly: see decodeChunk.
import { parquetHeader } from "hyparquet/src/column.js";
import { convert, convertWithDictionary, DEFAULT_PARSERS } from "hyparquet/src/convert.js";
import { decompressPage, readDataPage, readDataPageV2 } from "hyparquet/src/datapage.js";
import { readPlain } from "hyparquet/src/plain.js";
import type { ColumnDecoder, DataPage, Encoding } from "hyparquet/src/types.js";
import { compressors } from "hyparquet-compressors";
import { ZSTDDecoder } from "zstddec";
import { RuntimeError } from "../errors.js";

/** What a Parquet file holds, before any of its rows are read. */
export interface ParquetSource {
  /** The columns used, as {@link resolveCsvColumns} gives them for the file's column names. */
  readonly columns: CsvColumns;
  /** Rows in the file. */
  readonly rows: number;
  /** Row groups in the file. */
  readonly rowGroups: number;
}

/** A shard of a file's row groups: see the module comment. */
export interface ParquetShard {
  readonly index: number;
  readonly count: number;
}

/** An open Parquet file: its columns, and its rows as blocks. */
export interface ParquetData extends ParquetSource {
  /**
   * The rows of `shard` (default: the whole file) in blocks of `blockRows` rows (default 4096;
   * the last may be shorter), in file order; `lines` holds each row's 1-based row number. Each
   * block's arrays are new: keep them as long as needed. Throws {@link DataFileError} for a bad
   * value and {@link RuntimeError} for damaged data, at the first block that holds them. The
   * iterator may be run more than once; the file stays open until {@link close}.
   */
  blocks(shard?: ParquetShard, blockRows?: number): AsyncIterable<CsvBlock>;
  /** Closes the file (a no-op for a source that is not a file). */
  close(): Promise<void>;
}

/** Options of {@link openParquet}. */
export interface ParquetOptions {
  /** The name of the column to predict. */
  readonly target: string;
  /** Feature columns, in the order the model should see them (default: every other column). */
  readonly features?: readonly string[];
  /** Further numeric columns to read into each block's `extra` (a fold id). */
  readonly extra?: readonly string[];
  /** The name used in messages (default: the path). */
  readonly source?: string;
}

/** The leading and trailing bytes of every Parquet file. */
const MAGIC = "PAR1";
/** The trailing bytes of a file with an encrypted footer. */
const ENCRYPTED_MAGIC = "PARE";
/** Magic, footer length and magic: the smallest Parquet file has more. */
const ENVELOPE_BYTES = 12;
const TWO_53 = 2n ** 53n;

function why(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").trim() || "unknown error";
}

/**
 * Opens the Parquet file at `path`, reads its footer (the schema and where the row groups are)
 * and resolves the target, feature and extra columns by name. Throws {@link RuntimeError} for a
 * file that cannot be opened or is not Parquet, and {@link DataFileError} at `file:1:COLUMN` for
 * a column that is missing, listed twice, or not numeric.
 */
export async function openParquet(path: string, options: ParquetOptions): Promise<ParquetData> {
  const name = options.source ?? path;
  const where = `Parquet file "${name}"`;
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ENOENT") throw new RuntimeError(`${where} does not exist`, { cause: error });
    if (code === "EACCES" || code === "EPERM") {
      throw new RuntimeError(`cannot read ${where}: permission denied`, { cause: error });
    }
    throw new RuntimeError(`cannot read ${where}: ${why(error)}`, { cause: error });
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new RuntimeError(`${where} is a directory, not a file`);
    const file = fileBuffer(handle, stat.size, name);
    return await parquetSource(file, name, options, () => handle.close());
  } catch (error) {
    await handle.close();
    if (error instanceof RuntimeError || error instanceof DataFileError) throw error;
    throw new RuntimeError(`cannot read ${where}: ${why(error)}`, { cause: error });
  }
}

/** A file as hyparquet's AsyncBuffer: positional reads into new buffers. */
function fileBuffer(handle: FileHandle, size: number, name: string): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      if (!(start >= 0 && end >= start && end <= size)) {
        throw new RuntimeError(
          `${name}: the file is damaged or cut short: a part of it lies at bytes ${start}–${end}, beyond its end (${size} bytes)`,
        );
      }
      const out = new Uint8Array(end - start);
      for (let done = 0; done < out.length; ) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) {
          throw new RuntimeError(`${name}: the file ended while being read (was it truncated?)`);
        }
        done += bytesRead;
      }
      return out.buffer;
    },
  };
}

/** How a column's values become float64s. */
type Kind = "number" | "int64" | "boolean";

/** A used column: where it is in the file and where its values go. */
interface UsedColumn {
  readonly name: string;
  /** 0-based position among the file's top-level columns. */
  readonly position: number;
  /** {@link CsvColumns.slot}: a feature's index in X, CSV_TARGET, or CSV_EXTRA − k. */
  readonly slot: number;
}

const INTEGER_ANNOTATIONS = new Set([
  "INT_8",
  "INT_16",
  "INT_32",
  "INT_64",
  "UINT_8",
  "UINT_16",
  "UINT_32",
  "UINT_64",
]);

/** A column's type in words, for messages: `INT64 (TIMESTAMP_MILLIS)`, `BYTE_ARRAY (STRING)`. */
function describeType(node: SchemaTree): string {
  const e = node.element;
  if (node.children.length > 0) {
    const what = e.logical_type?.type ?? e.converted_type;
    return what === undefined ? "a group of columns (a struct)" : `a nested ${what} column`;
  }
  const annotation = e.logical_type?.type ?? e.converted_type;
  const physical = e.type ?? "untyped";
  return annotation === undefined ? physical : `${physical} (${annotation})`;
}

/** How the column's values convert (see the module comment), or undefined when they do not. */
function kindOf(node: SchemaTree): Kind | undefined {
  if (node.children.length > 0) return undefined;
  const e: SchemaElement = node.element;
  if (e.repetition_type === "REPEATED") return undefined;
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  switch (e.type) {
    case "DOUBLE":
    case "FLOAT":
      return logical === undefined && converted === undefined ? "number" : undefined;
    case "INT32":
    case "INT64": {
      const plain =
        (logical === undefined || logical === "INTEGER") &&
        (converted === undefined || INTEGER_ANNOTATIONS.has(converted));
      if (!plain) return undefined;
      return e.type === "INT32" ? "number" : "int64";
    }
    case "BOOLEAN":
      return logical === undefined && converted === undefined ? "boolean" : undefined;
    case "FIXED_LEN_BYTE_ARRAY":
      return logical === "FLOAT16" && e.type_length === 2 ? "number" : undefined;
    default:
      return undefined;
  }
}

/**
 * A Parquet source from any AsyncBuffer (bytes in memory, a file: {@link openParquet} is this
 * on a file): reads the footer, checks the column names as a CSV header's and resolves the used
 * columns. `name` names the source in messages; `close` is called by {@link ParquetData.close}.
 */
export async function parquetSource(
  file: AsyncBuffer,
  name: string,
  options: Omit<ParquetOptions, "source">,
  close: () => Promise<void> = async () => {},
): Promise<ParquetData> {
  const metadata = await readFooter(file, name);
  await zstd.init();
  let tree: SchemaTree;
  try {
    tree = parquetSchema(metadata);
  } catch (error) {
    throw new RuntimeError(`${name}: the file's schema is damaged (${why(error)})`, {
      cause: error,
    });
  }
  const nodes = tree.children;
  const header = nodes.map((node) => node.element.name);
  if (!header.every((column) => typeof column === "string")) {
    throw new RuntimeError(`${name}: the file's schema is damaged (a column without a name)`);
  }
  checkNames(header, name);
  const columns = resolveCsvColumns(header, 1, {
    source: name,
    target: options.target,
    ...(options.features === undefined ? {} : { features: options.features }),
    ...(options.extra === undefined ? {} : { extra: options.extra }),
  });
  const used: UsedColumn[] = [];
  const kinds: Kind[] = [];
  for (const [position, node] of nodes.entries()) {
    const slot = columns.slot[position] as number;
    if (slot === CSV_UNUSED) continue;
    const kind = kindOf(node);
    if (kind === undefined) {
      const role = slot === CSV_TARGET ? "a target" : slot >= 0 ? "a feature" : "an extra column";
      throw new DataFileError(
        name,
        1,
        position + 1,
        `the column's type is ${describeType(node)}, not numbers; ${role} must be DOUBLE, FLOAT, INT32, INT64 or BOOLEAN`,
        node.element.name,
      );
    }
    used.push({ name: node.element.name, position, slot });
    kinds.push(kind);
  }

  // Where each row group starts, checked against the file's total.
  const groupRows = metadata.row_groups.map((g) => Number(g.num_rows));
  const groupStart: number[] = [];
  let rows = 0;
  for (const [g, n] of groupRows.entries()) {
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      throw new RuntimeError(`${name}: the file is damaged: row group ${g + 1} has ${n} rows`);
    }
    groupStart.push(rows);
    rows += n;
  }
  if (rows !== Number(metadata.num_rows)) {
    throw new RuntimeError(
      `${name}: the file is damaged: its row groups hold ${rows} rows, its footer says ${metadata.num_rows}`,
    );
  }

  const d = columns.featureNames.length;
  let extras = 0;
  for (const s of columns.slot) if (s <= CSV_EXTRA) extras = Math.max(extras, CSV_EXTRA - s + 1);
  const schemaPaths = used.map((c) => [tree, nodes[c.position] as SchemaTree]);
  const maxDefinition = used.map((c) =>
    (nodes[c.position] as SchemaTree).element.repetition_type === "REQUIRED" ? 0 : 1,
  );

  /** One row group's used columns, each as consecutive pieces (one a page) of its values. */
  async function readGroup(g: number): Promise<DecodedArray[][]> {
    const start = groupStart[g] as number;
    const n = groupRows[g] as number;
    const group = metadata.row_groups[g];
    const damaged = (reason: string, cause?: unknown): RuntimeError =>
      new RuntimeError(
        `${name}: rows ${start + 1}–${start + n} (row group ${g + 1} of ${groupRows.length}) cannot be read: ${reason}`,
        { cause },
      );
    return await Promise.all(
      used.map(async (c, j) => {
        const chunk = group?.columns.find(
          (candidate) =>
            candidate.meta_data?.path_in_schema.length === 1 &&
            candidate.meta_data.path_in_schema[0] === c.name,
        );
        const meta = chunk?.meta_data;
        const column = quoteForMessage(c.name);
        if (chunk?.file_path) {
          throw damaged(
            `column ${column} is kept in another file (${quoteForMessage(chunk.file_path)}), which is not supported`,
          );
        }
        const element = (nodes[c.position] as SchemaTree).element;
        if (meta === undefined || meta.type !== element.type) {
          throw damaged(`the file is damaged: the footer has no data for column ${column}`);
        }
        const offset = Number(meta.dictionary_page_offset || meta.data_page_offset);
        const length = Number(meta.total_compressed_size);
        if (!(offset >= 4 && length >= 0 && offset + length <= file.byteLength)) {
          throw damaged(
            `the file is damaged or cut short: column ${column} lies at bytes ${offset}–${offset + length}, beyond the file's ${file.byteLength}`,
          );
        }
        try {
          const bytes = new Uint8Array(await file.slice(offset, offset + length));
          const decoder: ColumnDecoder = {
            pathInSchema: [c.name],
            type: element.type as ColumnDecoder["type"],
            element,
            schemaPath: schemaPaths[j] as SchemaTree[],
            codec: meta.codec,
            parsers: DEFAULT_PARSERS,
            compressors: CODECS,
            utf8: false,
          };
          return decodeChunk(
            bytes,
            decoder,
            n,
            Number(meta.total_uncompressed_size),
            maxDefinition[j] as number,
          );
        } catch (error) {
          if (error instanceof RuntimeError) throw error;
          throw damaged(`column ${column} is damaged (${why(error)})`, error);
        }
      }),
    );
  }

  /** Refuses the first bad value of rows [from, to) of the group, in reading order. */
  function firstBad(group: DecodedArray[][], g: number, from: number, to: number): never {
    for (let r = from; r < to; r++) {
      for (const [j, c] of used.entries()) {
        const value = valueAt(group[j] as DecodedArray[], r);
        const reason = badValue(value, kinds[j] as Kind);
        if (reason !== undefined) {
          throw new DataFileError(
            name,
            (groupStart[g] as number) + r + 1,
            c.position + 1,
            reason,
            c.name,
          );
        }
      }
    }
    throw new Error("internal: a bad value was reported but none was found");
  }

  async function* blocks(
    shard: ParquetShard = { index: 0, count: 1 },
    blockRows = 4096,
  ): AsyncGenerator<CsvBlock> {
    const { index, count } = shard;
    if (!(Number.isSafeInteger(count) && count >= 1 && Number.isSafeInteger(index))) {
      throw new RangeError(`shard count must be a positive integer, got ${count}`);
    }
    if (index < 0 || index >= count) {
      throw new RangeError(`shard index must be in 0…${count - 1}, got ${index}`);
    }
    if (!(Number.isSafeInteger(blockRows) && blockRows >= 1)) {
      throw new RangeError(`blockRows must be a positive integer, got ${blockRows}`);
    }
    let X = new Float64Array(0);
    let y = new Float64Array(0);
    let extra = new Float64Array(0);
    let lines = new Float64Array(0);
    let fill = blockRows;
    const fresh = () => {
      X = new Float64Array(blockRows * d);
      y = new Float64Array(blockRows);
      extra = new Float64Array(blockRows * extras);
      lines = new Float64Array(blockRows);
      fill = 0;
    };
    const block = (n: number): CsvBlock => ({
      X: n === blockRows ? X : X.subarray(0, n * d),
      y: n === blockRows ? y : y.subarray(0, n),
      extra: n === blockRows ? extra : extra.subarray(0, n * extras),
      lines: n === blockRows ? lines : lines.subarray(0, n),
      n,
      d,
    });
    /** Rows [r, r + take) of the group into the block at `fill`; false when one is bad. */
    const fillRows = (group: DecodedArray[][], r: number, take: number): boolean => {
      let ok = true;
      for (const [j, c] of used.entries()) {
        const kind = kinds[j] as Kind;
        const pieces = group[j] as DecodedArray[];
        if (c.slot >= 0) {
          ok = copyColumn(pieces, r, take, kind, X, fill * d + c.slot, d) && ok;
        } else if (c.slot === CSV_TARGET) {
          ok = copyColumn(pieces, r, take, kind, y, fill, 1) && ok;
        } else {
          const k = CSV_EXTRA - c.slot;
          ok = copyColumn(pieces, r, take, kind, extra, fill * extras + k, extras) && ok;
        }
      }
      return ok;
    };
    for (let g = index; g < groupRows.length; g += count) {
      const n = groupRows[g] as number;
      if (n === 0) continue;
      // The only row group held: the next is read once this one is in blocks, and it is let
      // go before the consumer gets its last block.
      let group: DecodedArray[][] | undefined = await readGroup(g);
      const start = groupStart[g] as number;
      for (let r = 0; r < n; ) {
        if (fill === blockRows) fresh();
        const take = Math.min(n - r, blockRows - fill);
        if (!fillRows(group as DecodedArray[][], r, take))
          firstBad(group as DecodedArray[][], g, r, r + take);
        for (let k = 0; k < take; k++) lines[fill + k] = start + r + k + 1;
        fill += take;
        r += take;
        if (r === n) group = undefined;
        if (fill === blockRows) yield block(blockRows);
      }
    }
    if (fill > 0 && fill < blockRows) yield block(fill);
  }

  return {
    columns,
    rows,
    rowGroups: groupRows.length,
    blocks: (shard, blockRows) => blocks(shard, blockRows),
    close,
  };
}

/** The footer, or a one-line RuntimeError saying why the file is not readable Parquet. */
async function readFooter(file: AsyncBuffer, name: string): Promise<FileMetaData> {
  const size = file.byteLength;
  const ascii = (bytes: ArrayBuffer) => String.fromCharCode(...new Uint8Array(bytes));
  if (size < ENVELOPE_BYTES) {
    throw new RuntimeError(
      size === 0
        ? `${name}: the file is empty, not a Parquet file`
        : `${name}: not a Parquet file (${size} bytes, too short for one)`,
    );
  }
  let head: string;
  let tail: ArrayBuffer;
  try {
    head = ascii(await file.slice(0, 4));
    tail = await file.slice(size - 8, size);
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`${name}: cannot be read (${why(error)})`, { cause: error });
  }
  const tailMagic = ascii(tail.slice(4));
  if (tailMagic === ENCRYPTED_MAGIC) {
    throw new RuntimeError(`${name}: the Parquet file is encrypted, which is not supported`);
  }
  if (head !== MAGIC) {
    throw new RuntimeError(`${name}: not a Parquet file (it does not start with "PAR1")`);
  }
  if (tailMagic !== MAGIC) {
    throw new RuntimeError(
      `${name}: the Parquet file is cut short or damaged: it does not end with "PAR1" (was it copied or written only in part?)`,
    );
  }
  const footerLength = new DataView(tail).getUint32(0, true);
  if (footerLength > size - ENVELOPE_BYTES) {
    throw new RuntimeError(
      `${name}: the Parquet file is damaged: its footer claims ${footerLength} bytes, more than the file holds`,
    );
  }
  try {
    return await parquetMetadataAsync(file);
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`${name}: the Parquet file's footer is damaged (${why(error)})`, {
      cause: error,
    });
  }
}

/** Every top-level column needs a name, distinct from the others, as a CSV header's. */
function checkNames(header: readonly string[], name: string): void {
  const seen = new Map<string, number>();
  for (const [index, column] of header.entries()) {
    if (column === "") {
      throw new DataFileError(name, 1, index + 1, `column ${index + 1} has no name`);
    }
    const first = seen.get(column);
    if (first !== undefined) {
      throw new DataFileError(
        name,
        1,
        index + 1,
        `duplicate column name: column ${first + 1} is also ${quoteForMessage(column)}`,
        column,
      );
    }
    seen.set(column, index);
  }
}

/** zstd's reference decoder in WebAssembly: 4 times faster than hyparquet-compressors' fzstd. */
const zstd = new ZSTDDecoder();

/**
 * The decompressors, each given the page's size from its header (checked against the footer):
 * GZIP and BROTLI from Node's zlib (native, and bounded by that size), ZSTD from zstddec (ready
 * once {@link parquetSource} has awaited its start), the others from hyparquet-compressors
 * (SNAPPY in WebAssembly, LZ4 and LZ4_RAW in JavaScript). hyparquet checks that each page comes
 * out at its size.
 */
const CODECS: Compressors = {
  // Not hyparquet-compressors' decompressSnappy, which compiles its WebAssembly on every call.
  SNAPPY: compressors.SNAPPY,
  GZIP: (input, length) => gunzipSync(input, { maxOutputLength: Math.max(1, length) }),
  BROTLI: (input, length) => brotliDecompressSync(input, { maxOutputLength: Math.max(1, length) }),
  // zstddec takes a size of 0 to mean "as the frame says".
  ZSTD: (input, length) => (length === 0 ? new Uint8Array(0) : zstd.decode(input, length)),
  LZ4: compressors.LZ4,
  LZ4_RAW: compressors.LZ4_RAW,
};

/**
 * Decodes a flat column chunk of `rows` values page by page with hyparquet's page decoders,
 * giving each page's values as they come (typed arrays, without nulls) rather than through
 * hyparquet's row assembly, which builds a JavaScript array value by value for every OPTIONAL
 * column, as most writers make them (5 times slower: see tooling/bench/src/parquet-readers.ts).
 * A page with nulls becomes an array with null at their rows. Sizes in page headers are checked
 * against the footer's before anything is allocated, so damaged bytes give an error, not a
 * gigabyte allocation. Throws plain Errors; the caller says where.
 */
function decodeChunk(
  bytes: Uint8Array,
  decoder: ColumnDecoder,
  rows: number,
  chunkUncompressed: number,
  maxDefinition: number,
): DecodedArray[] {
  const reader = {
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offset: 0,
  };
  const pieces: DecodedArray[] = [];
  let dictionary: DecodedArray | undefined;
  // The column as if REQUIRED, for pages whose levels say that every row has a value.
  const leaf = decoder.schemaPath.at(-1) as SchemaTree;
  const required: ColumnDecoder = {
    ...decoder,
    schemaPath: [
      ...decoder.schemaPath.slice(0, -1),
      { ...leaf, element: { ...leaf.element, repetition_type: "REQUIRED" } },
    ],
  };
  let got = 0;
  while (got < rows) {
    // The decoder the page's values were read with.
    let decoded = decoder;
    if (reader.offset >= bytes.length) {
      throw new Error(`its data end after ${got} of its ${rows} values`);
    }
    const header = parquetHeader(reader);
    const size = header.compressed_page_size;
    const unpacked = header.uncompressed_page_size;
    if (!(Number.isInteger(size) && size >= 0 && reader.offset + size <= bytes.length)) {
      throw new Error(`a page of ${size} bytes runs past the end of the column's data`);
    }
    if (!(Number.isInteger(unpacked) && unpacked >= 0 && unpacked <= chunkUncompressed)) {
      throw new Error(
        `a page claims ${unpacked} bytes, more than the column's ${chunkUncompressed}`,
      );
    }
    const body = bytes.subarray(reader.offset, reader.offset + size);
    reader.offset += size;
    let page: DataPage;
    let count: number;
    let encoding: Encoding;
    if (header.type === "DICTIONARY_PAGE") {
      const h = header.dictionary_page_header;
      if (h === undefined || !(h.num_values >= 0 && h.num_values <= unpacked)) {
        throw new Error("a dictionary page has a damaged header");
      }
      const plain = decompressPage(body, unpacked, decoder.codec, decoder.compressors);
      const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
      const values = readPlain(
        { view, offset: 0 },
        decoder.type,
        h.num_values,
        decoder.element.type_length,
      );
      dictionary = convert(values, decoder);
      continue;
    }
    if (header.type === "DATA_PAGE") {
      const h = header.data_page_header;
      if (h === undefined || !(h.num_values >= 0 && h.num_values <= rows - got)) {
        throw new Error(`a data page has a damaged header (${h?.num_values} values)`);
      }
      count = h.num_values;
      encoding = h.encoding;
      const plain = decompressPage(body, unpacked, decoder.codec, decoder.compressors);
      const values = maxDefinition === 1 ? withoutLevels(plain, count) : undefined;
      if (values === undefined) {
        page = readDataPage(plain, h, decoder);
      } else {
        decoded = required;
        page = readDataPage(values, h, required);
      }
    } else if (header.type === "DATA_PAGE_V2") {
      const h = header.data_page_header_v2;
      const ok =
        h !== undefined &&
        h.num_values >= 0 &&
        h.num_values <= rows - got &&
        h.num_rows === h.num_values &&
        h.num_nulls >= 0 &&
        h.num_nulls <= h.num_values &&
        h.definition_levels_byte_length >= 0 &&
        h.repetition_levels_byte_length >= 0 &&
        h.definition_levels_byte_length + h.repetition_levels_byte_length <=
          Math.min(size, unpacked);
      if (!ok) throw new Error(`a data page has a damaged header (${h?.num_values} values)`);
      count = h.num_values;
      encoding = h.encoding;
      if (maxDefinition === 1 && h.num_nulls === 0 && h.repetition_levels_byte_length === 0) {
        // No nulls: the page as if it had no definition levels.
        const levels = h.definition_levels_byte_length;
        const bare = {
          ...header,
          uncompressed_page_size: unpacked - levels,
          data_page_header_v2: { ...h, definition_levels_byte_length: 0 },
        };
        decoded = required;
        page = readDataPageV2(body.subarray(levels), bare, required);
      } else {
        page = readDataPageV2(body, header, decoder);
      }
    } else if (header.type === "INDEX_PAGE") {
      continue;
    } else {
      throw new Error(`unknown page type ${header.type}`);
    }
    const raw = page.dataPage;
    if (encoding === "RLE" && decoder.type !== "BOOLEAN") {
      // hyparquet would take the values for dictionary indices.
      throw new Error(`RLE-encoded values in a ${decoder.type} column`);
    }
    if (encoding.endsWith("_DICTIONARY")) {
      if (dictionary === undefined) throw new Error("a page refers to a dictionary it lacks");
      const entries = dictionary.length;
      for (let k = 0; k < raw.length; k++) {
        const at = raw[k] as number;
        if (!(at >= 0 && at < entries))
          throw new Error("a page refers past the end of its dictionary");
      }
    }
    const values = convertWithDictionary(raw, dictionary, encoding, decoded);
    if (values.length === count) {
      pieces.push(values);
    } else {
      // Nulls: the definition levels say which rows have a value.
      const levels = page.definitionLevels ?? [];
      if (!(values.length < count && levels.length === count)) {
        throw new Error(`a page holds ${values.length} values for ${count} rows`);
      }
      const out: unknown[] = new Array(count);
      let v = 0;
      for (let k = 0; k < count; k++) out[k] = levels[k] === maxDefinition ? values[v++] : null;
      if (v !== values.length)
        throw new Error(`a page holds ${values.length} values for ${v} rows`);
      pieces.push(out as DecodedArray);
    }
    got += count;
  }
  return pieces;
}

/**
 * A v1 data page of a flat OPTIONAL column without its definition levels, when they are one run
 * of 1s over all `count` rows (no nulls: what writers write then), else undefined. The levels
 * are a 4-byte length, then runs; a run of equal values is a varint (length · 2) and the value,
 * one byte for 1-bit levels.
 */
function withoutLevels(page: Uint8Array, count: number): Uint8Array | undefined {
  if (page.length < 4) return undefined;
  const length = new DataView(page.buffer, page.byteOffset, 4).getUint32(0, true);
  const end = 4 + length;
  if (end > page.length) return undefined;
  let p = 4;
  let header = 0;
  for (let shift = 0; ; shift += 7) {
    if (p >= end || shift > 35) return undefined;
    const b = page[p++] as number;
    header += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (header % 2 !== 0 || header / 2 !== count) return undefined;
  if (p !== end - 1 || page[p] !== 1) return undefined;
  return page.subarray(end);
}

/** Value `r` of a column held as consecutive pieces. */
function valueAt(pieces: DecodedArray[], r: number): unknown {
  let at = r;
  for (const p of pieces) {
    if (at < p.length) return p[at];
    at -= p.length;
  }
  return undefined;
}

/** Why `value` cannot be a float64 of a column of `kind`, or undefined when it can. */
function badValue(value: unknown, kind: Kind): string | undefined {
  if (value === null || value === undefined) {
    return "missing value (null); missing values are not supported";
  }
  if (kind === "int64") {
    const v = value as bigint;
    if (v > TWO_53 || v < -TWO_53) {
      return `${v} is beyond ±2^53, where 64-bit floats no longer hold every integer: it would be rounded`;
    }
    return undefined;
  }
  if (kind === "boolean") return undefined;
  const v = value as number;
  if (!Number.isFinite(v)) {
    return `${v} is not a finite number; missing or infinite values are not supported`;
  }
  return undefined;
}

/**
 * Copies rows [from, from + n) of a column into `out` at `at`, `at + stride`, …, as float64.
 * Returns false when a value is missing, not finite or out of range (the caller then finds the
 * first one in reading order); what was written for it is never used.
 */
function copyColumn(
  pieces: DecodedArray[],
  from: number,
  n: number,
  kind: Kind,
  out: Float64Array,
  at: number,
  stride: number,
): boolean {
  let ok = true;
  let skip = from;
  let left = n;
  let o = at;
  for (const p of pieces) {
    if (left === 0) break;
    if (skip >= p.length) {
      skip -= p.length;
      continue;
    }
    const end = Math.min(p.length, skip + left);
    if (p instanceof Float64Array || p instanceof Float32Array) {
      for (let k = skip; k < end; k++, o += stride) {
        const v = p[k] as number;
        if (v - v !== 0) ok = false; // NaN or ±Infinity
        out[o] = v;
      }
    } else if (p instanceof Int32Array || p instanceof Uint32Array) {
      for (let k = skip; k < end; k++, o += stride) out[o] = p[k] as number;
    } else if (p instanceof BigInt64Array || p instanceof BigUint64Array) {
      for (let k = skip; k < end; k++, o += stride) {
        const v = p[k] as bigint;
        if (v > TWO_53 || v < -TWO_53) ok = false;
        out[o] = Number(v);
      }
    } else {
      // A plain array: nulls, booleans, FLOAT16s, bigints or numbers.
      for (let k = skip; k < end; k++, o += stride) {
        const v = p[k] as unknown;
        if (typeof v === "number") {
          if (v - v !== 0) ok = false;
          out[o] = v;
        } else if (typeof v === "bigint") {
          if (v > TWO_53 || v < -TWO_53) ok = false;
          out[o] = Number(v);
        } else if (typeof v === "boolean" && kind === "boolean") {
          out[o] = v ? 1 : 0;
        } else {
          ok = false;
        }
      }
    }
    left -= end - skip;
    skip = 0;
  }
  return ok && left === 0;
}
