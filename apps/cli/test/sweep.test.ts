import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { syntheticSplit, train } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { parseLambdaSpec } from "../src/options.js";
import { csvText, linearRows, writeText } from "./data-fixtures.js";
import {
  commandHelp,
  expectOneLineError,
  expectUsageError,
  lines,
  run,
  runJson,
  tempDir,
} from "./helpers.js";

const SMALL = ["--dims", "30", "--n-train", "12", "--n-test", "40", "--epochs", "20"];

interface SweepRun {
  lambda: number;
  trainLoss: number | null;
  testLoss: number | null;
  l2Norm: number | null;
}

async function sweepJson(args: string[]) {
  return runJson("sweep", args);
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
}

describe("wdecay sweep --json", () => {
  it("prints one object; on the chapter's data λ = 3 has a lower test loss than λ = 0", async () => {
    const report = await sweepJson(["--lambdas", "0,3"]);
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(["backend", "precision", "lambdaConvention", "runs"]),
    );
    expect(report).toMatchObject({ backend: "cpu", precision: "float64" });
    expect(report.lambdaConvention).toBe("canonical");
    expect(report.settings).toEqual({
      method: "scratch",
      epochs: 100,
      lr: 0.003,
      batchSize: 5,
      seed: 42,
    });
    const runs: SweepRun[] = report.runs;
    expect(runs.map((r) => r.lambda)).toEqual([0, 3]);
    for (const r of runs) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(["lambda", "trainLoss", "testLoss", "l2Norm"]),
      );
    }
    const [none, decay] = runs as [SweepRun, SweepRun];
    // The chapter's finding: without decay the 20 examples are memorised (test loss ~1e2),
    // with λ = 3 the test loss drops by orders of magnitude and ‖w‖ shrinks.
    expect(decay.testLoss as number).toBeLessThan(none.testLoss as number);
    expect(decay.testLoss as number).toBeLessThan((none.testLoss as number) / 100);
    expect(decay.l2Norm as number).toBeLessThan(none.l2Norm as number);
  });

  it("equals separate `train` runs at each λ (the grid is one pass, not an approximation)", async () => {
    const spec = "0,0.05:5:3";
    const report = await sweepJson(["--lambdas", spec, "--seed", "7", ...SMALL]);
    const data = syntheticSplit(7, { nTrain: 12, nTest: 40, dims: 30 });
    const backend = createCpuBackend();
    const lambdas = parseLambdaSpec(spec);
    expect(report.runs.map((r: SweepRun) => r.lambda)).toEqual(lambdas);
    for (const [l, lambda] of lambdas.entries()) {
      const one = await train(backend, data, {
        method: "scratch",
        lambda,
        epochs: 20,
        lr: 0.003,
        batchSize: 5,
        seed: 7,
      });
      const got: SweepRun = report.runs[l];
      expect(relative(got.trainLoss as number, one.trainLoss)).toBeLessThanOrEqual(1e-9);
      expect(relative(got.testLoss as number, one.testLoss)).toBeLessThanOrEqual(1e-9);
      expect(relative(got.l2Norm as number, one.l2Norm)).toBeLessThanOrEqual(1e-9);
    }
  });

  it("equals separate `train` runs with --method concise and another backend", async () => {
    const report = await sweepJson([
      "--lambdas",
      "0.5,2",
      "--method",
      "concise",
      "--backend",
      "cpu-f32",
      ...SMALL,
    ]);
    expect(report).toMatchObject({ backend: "cpu-f32", precision: "float32" });
    const data = syntheticSplit(42, { nTrain: 12, nTest: 40, dims: 30 });
    const backend = createCpuBackend({ precision: "float32" });
    for (const [l, lambda] of [0.5, 2].entries()) {
      const one = await train(backend, data, {
        method: "concise",
        lambda,
        epochs: 20,
        lr: 0.003,
        batchSize: 5,
        seed: 42,
      });
      // float32: the grid and the single run share kernels but may sum in another order.
      expect(relative(report.runs[l].testLoss, one.testLoss)).toBeLessThanOrEqual(1e-5);
      expect(relative(report.runs[l].l2Norm, one.l2Norm)).toBeLessThanOrEqual(1e-5);
    }
  });

  it("expands a log range start:stop:count, endpoints exact", async () => {
    const report = await sweepJson(["--lambdas", "1e-3:10:5", ...SMALL]);
    const got: number[] = report.runs.map((r: SweepRun) => r.lambda);
    expect(got).toHaveLength(5);
    expect(got[0]).toBe(1e-3);
    expect(got[4]).toBe(10);
    for (const [k, x] of got.entries()) expect(relative(x, 10 ** (k - 3))).toBeLessThan(1e-12);
  });

  it("reads the grid of a CSV file and reports on it", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "d.csv", csvText(linearRows(60, { noise: 1 })));
    const report = await sweepJson([
      "--data",
      file,
      "--target",
      "y",
      "--features",
      "a,b,c",
      "--lambdas",
      "0,1",
      "--lr",
      "0.05",
      "--epochs",
      "50",
    ]);
    expect(report.data).toMatchObject({
      source: "csv",
      nTrain: 48,
      nTest: 12,
      standardized: true,
      normScale: "standardized",
    });
    const [none, decay] = report.runs as [SweepRun, SweepRun];
    expect(decay.l2Norm as number).toBeLessThan(none.l2Norm as number);
  });
});

