/**
 * A streaming reader of CSV rows into float64 blocks, for files larger than memory: the caller
 * hands it the file's bytes chunk by chunk, it parses every complete record and returns where
 * the unfinished one starts, and it hands over rows a block at a time. Memory is one block and
 * one chunk, whatever the file's size. It runs in browsers too (bytes in, no file system).
 *
 * Same file, same answer: every value equals what {@link csvDataset} reads from the whole text,
 * bit for bit, and every error is the {@link DataFileError} it would raise for the same
 * problem, with the same `file:line:column`. (One difference of order: csvDataset checks the
 * whole file's structure before its numbers, a stream cannot; within a record, structure is
 * still checked first.) Numbers take a fast path for plain decimals of at most 15 significant
 * digits and a power of ten within 10^±22, where `m·10^e` or `m/10^−e` of two exact doubles
 * is correctly rounded (Clinger 1990), hence equal to `Number()`; every other cell goes
 * through {@link parseCsvNumber}, the one rule for numbers in data files.
 */
import type { Dataset } from "../data.js";
import {
  CSV_EXTRA,
  CSV_TARGET,
  CSV_UNUSED,
  type CsvColumns,
  type CsvHeader,
  csvHeader,
  DataFileError,
  parseCsvNumber,
  quoteForMessage,
} from "./csv.js";

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const ZERO = 0x30;
const DOT = 0x2e;
const PLUS = 0x2b;
const MINUS = 0x2d;

/** Exact powers of ten: 10^0 … 10^22 are all representable as doubles. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Above this many significant digits the mantissa may not be exact: slow path. */
const FAST_DIGITS = 15;

/** A block of rows: the features, the target and the extra columns, row-major. */
export interface CsvBlock extends Dataset {
  /** The extra columns (e.g. a fold id), `n × extras` row-major. */
  readonly extra: Float64Array;
  /** The line each row starts on. */
  readonly lines: Float64Array;
}

/** Options of {@link CsvRowStream}. */
export interface CsvRowStreamOptions {
  /** The name used in error messages. */
  readonly source: string;
  /** Where each field goes (from {@link resolveCsvColumns} on the file's header). */
  readonly columns: CsvColumns;
  /** The line number of the first byte handed to {@link CsvRowStream.parse}. */
  readonly firstLine: number;
  /** Rows per block (default 4096). */
  readonly blockRows?: number;
  /**
   * `refuse` makes a line break inside a quoted field an error: a reader that splits a file at
   * line breaks (byte-range shards) cannot tell it from the end of a record. Default `allow`.
   */
  readonly lineBreaksInQuotes?: "allow" | "refuse";
  /** Receives each full block, and the last partial one on {@link CsvRowStream.finish}. The
   * block's arrays are reused afterwards: copy what must outlive the call. */
  readonly onBlock: (block: CsvBlock) => void;
}

/**
 * For showing a character in a message, where the bytes may stop mid-character. Every decoder
 * here keeps a U+FEFF (ignoreBOM): each decode() of a slice would otherwise drop one at the
 * slice's start, and a byte-order mark inside the file is text like any other.
 */
const LENIENT = new TextDecoder("utf-8", { ignoreBOM: true });

/** What {@link CsvRowStream.parse} leaves undone: the record that runs past the chunk. */
const INCOMPLETE = -1;

/** Reads CSV data rows (no header) from byte chunks; see the module comment. */
export class CsvRowStream {
  private readonly source: string;
  private readonly columns: CsvColumns;
  private readonly width: number;
  private readonly d: number;
  private readonly extras: number;
  private readonly blockRows: number;
  private readonly onBlock: (block: CsvBlock) => void;
  private readonly X: Float64Array;
  private readonly y: Float64Array;
  private readonly extra: Float64Array;
  private readonly lines: Float64Array;
  private fill = 0;
  private line: number;
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  private readonly refuseQuotedBreaks: boolean;
  /** Rows read so far. */
  rows = 0;
  /** Whether a {@link parse} met its `stopAt`: every record before it is read. */
  stopped = false;

