/**
 * Data files read as a stream of row blocks with bounded memory, whole or one shard of them:
 * CSV (core's CsvRowStream over 4 MiB chunks), gzip-compressed CSV and Parquet (./parquet.ts,
 * a row group at a time), each recognized by its magic bytes whatever the name, so that `stats`
 * and streaming training read files larger than memory.
 *
 * Shards of one uncompressed CSV file are byte ranges: shard i of N covers bytes
 * [⌊iS/N⌋, ⌊(i+1)S/N⌋) of a file of S bytes, and holds every record whose first byte lies in its
 * range (it reads on past the range's end to finish its last record). Every shard reads the
 * header from the start of the file. A line break inside a quoted field would let a shard start
 * in the middle of a record, so sharded reads refuse one. A shard does not know its first line
 * number; when it finds an error it counts the lines before its range (once, on that failure
 * only) so that the message still says file:line:column.
 */
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import {
  type CsvBlock,
  type CsvColumns,
  CsvRowStream,
  csvHeaderOfBytes,
  DataFileError,
  resolveCsvColumns,
} from "@wdecay/core";
import { RuntimeError, UsageError } from "../errors.js";

/** Bytes per read: large enough that per-chunk costs vanish, small next to the memory bound. */
const CHUNK = 4 * 1024 * 1024;
/** A header row longer than this is refused (a file without line breaks is not a CSV table). */
const MAX_HEADER = 16 * 1024 * 1024;

/** Which part of a file to read. */
export interface Shard {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

/** What the reader needs to know of the columns. */
export interface ColumnSpec {
  readonly target: string;
  readonly features?: readonly string[];
  /** Numeric columns read beside the features (a fold id). */
  readonly extra?: readonly string[];
}

/** An opened data file. */
export interface DataStream {
  readonly path: string;
  readonly format: "csv" | "parquet";
  readonly compressed: boolean;
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** Bytes this shard will read (about; the last record may run past). */
  readonly shardBytes: number;
  readonly columns: CsvColumns;
  /**
   * The shard's rows, block by block (each block its own copy, at most `blockRows` rows),
   * calling `onProgress` with the bytes read so far. Each call reads the file again.
   */
  blocks(options?: {
    blockRows?: number;
    onProgress?: (bytesRead: number) => void;
  }): AsyncGenerator<CsvBlock>;
}

const GZIP = [0x1f, 0x8b];

/** The first `length` bytes of the file (fewer at its end). */
async function readPrefix(path: string, length: number, where: string): Promise<Uint8Array> {
  const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    throw fileError(error, where);
  });
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function fileError(error: NodeJS.ErrnoException, where: string): RuntimeError {
  if (error.code === "ENOENT") return new RuntimeError(`${where} does not exist`, { cause: error });
  if (error.code === "EISDIR") {
    return new RuntimeError(`${where} is a directory, not a file`, { cause: error });
  }
  if (error.code === "EACCES" || error.code === "EPERM") {
    return new RuntimeError(`cannot read ${where}: permission denied`, { cause: error });
  }
  return new RuntimeError(`cannot read ${where}: ${error.message}`, { cause: error });
}

/** The file's bytes from `start`, decompressed when gzip, in chunks. */
function chunks(path: string, start: number, gzip: boolean): AsyncIterable<Uint8Array> {
  const raw = createReadStream(path, { start, highWaterMark: CHUNK });
  return gzip ? raw.pipe(createGunzip({ chunkSize: CHUNK })) : raw;
}

/** Line breaks in bytes [0, end) of the file: CRLF, LF and a lone CR each count once. */
async function linesBefore(path: string, end: number): Promise<number> {
  let lines = 0;
  let lastCR = false;
  let read = 0;
  for await (const chunk of createReadStream(path, {
    end: Math.max(0, end - 1),
    highWaterMark: CHUNK,
  })) {
    const bytes = chunk as Uint8Array;
    read += bytes.length;
    for (let k = 0; k < bytes.length; k++) {
      const b = bytes[k] as number;
      if (b === 0x0a) {
        if (!lastCR) lines++;
        lastCR = false;
      } else {
        lastCR = b === 0x0d;
        if (lastCR) lines++;
      }
    }
  }
  return end === 0 || read === 0 ? 0 : lines;
}

