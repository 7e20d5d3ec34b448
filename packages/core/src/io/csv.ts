/**
 * CSV data files (RFC 4180) into a {@link Dataset}. Runs in browsers too: it takes the file's
 * text, never a path. Every error is a {@link DataFileError} that says where, as
 * `file:line:column`, with the column being the CSV field number (what a user can count in a
 * spreadsheet), so that a bad cell in a million-row file can be found at once.
 *
 * Beyond RFC 4180, and why:
 * - LF, CRLF and lone CR all end a record (files travel between systems).
 * - A UTF-8 byte order mark is ignored (spreadsheets write one).
 * - Empty lines are skipped (editors add them at the end; no data row can be empty, since a
 *   data file has at least two columns).
 * - Header names and numeric cells are trimmed of surrounding spaces and tabs (`x1, x2` is
 *   common and never means a name or number that starts with a space).
 */
import type { Dataset } from "../data.js";

/** A value shown inside a message: quoted and escaped so the message stays on one line. */
export function quoteForMessage(value: string, max = 40): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max - 1)}…` : value);
}

/** A value of a JSON file as a message shows it: text quoted, containers named. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return quoteForMessage(value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

/**
 * A problem in a data file, located by file, line and column (all 1-based). Its message reads
 * `data.csv:12:3 (column "x2"): "abc" is not a number`.
 */
export class DataFileError extends Error {
  /** The file as the caller named it (its `source`). */
  readonly file: string;
  /** 1-based line of the file. */
  readonly line: number;
  /** 1-based CSV field number (not a character offset). */
  readonly column: number;
  /** The header's name for that field, when the error is about a named column. */
  readonly columnName: string | undefined;
  /** The message without its location prefix. */
  readonly reason: string;

  constructor(file: string, line: number, column: number, reason: string, columnName?: string) {
    const where = columnName === undefined ? "" : ` (column ${quoteForMessage(columnName)})`;
    super(`${file}:${line}:${column}${where}: ${reason}`);
    this.name = "DataFileError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.columnName = columnName;
    this.reason = reason;
  }
}

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** The name used in error messages, e.g. the path the user gave. */
  readonly source: string;
}

/** A parsed CSV file: a header and rows of the same width. */
export interface CsvTable {
  /** Column names, trimmed, non-empty and distinct. */
  readonly header: string[];
  /** Data rows (the header excluded), each with `header.length` raw, untrimmed fields. */
  readonly rows: string[][];
  /** The line the header starts on (after any skipped empty lines). */
  readonly headerLine: number;
  /**
   * The 1-based line where data row `rowIndex` (0-based, header excluded) starts, or, given
   * `field` (0-based), where that field starts: a quoted field may span lines.
   */
  lineOf(rowIndex: number, field?: number): number;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
  /** Each field's start line, only for records that span lines (rare; saves memory). */
  readonly fieldLines: number[] | undefined;
  /** The line the record's last field ends on. */
  readonly endLine: number;
}

/** The record-level tokenizer; column names come from the header once it is read. */
class Tokenizer {
  private i = 0;
  private line = 1;
  header: readonly string[] | undefined;

  /** UTF-16 index of the next unread character. */
  get position(): number {
    return this.i;
  }

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {
    // The BOM is not data; dropping it changes no line or field number.
    if (text.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  private fail(line: number, field: number, reason: string): never {
    const name = this.header?.[field - 1];
    throw new DataFileError(this.source, line, field, reason, name);
  }

  /** Consumes one line break at `i` (CRLF counts once). */
  private skipLineBreak(): void {
    const c = this.text.charCodeAt(this.i);
    this.i += c === CR && this.text.charCodeAt(this.i + 1) === LF ? 2 : 1;
    this.line++;
  }

  /** The next record, skipping empty lines, or undefined at the end of the text. */
  next(): CsvRecord | undefined {
    const { text } = this;
    for (;;) {
      if (this.i >= text.length) return undefined;
      const c = text.charCodeAt(this.i);
      if (c !== CR && c !== LF) break;
      this.skipLineBreak();
    }
    const fields: string[] = [];
    let fieldLines: number[] | undefined;
    const recordLine = this.line;
    for (;;) {
      const fieldLine = this.line;
      const fieldNumber = fields.length + 1;
      let value: string;
      if (text.charCodeAt(this.i) === QUOTE) {
        value = this.quotedField(fieldLine, fieldNumber);
      } else {
        const start = this.i;
        let j = start;
        for (; j < text.length; j++) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === CR || c === LF) break;
          if (c === QUOTE) {
            this.fail(
              this.line,
              fieldNumber,
              'a quote inside an unquoted field; quote the whole field and write the quote twice ("")',
            );
          }
        }
        value = text.slice(start, j);
        this.i = j;
      }
      if (fieldLine !== recordLine || fieldLines !== undefined) {
        fieldLines ??= fields.map(() => recordLine);
        fieldLines.push(fieldLine);
      }
      fields.push(value);
      if (this.i >= text.length) break;
      if (text.charCodeAt(this.i) === COMMA) {
        this.i++;
        continue;
      }
      const endLine = this.line;
      this.skipLineBreak();
      return { fields, line: recordLine, fieldLines, endLine };
    }
    return { fields, line: recordLine, fieldLines, endLine: this.line };
  }

  /** Reads `"…"` at `i`, with `""` for a quote; line breaks inside belong to the value. */
  private quotedField(fieldLine: number, fieldNumber: number): string {
    const { text } = this;
    let value = "";
    let chunk = ++this.i;
    for (;;) {
      const q = text.indexOf('"', this.i);
      if (q === -1) {
        this.fail(
          fieldLine,
          fieldNumber,
          "unterminated quoted field: its opening quote is never closed",
        );
      }
      for (let k = this.i; k < q; k++) {
        const c = text.charCodeAt(k);
        if (c === LF || (c === CR && text.charCodeAt(k + 1) !== LF)) this.line++;
      }
      if (text.charCodeAt(q + 1) === QUOTE) {
        value += text.slice(chunk, q + 1);
        this.i = q + 2;
        chunk = this.i;
        continue;
      }
      value += text.slice(chunk, q);
      this.i = q + 1;
      break;
    }
    if (this.i < text.length) {
      const c = text.charCodeAt(this.i);
      if (c !== COMMA && c !== CR && c !== LF) {
        this.fail(
          this.line,
          fieldNumber,
          `unexpected ${quoteForMessage(text.charAt(this.i))} after a closing quote; a quote inside a quoted field is written twice ("")`,
        );
      }
    }
    return value;
  }
}

/** Header names are trimmed; they must be non-empty and distinct to select columns by name. */
function checkHeader(record: CsvRecord, source: string): string[] {
  const header = record.fields.map((name) => name.trim());
  const seen = new Map<string, number>();
  for (const [index, name] of header.entries()) {
    const line = record.fieldLines?.[index] ?? record.line;
    if (name === "") {
      throw new DataFileError(source, line, index + 1, `column ${index + 1} has no name`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new DataFileError(
        source,
        line,
        index + 1,
        `duplicate column name: column ${first + 1} is also ${quoteForMessage(name)}`,
        name,
      );
    }
    seen.set(name, index);
  }
  return header;
}

/**
 * Parses a CSV file with a header row into rows of raw strings (RFC 4180, plus the leniencies
 * in the module comment). Throws {@link DataFileError} for an empty file, a header without
 * data rows, a header with empty or duplicate names, a row with the wrong number of fields,
 * and quoting errors.
 */
export function parseCsv(text: string, options: CsvOptions): CsvTable {
  const { source } = options;
  const tokenizer = new Tokenizer(text, source);
  const headerRecord = tokenizer.next();
  if (headerRecord === undefined) {
    throw new DataFileError(
      source,
      1,
      1,
      "the file is empty; expected a header row and at least one data row",
    );
  }
  const header = checkHeader(headerRecord, source);
  tokenizer.header = header;
  const width = header.length;
  const rows: string[][] = [];
  const rowLines: number[] = [];
  // Rows whose fields start on different lines (a quoted line break): rare, so kept aside.
  const spanning = new Map<number, number[]>();
  for (let record = tokenizer.next(); record !== undefined; record = tokenizer.next()) {
    const { fields } = record;
    if (fields.length !== width) {
      const tooMany = fields.length > width;
      const column = tooMany ? width + 1 : fields.length + 1;
      const line = tooMany ? (record.fieldLines?.[width] ?? record.line) : record.endLine;
      throw new DataFileError(
        source,
        line,
        column,
        `expected ${width} fields as in the header, got ${fields.length}`,
        tooMany ? undefined : header[fields.length],
      );
    }
    if (record.fieldLines !== undefined) spanning.set(rows.length, record.fieldLines);
    rows.push(fields);
    rowLines.push(record.line);
  }
  if (rows.length === 0) {
    throw new DataFileError(source, headerRecord.endLine + 1, 1, "no data rows after the header");
  }
  return {
    header,
    rows,
    headerLine: headerRecord.line,
    lineOf(rowIndex: number, field?: number): number {
      const line = rowLines[rowIndex];
      if (line === undefined) {
        throw new RangeError(`row index ${rowIndex} is outside [0, ${rowLines.length})`);
      }
      return (field === undefined ? undefined : spanning.get(rowIndex)?.[field]) ?? line;
    },
  };
}

/** The header record of a CSV text, as {@link csvHeader} reads it. */
export interface CsvHeader {
  /** Column names, trimmed, non-empty and distinct. */
  readonly header: string[];
  /** The line the header starts on (after any skipped empty lines). */
  readonly line: number;
  /** The line the first data row can start on. */
  readonly nextLine: number;
  /** UTF-16 index into the text just past the header's line break (or the text's end). */
  readonly end: number;
}

/**
 * Reads only the header record of `text` (a file's beginning), with {@link parseCsv}'s rules and
 * errors; for readers that take the rows from a stream. An empty text throws as an empty file.
 * With `final` false, `text` may be cut short: undefined when the header record may go on
 * past it (no line break after it yet, or a quote still open).
 */
export function csvHeader(text: string, source: string, final: true): CsvHeader;
export function csvHeader(text: string, source: string, final: boolean): CsvHeader | undefined;
export function csvHeader(text: string, source: string, final: boolean): CsvHeader | undefined {
  const tokenizer = new Tokenizer(text, source);
  let record: CsvRecord | undefined;
  try {
    record = tokenizer.next();
  } catch (error) {
    if (!final && error instanceof DataFileError && error.reason.startsWith("unterminated")) {
      return undefined;
    }
    throw error;
  }
  if (record === undefined) {
    if (!final) return undefined;
    throw new DataFileError(
      source,
      1,
      1,
      "the file is empty; expected a header row and at least one data row",
    );
  }
  // A CR at the very end may be the first half of a CRLF.
  if (!final && tokenizer.position >= text.length) return undefined;
  const header = checkHeader(record, source);
  return { header, line: record.line, nextLine: record.endLine + 1, end: tokenizer.position };
}

/** Options of {@link csvDataset}. */
export interface CsvDatasetOptions extends CsvOptions {
  /** The name of the column to predict. */
  readonly target: string;
  /** Feature columns, in the order the model should see them (default: every other column). */
  readonly features?: readonly string[];
}

/** A data set read from CSV, with the names of its columns. */
export interface CsvDataset {
  readonly dataset: Dataset;
  /** The name of each column of `dataset.X`, in order. */
  readonly featureNames: string[];
  readonly targetName: string;
}

// A plain decimal: what people mean by a number in a data file. Excludes Number()'s extras
// ("0x1f", "0b1", "", "Infinity") that would turn a typo into a silently wrong value.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * A CSV cell's number, or why it is not one (a message for a {@link DataFileError}): the one
 * rule for numbers in data files, shared by every reader of them.
 */
export function parseCsvNumber(raw: string): number | string {
  const cell = raw.trim();
  if (cell === "") return "the cell is empty; missing values are not supported";
  if (NON_FINITE.test(cell)) {
    return `${quoteForMessage(cell)} is not a finite number; missing or infinite values are not supported`;
  }
  if (!DECIMAL.test(cell)) return `${quoteForMessage(cell)} is not a number`;
  const value = Number(cell);
  if (!Number.isFinite(value)) return `${quoteForMessage(cell)} is too large for a 64-bit float`;
  return value;
}

function columnList(header: readonly string[]): string {
  return header.map((name) => quoteForMessage(name)).join(", ");
}

/** Where each field of a CSV row goes: see {@link resolveCsvColumns}. */
export interface CsvColumns {
  readonly header: readonly string[];
  readonly featureNames: string[];
  readonly targetName: string;
  /**
   * Per field: the feature's position in X (≥ 0), {@link CSV_TARGET}, {@link CSV_UNUSED}, or
   * `CSV_EXTRA − k` for the k-th of `extra`.
   */
  readonly slot: Int32Array;
}

/** {@link CsvColumns.slot} of a field nobody reads (it may hold text). */
export const CSV_UNUSED = -1;
/** {@link CsvColumns.slot} of the target column. */
export const CSV_TARGET = -2;
/** {@link CsvColumns.slot} of the first of the extra numeric columns (then −4, −5, …). */
export const CSV_EXTRA = -3;
const UNUSED = CSV_UNUSED;
const TARGET = CSV_TARGET;
const EXTRA = CSV_EXTRA;

/**
 * The columns a data set reads from a header: the target, the features (all other columns
 * by default, in `features`' order otherwise) and any `extra` numeric columns (a fold id), with
 * the same errors, at the header's line, whichever reader asks.
 */
export function resolveCsvColumns(
  header: readonly string[],
  headerLine: number,
  options: CsvDatasetOptions & { readonly extra?: readonly string[] },
): CsvColumns {
  const { source, target } = options;
  const index = new Map(header.map((name, i) => [name, i]));
  const targetIndex = index.get(target);
  if (targetIndex === undefined) {
    throw new DataFileError(
      source,
      headerLine,
      1,
      `no target column ${quoteForMessage(target)}; the columns are ${columnList(header)}`,
    );
  }
  let featureNames: string[];
  if (options.features === undefined) {
    // Extra columns (a fold id) are never features unless listed.
    featureNames = header.filter((name, i) => i !== targetIndex && !options.extra?.includes(name));
    if (featureNames.length === 0) {
      throw new DataFileError(
        source,
        headerLine,
        1,
        `no feature columns: the only column is the target ${quoteForMessage(target)}`,
      );
    }
  } else {
    featureNames = [...options.features];
    if (featureNames.length === 0) {
      throw new DataFileError(source, headerLine, 1, "the list of feature columns is empty");
    }
    const listed = new Set<string>();
    for (const name of featureNames) {
      const at = index.get(name);
      if (at === undefined) {
        throw new DataFileError(
          source,
          headerLine,
          1,
          `no feature column ${quoteForMessage(name)}; the columns are ${columnList(header)}`,
        );
      }
      if (at === targetIndex) {
        throw new DataFileError(
          source,
          headerLine,
          at + 1,
          "the target column cannot also be a feature",
          name,
        );
      }
      if (listed.has(name)) {
        throw new DataFileError(
          source,
          headerLine,
          at + 1,
          "the column is listed twice as a feature",
          name,
        );
      }
      listed.add(name);
    }
  }
  const slot = new Int32Array(header.length).fill(UNUSED);
  slot[targetIndex] = TARGET;
  for (const [j, name] of featureNames.entries()) slot[index.get(name) as number] = j;
  const extraIndex = new Map<string, number>();
  for (const name of options.extra ?? []) {
    const at = index.get(name);
    if (at === undefined) {
      throw new DataFileError(
        source,
        headerLine,
        1,
        `no column ${quoteForMessage(name)}; the columns are ${columnList(header)}`,
      );
    }
    if ((slot[at] as number) !== UNUSED) {
      throw new DataFileError(
        source,
        headerLine,
        at + 1,
        "the column is already the target or a feature",
        name,
      );
    }
    slot[at] = EXTRA - extraIndex.size;
    extraIndex.set(name, at);
  }
  return { header, featureNames, targetName: target, slot };
}

/**
 * Reads a CSV file into a data set: `target` becomes `y` and the feature columns (all others
 * by default) become `X`, in the order of `features`. Columns left out of an explicit
 * `features` list are not read, so they may hold text (an id, a date); every cell of a used
 * column must be a finite decimal number.
 */
export function csvDataset(text: string, options: CsvDatasetOptions): CsvDataset {
  const { source } = options;
  const table = parseCsv(text, { source });
  const { header, rows } = table;
  const { featureNames, targetName, slot } = resolveCsvColumns(header, table.headerLine, options);
  const n = rows.length;
  const d = featureNames.length;
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const row = rows[r] as string[];
    // Field by field from the left, so the error reported is the first bad cell a reader meets.
    for (let c = 0; c < header.length; c++) {
      const j = slot[c] as number;
      if (j === UNUSED) continue;
      const value = parseCsvNumber(row[c] as string);
      if (typeof value === "string") {
        throw new DataFileError(source, table.lineOf(r, c), c + 1, value, header[c]);
      }
      if (j === TARGET) y[r] = value;
      else X[r * d + j] = value;
    }
  }
  return { dataset: { X, y, n, d }, featureNames, targetName };
}