  constructor(options: CsvRowStreamOptions) {
    const { columns } = options;
    this.source = options.source;
    this.columns = columns;
    this.width = columns.header.length;
    this.d = columns.featureNames.length;
    let extras = 0;
    for (const s of columns.slot) if (s <= CSV_EXTRA) extras = Math.max(extras, CSV_EXTRA - s + 1);
    this.extras = extras;
    this.blockRows = options.blockRows ?? 4096;
    if (!(Number.isInteger(this.blockRows) && this.blockRows >= 1)) {
      throw new RangeError(`blockRows must be a positive integer, got ${options.blockRows}`);
    }
    this.onBlock = options.onBlock;
    this.X = new Float64Array(this.blockRows * this.d);
    this.y = new Float64Array(this.blockRows);
    this.extra = new Float64Array(this.blockRows * extras);
    this.lines = new Float64Array(this.blockRows);
    this.line = options.firstLine;
    this.refuseQuotedBreaks = options.lineBreaksInQuotes === "refuse";
  }

  /** The line the next unread byte is on. */
  get currentLine(): number {
    return this.line;
  }

  /**
   * Parses every complete record of `bytes` and returns the offset of the first byte not
   * consumed: the start of a record that runs past the end (hand it back, followed by more
   * bytes), or `bytes.length`. With `final` the end of `bytes` is the end of the file, and
   * everything is consumed. Throws {@link DataFileError} for the first problem met. With
   * `stopAt`, no record (or empty line) starting at or after that offset is read: the parse
   * returns there and sets {@link stopped} (a shard's end; its last record may run past it).
   */
  parse(bytes: Uint8Array, final: boolean, stopAt = Number.POSITIVE_INFINITY): number {
    const n = bytes.length;
    let p = 0;
    while (p < n) {
      if (p >= stopAt) {
        this.stopped = true;
        return p;
      }
      const c = bytes[p] as number;
      if (c === LF) {
        p++;
        this.line++;
        continue;
      }
      if (c === CR) {
        if (p + 1 >= n && !final) return p;
        p += bytes[p + 1] === LF ? 2 : 1;
        this.line++;
        continue;
      }
      const next = this.record(bytes, p, final);
      if (next === INCOMPLETE) return p;
      p = next;
    }
    return n;
  }

  /** Hands over the last partial block. Call once, after the final {@link parse}. */
  finish(): void {
    if (this.fill > 0) this.flush();
  }

  private flush(): void {
    const n = this.fill;
    const { d, extras } = this;
    this.onBlock({
      X: n === this.blockRows ? this.X : this.X.subarray(0, n * d),
      y: n === this.blockRows ? this.y : this.y.subarray(0, n),
      extra: n === this.blockRows ? this.extra : this.extra.subarray(0, n * extras),
      lines: n === this.blockRows ? this.lines : this.lines.subarray(0, n),
      n,
      d,
    });
    this.fill = 0;
  }

  private fail(line: number, field: number, reason: string): never {
    throw new DataFileError(this.source, line, field, reason, this.columns.header[field - 1]);
  }