/** The offset of the first line start at or after `from` (the file's bytes from `from − 1`). */
async function lineStartFrom(path: string, from: number, size: number): Promise<number> {
  if (from >= size) return size;
  let at = from - 1;
  let previous = -1;
  for await (const chunk of createReadStream(path, { start: at, highWaterMark: 64 * 1024 })) {
    const bytes = chunk as Uint8Array;
    for (let k = 0; k < bytes.length; k++, at++) {
      const b = bytes[k] as number;
      if (previous === 0x0d) return b === 0x0a ? at + 1 : at;
      if (b === 0x0a) return at + 1;
      previous = b;
    }
  }
  return size;
}

/**
 * Opens a data file for streaming: reads its header and resolves the columns (errors name the
 * file, line and column), and for a shard finds where its first record starts.
 */
export async function openDataStream(
  path: string,
  spec: ColumnSpec,
  shard: Shard = { index: 0, count: 1 },
): Promise<DataStream> {
  const where = `--data file "${path}"`;
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new RuntimeError(`${where} is a directory, not a file`);
    size = s.size;
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw fileError(error as NodeJS.ErrnoException, where);
  }
  const magic = await readPrefix(path, 4, where);
  const gzip = magic[0] === GZIP[0] && magic[1] === GZIP[1];
  if (magic[0] === 0x50 && magic[1] === 0x41 && magic[2] === 0x52 && magic[3] === 0x31) {
    return openParquetStream(path, spec, shard, size);
  }
  if (gzip && shard.count > 1) {
    throw new UsageError(
      `${where} is gzip-compressed, which cannot be split into byte-range shards: decompress it, or split the data into one file per shard`,
    );
  }
  const header = await readHeader(path, gzip, size);
  const columns = resolveCsvColumns(header.header, header.line, {
    source: path,
    target: spec.target,
    ...(spec.features ? { features: spec.features } : {}),
    ...(spec.extra ? { extra: spec.extra } : {}),
  });
  const range = {
    start: Math.floor((shard.index * size) / shard.count),
    end: Math.floor(((shard.index + 1) * size) / shard.count),
  };
  const sharded = shard.count > 1;
  const begin = sharded
    ? range.start <= header.byteEnd
      ? header.byteEnd
      : await lineStartFrom(path, range.start, size)
    : header.byteEnd;
  const stopAt = sharded ? range.end : Number.POSITIVE_INFINITY;
  return {
    path,
    format: "csv",
    compressed: gzip,
    bytes: size,
    shardBytes: Math.max(0, Math.min(size, stopAt) - begin),
    columns,
    async *blocks({ blockRows = 4096, onProgress } = {}) {
      // Lines are counted from the shard's start; a failure relocates them (see above).
      const firstLine = begin === header.byteEnd ? header.nextLine : 1;
      const ready: CsvBlock[] = [];
      const stream = new CsvRowStream({
        source: path,
        columns,
        firstLine,
        blockRows,
        // The stream reuses its arrays: each block handed on is a copy.
        onBlock: (b) =>
          ready.push({
            X: b.X.slice(),
            y: b.y.slice(),
            extra: b.extra.slice(),
            lines: b.lines.slice(),
            n: b.n,
            d: b.d,
          }),
        ...(sharded ? { lineBreaksInQuotes: "refuse" as const } : {}),
      });
      let offset = begin;
      let carry: Uint8Array = new Uint8Array(0);
      let read = 0;
      // A gzip file is decompressed from its start: skip the header's bytes again.
      let skip = gzip ? header.byteEnd : 0;
      try {
        if (begin < stopAt) {
          for await (const chunk of chunks(path, gzip ? 0 : begin, gzip)) {
            let bytes = chunk as Uint8Array;
            read += bytes.length;
            if (skip > 0) {
              const drop = Math.min(skip, bytes.length);
              bytes = bytes.subarray(drop);
              skip -= drop;
            }
            const all = carry.length === 0 ? bytes : Buffer.concat([carry, bytes]);
            const used = stream.parse(all, false, stopAt - offset);
            offset += used;
            carry = all.slice(used);
            onProgress?.(read);
            yield* ready.splice(0);
            if (stream.stopped) break;
          }
          if (!stream.stopped) stream.parse(carry, true, stopAt - offset);
          stream.finish();
          yield* ready.splice(0);
        }
      } catch (error) {
        if (error instanceof DataFileError && firstLine === 1) {
          const before = await linesBefore(path, begin);
          throw new DataFileError(
            error.file,
            error.line + before,
            error.column,
            error.reason,
            error.columnName,
          );
        }
        throw error;
      }
      if (stream.rows === 0 && !sharded) {
        throw new DataFileError(path, header.nextLine, 1, "no data rows after the header");
      }
    },
  };
}

