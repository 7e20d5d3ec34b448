import { describe, expect, it } from "vitest";
import type { BinaryOp, Tensor, UnaryOp } from "../src/backend.js";
import * as shapes from "../src/shapes.js";

const tensor = (rows: number, cols: number, dtype: Tensor["dtype"] = "float"): Tensor => ({
  shape: [rows, cols],
  dtype,
});

describe("shapes: the backends' shared argument checks", () => {
  it("describes a shape as r×c", () => {
    expect(shapes.describeShape([3, 4])).toBe("3×4");
  });

  it("checks a new tensor's shape and size", () => {
    expect(() => shapes.checkShape([2, 3], 6)).not.toThrow();
    expect(() => shapes.checkShape([0, 2], 10)).toThrow(
      "shape must be two positive integers, got [0, 2]",
    );
    expect(() => shapes.checkShape([1.5, 2], 10)).toThrow(/positive integers/);
    expect(() => shapes.checkShape([3, 4], 11)).toThrow("a 3×4 tensor exceeds 11 elements");
  });

  it("checks host data: its length and, for int32, its values", () => {
    expect(() => shapes.checkHostData("write", [1, 2, 3, 4], [2, 2], "float")).not.toThrow();
    expect(() => shapes.checkHostData("write", [1, 2, 3], [2, 2], "float")).toThrow(
      "write: 3 values for a 2×2 tensor",
    );
    expect(() => shapes.checkHostData("upload", [0.5], [1, 1], "float")).not.toThrow();
    expect(() => shapes.checkHostData("upload", [1, 0.5], [2, 1], "int32")).toThrow(
      "upload: int32 tensor given 0.5 at 1",
    );
    expect(() => shapes.checkHostData("write", [2 ** 31], [1, 1], "int32")).toThrow(
      /int32 tensor given/,
    );
    expect(() => shapes.checkHostData("write", [-(2 ** 31)], [1, 1], "int32")).not.toThrow();
  });

  it("gives a product's dimensions, transposes included", () => {
    expect(shapes.matmulDims([2, 3], [3, 5])).toEqual({ m: 2, k: 3, n: 5 });
    expect(shapes.matmulDims([3, 2], [3, 5], true)).toEqual({ m: 2, k: 3, n: 5 });
    expect(shapes.matmulDims([2, 3], [5, 3], false, true)).toEqual({ m: 2, k: 3, n: 5 });
    expect(shapes.matmulDims([3, 2], [5, 3], true, true)).toEqual({ m: 2, k: 3, n: 5 });
    expect(() => shapes.matmulDims([2, 3], [4, 5])).toThrow(
      "matmul: inner dimensions differ (2×3 · 4×5)",
    );
    expect(() => shapes.matmulDims([2, 3], [4, 5], true, true)).toThrow(
      "matmul: inner dimensions differ (2×3ᵀ · 4×5ᵀ)",
    );
  });

  it("classifies how b broadcasts against a, or says why it cannot", () => {
    expect(shapes.broadcastKind("add", [3, 4], [3, 4])).toBe("same");
    expect(shapes.broadcastKind("add", [3, 4], [1, 1])).toBe("scalar");
    expect(shapes.broadcastKind("sub", [3, 4], [1, 4])).toBe("row");
    expect(shapes.broadcastKind("mul", [3, 4], [3, 1])).toBe("column");
    // Where two apply, the earlier wins.
    expect(shapes.broadcastKind("add", [1, 1], [1, 1])).toBe("same");
    expect(shapes.broadcastKind("add", [1, 4], [1, 1])).toBe("scalar");
    expect(shapes.broadcastKind("add", [3, 1], [1, 1])).toBe("scalar");
    expect(() => shapes.broadcastKind("div", [3, 4], [4, 3])).toThrow(
      "div: cannot broadcast 4×3 to 3×4",
    );
    expect(() => shapes.broadcastKind("add", [1, 1], [3, 4])).toThrow(
      /cannot broadcast 3×4 to 1×1/,
    );
  });

  it("checks same-shape operands and assign's source", () => {
    expect(() => shapes.checkSameShape("axpby", [2, 3], [2, 3])).not.toThrow();
    expect(() => shapes.checkSameShape("axpby", [2, 3], [3, 2])).toThrow(
      "axpby: shapes differ (2×3 and 3×2)",
    );
    expect(() => shapes.checkAssign(tensor(2, 3), tensor(2, 3))).not.toThrow();
    expect(() => shapes.checkAssign(tensor(2, 3), tensor(3, 2))).toThrow("assign: 3×2 into 2×3");
    expect(() => shapes.checkAssign(tensor(2, 3), tensor(2, 3, "int32"))).toThrow(
      "assign: 2×3 into 2×3",
    );
  });

  it("checks the soft threshold and sum's axis", () => {
    expect(() => shapes.checkThreshold(0)).not.toThrow();
    expect(() => shapes.checkThreshold(-1)).toThrow("softThreshold: threshold must be ≥ 0, got -1");
    expect(() => shapes.checkThreshold(Number.NaN)).toThrow(/got NaN/);
    for (const axis of [undefined, 0, 1] as const)
      expect(() => shapes.checkSumAxis(axis)).not.toThrow();
    expect(() => shapes.checkSumAxis(2 as never)).toThrow(
      "sum: axis must be 0, 1 or undefined, got 2",
    );
  });

  it("checks gatherRows' window and every index in it", () => {
    const indices = Int32Array.from([3, 0, 5, 9]);
    // Only the window is checked: 9 lies outside it.
    expect(() => shapes.checkGatherRange(6, indices, 0, 3)).not.toThrow();
    expect(() => shapes.checkGatherRange(6, indices, -1, 2)).toThrow(
      "gatherRows: bad range offset -1, count 2",
    );
    expect(() => shapes.checkGatherRange(6, indices, 0, 0)).toThrow(/bad range/);
    expect(() => shapes.checkGatherRange(6, indices, 0.5, 1)).toThrow(/bad range/);
    expect(() => shapes.checkGatherRange(6, indices, 2, 3)).toThrow(
      "gatherRows: rows 2..5 exceed 4 indices",
    );
    expect(() => shapes.checkGatherRange(6, indices, 2, 2)).toThrow(
      "gatherRows: row index 9 out of range [0, 6)",
    );
    expect(() => shapes.checkGatherRange(6, [-1], 0, 1)).toThrow(/row index -1 out of range/);
  });

  it("maps the elementwise ops on the host, and rejects unknown ones", () => {
    expect(Object.keys(shapes.HOST_UNARY).sort()).toEqual(["abs", "neg", "sign", "sqrt", "square"]);
    expect(Object.keys(shapes.HOST_BINARY).sort()).toEqual(["add", "div", "mul", "sub"]);
    const sign = shapes.hostUnary("sign");
    expect([sign(-2), sign(3), sign(0), sign(-0), sign(Number.NaN)]).toEqual([
      -1,
      1,
      0,
      -0,
      Number.NaN,
    ]);
    expect(Object.is(sign(-0), -0)).toBe(true);
    expect(shapes.hostUnary("square")(-3)).toBe(9);
    expect(shapes.hostBinary("div")(1, 4)).toBe(0.25);
    expect(() => shapes.hostUnary("exp" as UnaryOp)).toThrow("unknown unary op exp");
    expect(() => shapes.hostBinary("pow" as BinaryOp)).toThrow("unknown binary op pow");
    // Not fooled by what every object inherits.
    expect(() => shapes.checkUnaryOp("toString" as UnaryOp)).toThrow(/unknown unary op toString/);
    expect(() => shapes.checkBinaryOp("constructor" as BinaryOp)).toThrow(/unknown binary op/);
    expect(() => shapes.checkBinaryOp("mul")).not.toThrow();
  });
});

describe("applyHostBinary", () => {
  it("broadcasts a row, a column and a scalar like the same-shape case spelled out", () => {
    const x = [1, 2, 3, 4, 5, 6]; // 2×3
    const out = new Float64Array(6);
    shapes.applyHostBinary("sub", "row", x, [10, 20, 30], out, 3);
    expect(Array.from(out)).toEqual([-9, -18, -27, -6, -15, -24]);
    shapes.applyHostBinary("mul", "column", x, [2, -1], out, 3);
    expect(Array.from(out)).toEqual([2, 4, 6, -4, -5, -6]);
    shapes.applyHostBinary("div", "scalar", x, [2], out, 3);
    expect(Array.from(out)).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    shapes.applyHostBinary("add", "same", x, [6, 5, 4, 3, 2, 1], out, 3);
    expect(Array.from(out)).toEqual([7, 7, 7, 7, 7, 7]);
  });
});