  /**
   * Parses the record at `start` into the block; returns the offset after its line break, or
   * INCOMPLETE (with the line count restored) when it runs past the end of a non-final chunk.
   */
  private record(bytes: Uint8Array, start: number, final: boolean): number {
    const n = bytes.length;
    const { slot, header } = this.columns;
    const { width, d, extras } = this;
    const row = this.fill;
    const recordLine = this.line;
    let line = recordLine;
    let p = start;
    let field = 0;
    // The first bad number of the record, raised only once its structure is known to be right.
    let badLine = 0;
    let badField = 0;
    let badReason = "";
    // Where field width + 1 starts, for a record with too many fields.
    let surplusLine = recordLine;
    for (;;) {
      const fieldLine = line;
      if (field === width) surplusLine = fieldLine;
      const target = field < width ? (slot[field] as number) : CSV_UNUSED;
      let value = Number.NaN;
      let reason: string | undefined;
      if (p < n && bytes[p] === QUOTE) {
        // Quoted: "" is a quote, line breaks belong to the value.
        let q = p + 1;
        let escaped = false;
        for (;;) {
          if (q >= n) {
            if (!final) return this.incomplete(recordLine);
            this.fail(
              fieldLine,
              field + 1,
              "unterminated quoted field: its opening quote is never closed",
            );
          }
          const b = bytes[q] as number;
          if (b === QUOTE) {
            if (q + 1 >= n && !final) return this.incomplete(recordLine);
            if (bytes[q + 1] === QUOTE) {
              escaped = true;
              q += 2;
              continue;
            }
            break;
          }
          if (b === LF || (b === CR && bytes[q + 1] !== LF)) {
            if (b === CR && q + 1 >= n && !final) return this.incomplete(recordLine);
            if (this.refuseQuotedBreaks) {
              this.fail(
                line,
                field + 1,
                "a line break inside a quoted field: shards split the file at line breaks, so its records must not hold any (read it without shards)",
              );
            }
            line++;
          }
          q++;
        }
        const inner = this.text(bytes, p + 1, q, fieldLine, field);
        p = q + 1;
        if (p < n) {
          const b = bytes[p] as number;
          if (b !== COMMA && b !== CR && b !== LF) {
            // The character shown may need bytes of the next chunk.
            if (b >= 0x80 && p + 4 > n && !final) return this.incomplete(recordLine);
            const shown = LENIENT.decode(bytes.subarray(p, Math.min(n, p + 4))).charAt(0);
            this.fail(
              line,
              field + 1,
              `unexpected ${quoteForMessage(shown)} after a closing quote; a quote inside a quoted field is written twice ("")`,
            );
          }
        } else if (!final) {
          return this.incomplete(recordLine);
        }
        if (target !== CSV_UNUSED) {
          const parsed = parseCsvNumber(escaped ? inner.replaceAll('""', '"') : inner);
          if (typeof parsed === "string") reason = parsed;
          else value = parsed;
        }
      } else if (target === CSV_UNUSED) {
        let q = p;
        let ascii = true;
        for (; q < n; q++) {
          const b = bytes[q] as number;
          if (b === COMMA || b === CR || b === LF) break;
          if (b === QUOTE) this.quoteInside(line, field);
          if (b >= 0x80) ascii = false;
        }
        if (q >= n && !final) return this.incomplete(recordLine);
        if (!ascii) this.text(bytes, p, q, line, field);
        p = q;
      } else {
        // A used cell: the fast path for plain decimals, else the general rule.
        let q = p;
        let b = q < n ? (bytes[q] as number) : -1;
        let negative = false;
        if (b === PLUS || b === MINUS) {
          negative = b === MINUS;
          b = ++q < n ? (bytes[q] as number) : -1;
        }
        let mantissa = 0;
        let digits = 0;
        let significant = 0;
        let exponent = 0;
        let fast = true;
        while (b >= ZERO && b <= ZERO + 9) {
          digits++;
          if (mantissa !== 0 || b !== ZERO) significant++;
          mantissa = mantissa * 10 + (b - ZERO);
          b = ++q < n ? (bytes[q] as number) : -1;
        }
        if (b === DOT) {
          b = ++q < n ? (bytes[q] as number) : -1;
          while (b >= ZERO && b <= ZERO + 9) {
            digits++;
            if (mantissa !== 0 || b !== ZERO) significant++;
            mantissa = mantissa * 10 + (b - ZERO);
            exponent--;
            b = ++q < n ? (bytes[q] as number) : -1;
          }
        }
        if (digits === 0 || significant > FAST_DIGITS) fast = false;
        if (fast && (b === 0x65 || b === 0x45)) {
          b = ++q < n ? (bytes[q] as number) : -1;
          let expNegative = false;
          if (b === PLUS || b === MINUS) {
            expNegative = b === MINUS;
            b = ++q < n ? (bytes[q] as number) : -1;
          }
          let e = 0;
          let expDigits = 0;
          while (b >= ZERO && b <= ZERO + 9) {
            if (e < 100_000) e = e * 10 + (b - ZERO);
            expDigits++;
            b = ++q < n ? (bytes[q] as number) : -1;
          }
          if (expDigits === 0) fast = false;
          exponent += expNegative ? -e : e;
        }
        if (fast && b !== COMMA && b !== CR && b !== LF && b !== -1) fast = false;
        if (fast && mantissa !== 0 && (exponent > 22 || exponent < -22)) fast = false;
        // Find the field's end whatever the fast path made of it.
        let ascii = true;
        for (; q < n; q++) {
          const c = bytes[q] as number;
          if (c === COMMA || c === CR || c === LF) break;
          if (c === QUOTE) this.quoteInside(line, field);
          if (c >= 0x80) ascii = false;
        }
        if (q >= n && !final) return this.incomplete(recordLine);
        if (fast) {
          const magnitude =
            mantissa === 0
              ? 0
              : exponent >= 0
                ? mantissa * (POW10[exponent] as number)
                : mantissa / (POW10[-exponent] as number);
          value = negative ? -magnitude : magnitude;
        } else {
          const cell = ascii ? latin1(bytes, p, q) : this.text(bytes, p, q, line, field);
          const parsed = parseCsvNumber(cell);
          if (typeof parsed === "string") reason = parsed;
          else value = parsed;
        }
        p = q;
      }
      if (reason !== undefined && badReason === "") {
        badLine = fieldLine;
        badField = field + 1;
        badReason = reason;
      } else if (reason === undefined && target !== CSV_UNUSED) {
        if (target >= 0) this.X[row * d + target] = value;
        else if (target === CSV_TARGET) this.y[row] = value;
        else this.extra[row * extras + (CSV_EXTRA - target)] = value;
      }
      field++;
      if (p >= n) break; // final: the file ends the record
      const b = bytes[p] as number;
      if (b === COMMA) {
        p++;
        continue;
      }
      // A line break ends the record.
      if (b === CR) {
        if (p + 1 >= n && !final) return this.incomplete(recordLine);
        p += bytes[p + 1] === LF ? 2 : 1;
      } else {
        p++;
      }
      break;
    }
    const endLine = line;
    if (field !== width) {
      const tooMany = field > width;
      throw new DataFileError(
        this.source,
        tooMany ? surplusLine : endLine,
        tooMany ? width + 1 : field + 1,
        `expected ${width} fields as in the header, got ${field}`,
        tooMany ? undefined : header[field],
      );
    }
    if (badReason !== "") {
      throw new DataFileError(this.source, badLine, badField, badReason, header[badField - 1]);
    }
    this.lines[row] = recordLine;
    this.line = endLine + 1;
    this.rows++;
    if (++this.fill === this.blockRows) this.flush();
    return p;
  }