describe("wdecay sweep --penalty", () => {
  it("l1: the JSON states the penalty, and each run equals `train --penalty l1`", async () => {
    const report = await sweepJson(["--penalty", "l1", "--lambdas", "0.1,3", ...SMALL]);
    expect(report).toMatchObject({ penalty: "l1", alpha: 1, lambdaConvention: "canonical" });
    const data = syntheticSplit(42, { nTrain: 12, nTest: 40, dims: 30 });
    const backend = createCpuBackend();
    for (const [l, lambda] of [0.1, 3].entries()) {
      const one = await train(backend, data, {
        method: "scratch",
        penalty: "l1",
        lambda,
        epochs: 20,
        lr: 0.003,
        batchSize: 5,
        seed: 42,
      });
      const got = report.runs[l];
      expect(relative(got.testLoss, one.testLoss)).toBeLessThanOrEqual(1e-9);
      expect(got.nonzeros).toBe(one.weights.filter((w) => w !== 0).length);
    }
  });

  it("elastic states α in JSON and in the report; l2 is the default", async () => {
    const json = await sweepJson([
      "--penalty",
      "elastic",
      "--alpha",
      "0.25",
      "--lambdas",
      "1",
      ...SMALL,
    ]);
    expect(json).toMatchObject({ penalty: "elastic", alpha: 0.25 });
    const l2 = await sweepJson(["--lambdas", "1", ...SMALL]);
    expect(l2).toMatchObject({ penalty: "l2", alpha: 0 });
    const { code, stdout } = await run([
      "sweep",
      "--penalty",
      "elastic",
      "--alpha",
      "0.25",
      "--lambdas",
      "1",
      ...SMALL,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("penalty elastic, α 0.25: elastic net (α = 0.25)");
  });
});

describe("wdecay sweep (human output)", () => {
  it("prints a table, a chart on a log λ axis, λ = 0 apart, and writes the SVG", async () => {
    const file = join(await tempDir(), "sweep.svg");
    const { code, stdout, stderr } = await run([
      "sweep",
      "--lambdas",
      "0,1e-2:1:3",
      "--plot",
      file,
      ...SMALL,
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/Swept 4 λ in one pass on cpu \(float64\)/);
    expect(stdout).toMatch(/λ \(canonical\)\s+train loss\s+test loss\s+‖w‖/);
    for (const lambda of ["0", "0.01", "0.1", "1"]) {
      expect(stdout).toMatch(
        new RegExp(`^\\s+${lambda.replace(".", "\\.")}\\s+\\d\\.\\d{3}e`, "m"),
      );
    }
    expect(stdout).toMatch(/lowest test loss: λ = /);
    expect(stdout).toMatch(/0\.01\s+λ \(log scale\)\s+1$/m);
    expect(stdout).toContain("λ = 0 is not on a log axis");
    expect(stdout).toContain(file);
    const svg = await readFile(file, "utf8");
    expect(svg.trimStart().startsWith("<svg")).toBe(true);
    expect(svg).toContain("‖w‖ (log scale)");
    expect(svg).toContain("loss (log scale)");
    expect(svg).toContain("λ = 0");
    expect(svg).not.toMatch(/NaN/);
    expect(svg.match(/<path[^>]* d="M/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });

  it("draws a progress bar on a terminal only", async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let written = "";
    stream.on("data", (chunk) => {
      written += String(chunk);
    });
    const { code, stdout } = await run(["sweep", "--lambdas", "0,1", ...SMALL], {
      isTTY: true,
      progressStream: stream,
    });
    expect(code).toBe(0);
    expect(written).toMatch(/2 λ, epoch \d+ of 20/);
    expect(stdout).not.toMatch(/epoch \d+ of 20/);
  });

  it("warns about a diverged λ and keeps the JSON valid", async () => {
    const { code, stdout, stderr } = await run([
      "sweep",
      "--lambdas",
      "0,1",
      "--lr",
      "50",
      "--json",
      "--dims",
      "30",
      "--n-train",
      "12",
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const report = JSON.parse(stdout);
    expect(report.runs[0].testLoss).toBeNull();
    expect(report.runs[0].diverged).toBe(true);
  });
});

describe("parseLambdaSpec", () => {
  it("takes lists, log ranges and both, sorted without duplicates", () => {
    expect(parseLambdaSpec("0,0.1,1,3")).toEqual([0, 0.1, 1, 3]);
    expect(parseLambdaSpec(" 3 , 1,0,1 ")).toEqual([0, 1, 3]);
    expect(parseLambdaSpec("2:2:1")).toEqual([2]);
    expect(parseLambdaSpec("1:100:3")).toEqual([1, 10, 100]);
    expect(parseLambdaSpec("1e-3:10:5")).toEqual([1e-3, 1e-2, 1e-1, 1, 10]);
    expect(parseLambdaSpec("0,1e-3:10:20")).toHaveLength(21);
    expect(parseLambdaSpec("1e-3:10:1000")).toHaveLength(1000);
  });
});

/** Each bad spec exits 2 with one line naming --lambdas. */
const BAD_SPECS = [
  "-1",
  "0,-0.5",
  "abc",
  "1,,2",
  "",
  "0x10",
  "1e400",
  "1e-3:10:0",
  "1e-3:10:2.5",
  "1e-3:10:-3",
  "10:1e-3:5",
  "0:10:5",
  "1:10",
  "1:2:3:4",
  "1e-3:10:1001",
  "0,1e-3:1:600,2:3:600",
  "Infinity",
];

describe("wdecay sweep usage errors", () => {
  it.each(BAD_SPECS)("--lambdas %j exits 2 naming --lambdas", async (spec) => {
    expectOneLineError(await run(["sweep", "--lambdas", spec]), 2, /^wdecay: --lambdas /);
  });

  it.each([
    [["--batch-size", "13", "--n-train", "12"], "--batch-size"],
    [["--backend", "tpu"], "--backend"],
    [["--method", "adam"], "--method"],
    [["--target", "y"], "--target"],
    [["--data", "x.csv"], "--target"],
    [["--data", "x.csv", "--target", "y", "--dims", "3"], "--dims"],
  ])("%j exits 2 naming %s", async (args, flag) => {
    const { code, stderr } = await run(["sweep", ...args]);
    expect(code).toBe(2);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toContain(flag);
  });

  it("says so in one line, exit 1, for a CSV cell that is not a number", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "bad.csv", "a,b,y\n1,2,3\n4,oops,6\n");
    const { code, stdout, stderr } = await run(["sweep", "--data", file, "--target", "y"]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(`wdecay: ${file}:3:2 (column "b"): "oops" is not a number\n`);
  });
});

describe("wdecay sweep --help", () => {
  it("describes the command with its defaults and examples, exit 0", async () => {
    const text = await commandHelp("sweep");
    expect(text).toContain("Examples:");
    expect(text).toContain("--lambdas <spec>");
    expect(text).toContain("log-spaced");
    expect(text).toContain("(default: 0,1e-3:10:9)");
    expect(text).toContain("wdecay sweep --lambdas 1e-3:10:20 --plot sweep.svg");
    expect(text).toContain("--penalty <name>");
    expect(text).toContain("--alpha <a>");
    expect(text).toContain("wdecay sweep --penalty l1");
  });
});

describe("wdecay sweep --lambda-convention (issue 13)", () => {
  it("takes --lambdas in another library's convention: PyTorch's weight_decay 2λ is canonical λ", async () => {
    const small = ["--dims", "10", "--n-train", "20", "--epochs", "20"];
    const canonical = await runJson("sweep", ["--lambdas", "0.5,3", ...small]);
    const torch = await runJson("sweep", [
      "--lambdas",
      "1,6",
      "--lambda-convention",
      "pytorch",
      ...small,
    ]);
    expect(torch.lambdaConvention).toBe("pytorch");
    expect(torch.runs.map((r: { lambda: number }) => r.lambda)).toEqual([1, 6]);
    expect(torch.runs.map((r: { canonicalLambda: number }) => r.canonicalLambda)).toEqual([0.5, 3]);
    // The same training runs, bit for bit.
    expect(torch.runs.map((r: { l2Norm: number }) => r.l2Norm)).toEqual(
      canonical.runs.map((r: { l2Norm: number }) => r.l2Norm),
    );
  });

  it("refuses a convention that does not weigh the penalty", async () => {
    expectUsageError(
      await run(["sweep", "--penalty", "l1", "--lambda-convention", "pytorch"]),
      "--lambda-convention",
    );
  });
});
