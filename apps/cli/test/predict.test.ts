import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { csvText, linearRows, TRUE_MODEL, writeText } from "./data-fixtures.js";
import { commandHelp, expectOneLineError, lines, run, tempDir } from "./helpers.js";

/** A model file written by hand: y = 3 + 2a − 0.5b + 0.01c, the fixtures' truth. */
function modelText(overrides: Record<string, unknown> = {}): string {
  const { bias, weights } = TRUE_MODEL;
  return JSON.stringify({
    format: "wdecay-model",
    version: 1,
    weights: [weights.a, weights.b, weights.c],
    bias,
    featureNames: ["a", "b", "c"],
    target: "y",
    penalty: "l2",
    lambda: 0.5,
    lambdaConvention: "canonical",
    backend: "host:closed",
    seed: 1,
    createdAt: "2024-05-01T12:00:00.000Z",
    ...overrides,
  });
}

async function setup(rows = 30, model = modelText()) {
  const dir = await tempDir();
  const data = await writeText(dir, "data.csv", csvText(linearRows(rows)));
  const file = await writeText(dir, "model.json", model);
  return { dir, data, model: file };
}

describe("wdecay predict --json", () => {
  it("predicts every row, and the loss when the file has the target", async () => {
    const { data, model } = await setup(30);
    const { code, stdout, stderr } = await run([
      "predict",
      "--model",
      model,
      "--data",
      data,
      "--json",
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(lines(stdout)).toHaveLength(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ target: "y", n: 30 });
    const rows = linearRows(30);
    expect(report.predictions).toHaveLength(30);
    for (const [i, r] of rows.entries()) {
      expect(report.predictions[i]).toBeCloseTo(r.y, 9);
    }
    // The file's y is the model's exactly, up to rounding.
    expect(report.loss).toBeLessThan(1e-20);
  });

  it("reads features by name, in any order, and gives no loss without the target", async () => {
    const dir = await tempDir();
    const rows = linearRows(5);
    const text = `c,id,a,b\n${rows.map((r) => `${r.c},${r.id},${r.a},${r.b}`).join("\n")}\n`;
    const data = await writeText(dir, "new.csv", text);
    const model = await writeText(dir, "m.json", modelText());
    const { code, stdout } = await run(["predict", "--model", model, "--data", data, "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).not.toHaveProperty("loss");
    for (const [i, r] of rows.entries()) expect(report.predictions[i]).toBeCloseTo(r.y, 9);
  });

  it("a wrong model gives a loss that is not zero", async () => {
    const { data, model } = await setup(10, modelText({ bias: 4 }));
    const { stdout } = await run(["predict", "--model", model, "--data", data, "--json"]);
    // Every prediction is 1 too high: mean ½ · 1².
    expect(JSON.parse(stdout).loss).toBeCloseTo(0.5, 9);
  });
});

describe("wdecay predict (human output)", () => {
  it("lists every row with its file line, and MSE and R² against the target", async () => {
    const { data, model } = await setup(25);
    const { code, stdout, stderr } = await run(["predict", "--model", model, "--data", data]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/Predicted "y" for 25 rows of .* \(l2, canonical λ 0\.5, 3 features\)/);
    expect(stdout).toMatch(
      /against the input's "y": MSE \d\.\d{3}e[+-]\d+, R² -?\d\.\d{4}, loss mean ½/,
    );
    expect(stdout).toMatch(/line\s+prediction\s+actual/);
    // Data rows start on line 2 of the file; all 25 are listed (it used to stop at 20).
    expect(stdout).toMatch(/^\s+2\s+-?\d/m);
    expect(stdout).toMatch(/^\s+26\s+-?\d/m);
    expect(stdout).not.toContain("more rows");
  });

  it("--out FILE.csv writes every prediction as CSV, the same numbers as --json (issue 13, finding 6)", async () => {
    const { data, model, dir } = await setup(25);
    const out = join(dir, "predictions.csv");
    const json = JSON.parse(
      (await run(["predict", "--model", model, "--data", data, "--json"])).stdout,
    );
    const { code, stdout } = await run(["predict", "--model", model, "--data", data, "--out", out]);
    expect(code).toBe(0);
    expect(stdout).toContain(`25 predictions written to ${out}`);
    const rows = (await readFile(out, "utf8")).trimEnd().split("\n");
    expect(rows[0]).toBe("line,prediction,y");
    expect(rows).toHaveLength(26);
    rows.slice(1).forEach((row, i) => {
      const [line, prediction] = row.split(",");
      expect(Number(line)).toBe(i + 2);
      // Written with String(x): the shortest text that reads back as the same double.
      expect(Number(prediction)).toBe(json.predictions[i]);
    });
    expectOneLineError(
      await run(["predict", "--model", model, "--data", data, "--out", join(dir, "p.txt")]),
      2,
      /--out must be a path ending in \.csv/,
    );
  });

  it("--data - reads the rows from standard input, with <stdin> in its errors", async () => {
    const { data, model } = await setup(7);
    const text = await readFile(data, "utf8");
    const fromFile = JSON.parse(
      (await run(["predict", "--model", model, "--data", data, "--json"])).stdout,
    );
    const piped = await run(["predict", "--model", model, "--data", "-", "--json"], {
      stdin: text,
    });
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout).predictions).toEqual(fromFile.predictions);
    const bad = text.replace(/\n([^\n]*)\n/, "\nx,$1\n");
    expectOneLineError(
      await run(["predict", "--model", model, "--data", "-"], { stdin: bad }),
      1,
      /^wdecay: <stdin>:\d+:\d+/,
    );
  });

  it("says there is no loss without the target column", async () => {
    const dir = await tempDir();
    const data = await writeText(dir, "new.csv", csvText(linearRows(3), { target: false }));
    const model = await writeText(dir, "m.json", modelText());
    const { code, stdout } = await run(["predict", "--model", model, "--data", data]);
    expect(code).toBe(0);
    expect(stdout).toContain('(no "y" column in the input, so no error)');
    expect(stdout).not.toContain("actual");
  });
});

describe("wdecay predict errors", () => {
  it.each([
    [{ lambda: -1 }, "lambda"],
    [{ weights: [1, 2] }, "featureNames"],
    [{ version: 3 }, "version"],
    [{ lamda: 3 }, "lamda"],
    [{ weights: [1, "x", 3] }, "weights[1]"],
  ])("a bad model file (%j) exits 1 naming the file and field %s", async (override, field) => {
    const { data, model } = await setup(3, modelText(override));
    const result = await run(["predict", "--model", model, "--data", data]);
    expectOneLineError(result, 1, `wdecay: ${model}: field "${field}"`);
  });

  it("a model file that is not JSON exits 1 naming the file", async () => {
    const { data, model } = await setup(3, "{ not json");
    const { code, stderr } = await run(["predict", "--model", model, "--data", data]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^wdecay: .*model\.json: is not valid JSON/);
    expect(lines(stderr)).toHaveLength(1);
  });

  it("a missing feature column exits 1 at the header's line", async () => {
    const { dir, model } = await setup(3);
    const data = await writeText(dir, "d.csv", "a,b,y\n1,2,3\n");
    const { code, stderr } = await run(["predict", "--model", model, "--data", data]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /:1:1: no column "c", a feature of the model; the columns are "a", "b", "y"\n$/,
    );
  });

  it("a bad cell exits 1 with file:line:column", async () => {
    const { dir, model } = await setup(3);
    const data = await writeText(dir, "d.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,nine\n");
    const { code, stdout, stderr } = await run(["predict", "--model", model, "--data", data]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(`wdecay: ${data}:4:3 (column "c"): "nine" is not a number\n`);
  });

  it("a bad target cell is reported too, since the loss reads it", async () => {
    const { dir, model } = await setup(3);
    const data = await writeText(dir, "d.csv", "a,b,c,y\n1,2,3,x\n");
    const { code, stderr } = await run(["predict", "--model", model, "--data", data]);
    expect(code).toBe(1);
    expect(stderr).toBe(`wdecay: ${data}:2:4 (column "y"): "x" is not a number\n`);
  });

  it("missing files are runtime errors naming the flag", async () => {
    const { dir, data, model } = await setup(3);
    const none = join(dir, "none");
    const a = await run(["predict", "--model", none, "--data", data]);
    expect(a.code).toBe(1);
    expect(a.stderr).toBe(`wdecay: --model file "${none}" does not exist\n`);
    const b = await run(["predict", "--model", model, "--data", none]);
    expect(b.code).toBe(1);
    expect(b.stderr).toBe(`wdecay: --data file "${none}" does not exist\n`);
  });

  it.each([
    [["--data", "d.csv"], "--model"],
    [["--model", "m.json"], "--data"],
    [["--model", "", "--data", "d.csv"], "--model"],
  ])("%j exits 2 naming %s", async (args, flag) => {
    const { code, stderr } = await run(["predict", ...args]);
    expect(code).toBe(2);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toContain(flag);
  });
});

describe("wdecay predict --help", () => {
  it("describes the command with its defaults and examples, exit 0", async () => {
    const text = await commandHelp("predict");
    expect(text).toContain("Examples:");
    expect(text).toContain("--model <file>");
    expect(text).toContain("wdecay predict --model model.json --data new.csv");
  });
});