  private incomplete(recordLine: number): number {
    this.line = recordLine;
    return INCOMPLETE;
  }

  private quoteInside(line: number, field: number): never {
    this.fail(
      line,
      field + 1,
      'a quote inside an unquoted field; quote the whole field and write the quote twice ("")',
    );
  }

  /** Bytes as UTF-8, or the error a file that is not UTF-8 text gets. */
  private text(bytes: Uint8Array, from: number, to: number, line: number, field: number): string {
    try {
      return this.utf8.decode(bytes.subarray(from, to));
    } catch {
      this.fail(line, field + 1, "the bytes here are not UTF-8 text");
    }
  }
}

/** ASCII bytes as a string, without a decoder's per-call cost. */
function latin1(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let k = from; k < to; k++) s += String.fromCharCode(bytes[k] as number);
  return s;
}

/** The header of a CSV file read from its first bytes: {@link csvHeader} plus a byte offset. */
export interface CsvHeaderBytes extends CsvHeader {
  /** Byte offset of the first data row's line (just past the header's line break). */
  readonly byteEnd: number;
}

/**
 * Reads the header record from a file's first bytes (`final` when they are the whole file).
 * Returns undefined when the header may run past them: hand over more. Errors as
 * {@link csvHeader}'s, and a file that is not UTF-8 text fails at line 1.
 */
export function csvHeaderOfBytes(
  bytes: Uint8Array,
  source: string,
  final: boolean,
): CsvHeaderBytes | undefined {
  let text: string;
  try {
    // ignoreBOM keeps the BOM in the text, so that offsets in it are offsets in the bytes.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes, {
      stream: !final,
    });
  } catch {
    throw new DataFileError(source, 1, 1, "the file is not UTF-8 text");
  }
  const header = csvHeader(text, source, final);
  if (header === undefined) return undefined;
  const byteEnd = new TextEncoder().encode(text.slice(0, header.end)).length;
  return { ...header, byteEnd };
}

/**
 * Feeds byte chunks to `stream` (a record may straddle chunks: its start is carried over to
 * the next one), then finishes it. Sync or async chunks; memory is one chunk plus one record.
 */
export async function feedCsvRows(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  stream: CsvRowStream,
): Promise<void> {
  let carry: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    const bytes = carry.length === 0 ? chunk : concat(carry, chunk);
    const used = stream.parse(bytes, false);
    carry = bytes.slice(used);
  }
  stream.parse(carry, true);
  stream.finish();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