/**
 * A Parquet file as a data stream (loaded only when a file is Parquet, to keep start-up lean):
 * shard i of N holds the row groups g with g mod N = i; progress counts rows as a share of the
 * file's bytes.
 */
async function openParquetStream(
  path: string,
  spec: ColumnSpec,
  shard: Shard,
  size: number,
): Promise<DataStream> {
  const { openParquet } = await import("./parquet.js");
  const file = await openParquet(path, {
    target: spec.target,
    ...(spec.features ? { features: spec.features } : {}),
    ...(spec.extra ? { extra: spec.extra } : {}),
  });
  const groups = Array.from({ length: file.rowGroups }, (_, g) => g).filter(
    (g) => g % shard.count === shard.index,
  );
  const share = file.rowGroups === 0 ? 0 : groups.length / file.rowGroups;
  return {
    path,
    format: "parquet",
    compressed: false,
    bytes: size,
    shardBytes: Math.round(size * share),
    columns: file.columns,
    async *blocks({ blockRows = 4096, onProgress } = {}) {
      let rows = 0;
      const perRow = file.rows > 0 ? size / file.rows : 0;
      for await (const block of file.blocks(shard, blockRows)) {
        rows += block.n;
        onProgress?.(Math.round(rows * perRow));
        yield block;
      }
      if (rows === 0 && shard.count === 1) {
        throw new DataFileError(path, 1, 1, "the file has no rows");
      }
    },
  };
}

async function readHeader(path: string, gzip: boolean, size: number) {
  const where = `--data file "${path}"`;
  if (!gzip) {
    for (let length = 64 * 1024; ; length *= 4) {
      const prefix = await readPrefix(path, Math.min(length, size), where);
      const final = prefix.length >= size;
      const header = csvHeaderOfBytes(prefix, path, final);
      if (header !== undefined) return header;
      if (length >= MAX_HEADER) {
        throw new DataFileError(
          path,
          1,
          1,
          `the header row does not end within ${MAX_HEADER / 2 ** 20} MiB`,
        );
      }
    }
  }
  let prefix: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks(path, 0, true)) {
    prefix = Buffer.concat([prefix, chunk as Uint8Array]);
    const header = csvHeaderOfBytes(prefix, path, false);
    if (header !== undefined) return header;
    if (prefix.length >= MAX_HEADER) {
      throw new DataFileError(
        path,
        1,
        1,
        `the header row does not end within ${MAX_HEADER / 2 ** 20} MiB`,
      );
    }
  }
  const header = csvHeaderOfBytes(prefix, path, true);
  if (header === undefined) throw new DataFileError(path, 1, 1, "the file is empty");
  return header;
}
