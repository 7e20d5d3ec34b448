/**
 * make-big-data.ts at a small size: the CSV and the Parquet file hold the same numbers bit for
 * bit (the CSV read by core's csvDataset, the Parquet file by hyparquet), those of the seeded
 * generator, in row groups of the size asked; the float32 variant holds their float32 roundings.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvDataset, Rng } from "@wdecay/core";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigDataColumns, drawRows, makeBigData, printFixed } from "../src/make-big-data.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wdecay-big-data-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bits = (values: ArrayLike<number>) =>
  Array.from(new BigUint64Array(Float64Array.from(values).buffer));

describe("makeBigData", () => {
  it("writes a CSV and a Parquet file of the same seeded numbers", async () => {
    const rows = 2500;
    const cols = 4;
    const csv = join(dir, "big.csv");
    const parquet = join(dir, "big.parquet");
    const progress: number[] = [];
    await makeBigData({
      rows,
      cols,
      seed: 7,
      rowGroup: 1000,
      type: "float64",
      codec: "SNAPPY",
      csv,
      parquet,
      progress: (n) => progress.push(n),
    });
    expect(progress).toEqual([1000, 2000, 2500]);

    // The generator's own numbers, drawn again.
    const names = bigDataColumns(cols);
    expect(names).toEqual(["x1", "x2", "x3", "x4", "y"]);
    const expected = names.map(() => new Float64Array(rows));
    const rng = new Rng(7);
    for (let start = 0; start < rows; start += 1000) {
      const n = Math.min(1000, rows - start);
      const part = names.map(() => new Float64Array(1000));
      drawRows(rng, n, part);
      for (const [j, column] of part.entries()) expected[j]?.set(column.subarray(0, n), start);
    }

    const text = await readFile(csv, "utf8");
    expect(text.split("\n", 1)[0]).toBe("x1,x2,x3,x4,y");
    expect(text.split("\n")[1]).toMatch(/^-?\d+\.\d{6}(,-?\d+\.\d{6}){4}$/);
    const { dataset } = csvDataset(text, { source: csv, target: "y" });
    expect(bits(dataset.y)).toEqual(bits(expected[cols] as Float64Array));
    for (let j = 0; j < cols; j++) {
      const column = Array.from({ length: rows }, (_, i) => dataset.X[i * cols + j] as number);
      expect(bits(column)).toEqual(bits(expected[j] as Float64Array));
    }

    const file = await asyncBufferFromFile(parquet);
    const metadata = await parquetMetadataAsync(file);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([1000, 1000, 500]);
    expect(metadata.schema.slice(1).map((e) => [e.name, e.type, e.repetition_type])).toEqual(
      names.map((name) => [name, "DOUBLE", "REQUIRED"]),
    );
    const objects = await parquetReadObjects({ file, metadata });
    for (const [j, name] of names.entries()) {
      expect(bits(objects.map((o) => o[name] as number))).toEqual(
        bits(expected[j] as Float64Array),
      );
    }
  });

  it("the float32 variant holds the float32 roundings of the same numbers", async () => {
    const parquet = join(dir, "f32.parquet");
    const base = { rows: 300, cols: 3, seed: 9, rowGroup: 128, codec: "UNCOMPRESSED" } as const;
    await makeBigData({ ...base, type: "float32", parquet });
    const expected = bigDataColumns(3).map(() => new Float64Array(128));
    const rng = new Rng(9);
    const want: number[][] = bigDataColumns(3).map(() => []);
    for (let start = 0; start < 300; start += 128) {
      const n = Math.min(128, 300 - start);
      drawRows(rng, n, expected);
      for (const [j, column] of expected.entries()) want[j]?.push(...column.subarray(0, n));
    }
    const file = await asyncBufferFromFile(parquet);
    const metadata = await parquetMetadataAsync(file);
    expect(metadata.schema[1]?.type).toBe("FLOAT");
    const objects = await parquetReadObjects({ file, metadata });
    for (const [j, name] of bigDataColumns(3).entries()) {
      expect(objects.map((o) => o[name])).toEqual((want[j] as number[]).map(Math.fround));
    }
  });

  it("prints each value as the decimal that parses back to it, and never −0", () => {
    const print = (v: number) => {
      const buffer = Buffer.alloc(40);
      return buffer.toString("latin1", 0, printFixed(buffer, 0, v));
    };
    for (const [v, text] of [
      [0, "0.000000"],
      [-1.5, "-1.500000"],
      [0.000001, "0.000001"],
      [-0.000123, "-0.000123"],
      [123456.789012, "123456.789012"],
      [-98765432.1, "-98765432.100000"],
    ] as const) {
      expect(print(v)).toBe(text);
      expect(Number(text)).toBe(v);
    }
    // x rounds to −0 here: it must be stored as +0, which is what "0.000000" reads as.
    const tiny = {
      fillNormal: (z: Float64Array) => z.fill(-1e-9),
      normal: () => 0,
    } as unknown as Rng;
    const columns = [new Float64Array(1), new Float64Array(1), new Float64Array(1)];
    drawRows(tiny, 1, columns);
    expect(Object.is(columns[0]?.[0], 0)).toBe(true);
    expect(Object.is(columns[1]?.[0], 0)).toBe(true);
  });
});
