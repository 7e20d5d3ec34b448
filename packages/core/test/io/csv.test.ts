import { describe, expect, it } from "vitest";
import { csvDataset, DataFileError, parseCsv } from "../../src/io/csv.js";

const source = "data.csv";

/** The DataFileError that `run` throws; fails the test if it throws anything else or nothing. */
function errorOf(run: () => unknown): DataFileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataFileError);
    return error as DataFileError;
  }
  throw new Error("expected a DataFileError, but nothing was thrown");
}

const parseError = (text: string) => errorOf(() => parseCsv(text, { source }));
const datasetError = (text: string, target = "y", features?: string[]) =>
  errorOf(() => csvDataset(text, { source, target, ...(features ? { features } : {}) }));

describe("parseCsv (RFC 4180)", () => {
  it("reads quoted fields, escaped quotes, embedded commas and line breaks", () => {
    const table = parseCsv('name,"say ""hi""",z\r\n"a,b","x\r\ny",3\r\n', { source });
    expect(table.header).toEqual(["name", 'say "hi"', "z"]);
    expect(table.rows).toEqual([["a,b", "x\r\ny", "3"]]);
  });

  it("accepts CRLF, LF, a missing or extra trailing newline, and a BOM", () => {
    const expected = { header: ["a", "b"], rows: [["1", "2"]] };
    for (const text of ["a,b\r\n1,2\r\n", "a,b\n1,2", "\ufeffa,b\n1,2\n", "a,b\n1,2\n\n"]) {
      const { header, rows } = parseCsv(text, { source });
      expect({ header, rows }).toEqual(expected);
    }
  });

  it("keeps empty fields, trims header names, and reports each row's line", () => {
    const table = parseCsv(' a , b ,c\n,,\n\n1,"two\nlines",3\n4,5,6\n', { source });
    expect(table.header).toEqual(["a", "b", "c"]);
    expect(table.rows).toEqual([
      ["", "", ""],
      ["1", "two\nlines", "3"],
      ["4", "5", "6"],
    ]);
    expect(table.headerLine).toBe(1);
    expect([0, 1, 2].map((r) => table.lineOf(r))).toEqual([2, 4, 6]);
    // The third field of row 1 starts on the line after the quoted line break.
    expect(table.lineOf(1, 2)).toBe(5);
    expect(table.lineOf(1, 0)).toBe(4);
    expect(() => table.lineOf(3)).toThrow(RangeError);
  });

  it("rejects an empty file", () => {
    for (const text of ["", "\ufeff", "\n\n"]) {
      const error = parseError(text);
      expect(error.message).toBe(
        "data.csv:1:1: the file is empty; expected a header row and at least one data row",
      );
      expect([error.file, error.line, error.column]).toEqual([source, 1, 1]);
    }
  });

  it("rejects a header without data rows", () => {
    expect(parseError("x1,x2,y\n").message).toBe("data.csv:2:1: no data rows after the header");
    expect(parseError("x1,x2,y").message).toBe("data.csv:2:1: no data rows after the header");
  });

  it("rejects a row with too many or too few fields, saying expected and got", () => {
    const tooMany = parseError("x1,x2,y\n1,2,3\n1,2,3,4\n");
    expect(tooMany.message).toBe("data.csv:3:4: expected 3 fields as in the header, got 4");
    const tooFew = parseError("x1,x2,y\n1,2,3\n4,5,6\n1,2\n");
    expect(tooFew.message).toBe(
      'data.csv:4:3 (column "y"): expected 3 fields as in the header, got 2',
    );
    expect([tooFew.line, tooFew.column, tooFew.columnName]).toEqual([4, 3, "y"]);
  });

  it("rejects duplicate and empty column names", () => {
    expect(parseError("x1,x2,x1\n1,2,3\n").message).toBe(
      'data.csv:1:3 (column "x1"): duplicate column name: column 1 is also "x1"',
    );
    expect(parseError("x1,,y\n1,2,3\n").message).toBe("data.csv:1:2: column 2 has no name");
  });

  it("rejects an unterminated quote at the line and field where it opens", () => {
    const error = parseError('x1,x2,y\n1,2,3\n4,"5,6\n7,8,9\n');
    expect(error.message).toBe(
      'data.csv:3:2 (column "x2"): unterminated quoted field: its opening quote is never closed',
    );
  });

  it("rejects stray quotes", () => {
    expect(parseError('x1,x2,y\n1,2"5,3\n').message).toBe(
      'data.csv:2:2 (column "x2"): a quote inside an unquoted field; quote the whole field and write the quote twice ("")',
    );
    expect(parseError('x1,x2,y\n1,"2"5,3\n').message).toBe(
      'data.csv:2:2 (column "x2"): unexpected "5" after a closing quote; a quote inside a quoted field is written twice ("")',
    );
  });
});

describe("csvDataset", () => {
  it("reads features and target into a row-major Dataset", () => {
    const { dataset, featureNames, targetName } = csvDataset(
      "x1,y,x2\n1,10,2\n-3.5e1,20, +.25 \n",
      {
        source,
        target: "y",
      },
    );
    expect(featureNames).toEqual(["x1", "x2"]);
    expect(targetName).toBe("y");
    expect(dataset).toEqual({
      X: Float64Array.from([1, 2, -35, 0.25]),
      y: Float64Array.from([10, 20]),
      n: 2,
      d: 2,
    });
  });

  it("takes features in the listed order and ignores unlisted columns, text included", () => {
    const text = "id,x1,y,x2\nr1,1,10,2\nr2,3,20,4\n";
    const chosen = csvDataset(text, { source, target: "y", features: ["x2", "x1"] });
    expect(chosen.featureNames).toEqual(["x2", "x1"]);
    expect(chosen.dataset).toEqual({
      X: Float64Array.from([2, 1, 4, 3]),
      y: Float64Array.from([10, 20]),
      n: 2,
      d: 2,
    });
    // By default every other column is a feature, so the text column is an error.
    expect(datasetError(text).message).toBe('data.csv:2:1 (column "id"): "r1" is not a number');
  });

  it("rejects a non-numeric cell with its line, field number and column name", () => {
    const text = "x1,x2,y\n1,2,3\n4,abc,6\n";
    const error = datasetError(text);
    expect(error.message).toBe('data.csv:3:2 (column "x2"): "abc" is not a number');
    expect([error.file, error.line, error.column, error.columnName]).toEqual([source, 3, 2, "x2"]);
    // Number() would take these; a data file should not.
    expect(datasetError("x,y\n0x10,1\n").message).toBe(
      'data.csv:2:1 (column "x"): "0x10" is not a number',
    );
    expect(datasetError("x,y\n1,2\n3,1 000\n").message).toBe(
      'data.csv:3:2 (column "y"): "1 000" is not a number',
    );
  });

  it("counts lines after a quoted line break when locating a bad cell", () => {
    const error = datasetError('note,x,y\n"a\nb",1,2\n"c",1,oops\n', "y", ["x"]);
    expect(error.message).toBe('data.csv:4:3 (column "y"): "oops" is not a number');
  });

  it("rejects NaN, Infinity, overflow and empty cells", () => {
    expect(datasetError("x,y\n1,2\nNaN,3\n").message).toBe(
      'data.csv:3:1 (column "x"): "NaN" is not a finite number; missing or infinite values are not supported',
    );
    expect(datasetError("x,y\n1,-Infinity\n").message).toBe(
      'data.csv:2:2 (column "y"): "-Infinity" is not a finite number; missing or infinite values are not supported',
    );
    expect(datasetError("x,y\n1e999,1\n").message).toBe(
      'data.csv:2:1 (column "x"): "1e999" is too large for a 64-bit float',
    );
    expect(datasetError("x,y\n1,2\n,3\n").message).toBe(
      'data.csv:3:1 (column "x"): the cell is empty; missing values are not supported',
    );
  });

  it("reports the leftmost bad cell of a row", () => {
    expect(datasetError("y,x\nbad,worse\n").message).toBe(
      'data.csv:2:1 (column "y"): "bad" is not a number',
    );
  });

  it("rejects a missing target column, listing the columns", () => {
    expect(datasetError("x1,x2,y\n1,2,3\n", "price").message).toBe(
      'data.csv:1:1: no target column "price"; the columns are "x1", "x2", "y"',
    );
  });

  it("rejects unknown, repeated or target names in the feature list", () => {
    const text = "x1,x2,y\n1,2,3\n";
    expect(datasetError(text, "y", ["x1", "x9"]).message).toBe(
      'data.csv:1:1: no feature column "x9"; the columns are "x1", "x2", "y"',
    );
    expect(datasetError(text, "y", ["x1", "x1"]).message).toBe(
      'data.csv:1:1 (column "x1"): the column is listed twice as a feature',
    );
    expect(datasetError(text, "y", ["y"]).message).toBe(
      'data.csv:1:3 (column "y"): the target column cannot also be a feature',
    );
    expect(datasetError(text, "y", []).message).toBe(
      "data.csv:1:1: the list of feature columns is empty",
    );
    expect(datasetError("y\n1\n").message).toBe(
      'data.csv:1:1: no feature columns: the only column is the target "y"',
    );
  });

  it("passes the parser's errors through", () => {
    expect(datasetError("x,x,y\n1,2,3\n").message).toBe(
      'data.csv:1:2 (column "x"): duplicate column name: column 1 is also "x"',
    );
    expect(datasetError("").message).toMatch(/^data\.csv:1:1: the file is empty/);
  });

  it("keeps one message per line even for a long cell with a line break", () => {
    const cell = `"${"z".repeat(50)}\n"`;
    const { message } = datasetError(`x,y\n${cell},1\n`);
    expect(message).toBe(`data.csv:2:1 (column "x"): "${"z".repeat(39)}…" is not a number`);
    expect(message).not.toContain("\n");
  });
});
