import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError, lines, type RunResult, run, tempDir } from "./helpers.js";

interface DemoRun {
  method: string;
  lambda: number;
  l2Norm: number;
  trainLoss: number;
  testLoss: number;
  diverged: boolean;
  published: { mxnet: number; pytorch: number; tensorflow: number };
  history: { epoch: number; trainLoss: number; testLoss: number }[];
}

const SVG_NAMES = [
  "concise-lambda-0.svg",
  "concise-lambda-3.svg",
  "scratch-lambda-0.svg",
  "scratch-lambda-3.svg",
];

describe("wdecay demo --json", () => {
  let out: string;
  let result: RunResult;
  let report: { backend: string; precision: string; seed: number; runs: DemoRun[] };

  beforeAll(async () => {
    out = join(await tempDir(), "nested", "out");
    result = await run(["demo", "--json", "--backend", "cpu", "--out", out]);
    report = JSON.parse(result.stdout);
  });

  it("exits 0 and prints exactly one JSON object on stdout", () => {
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toHaveLength(1);
    expect(result.stderr).toBe("");
  });

  it("reports the backend, its precision, the default seed and the four runs", () => {
    expect(report.backend).toBe("cpu");
    expect(report.precision).toBe("float64");
    expect(report.seed).toBe(42);
    expect(report.runs.map((r) => [r.method, r.lambda])).toEqual(
      expect.arrayContaining([
        ["scratch", 0],
        ["scratch", 3],
        ["concise", 0],
        ["concise", 3],
      ]),
    );
    expect(report.runs).toHaveLength(4);
    for (const r of report.runs) {
      for (const key of ["l2Norm", "trainLoss", "testLoss"] as const) {
        expect(Number.isFinite(r[key])).toBe(true);
      }
      expect(r.diverged).toBe(false);
      // Evaluated every 5 epochs of 100, as in the chapter.
      expect(r.history.map((p) => p.epoch)).toEqual(
        Array.from({ length: 20 }, (_, i) => 5 * (i + 1)),
      );
      for (const p of r.history) {
        expect(Number.isFinite(p.trainLoss) && Number.isFinite(p.testLoss)).toBe(true);
      }
      expect(r.trainLoss).toBe(r.history.at(-1)?.trainLoss);
      expect(r.testLoss).toBe(r.history.at(-1)?.testLoss);
    }
  });

  it("carries the chapter's published norms", () => {
    const scratch0 = report.runs.find((r) => r.method === "scratch" && r.lambda === 0);
    expect(scratch0?.published).toEqual({
      mxnet: 13.259392,
      pytorch: 13.704124450683594,
      tensorflow: 19.234095,
    });
  });

  it("reproduces the chapter: ‖w‖ near its figures, and decay trades train loss for test loss", () => {
    for (const method of ["scratch", "concise"]) {
      const free = report.runs.find((r) => r.method === method && r.lambda === 0) as DemoRun;
      const decayed = report.runs.find((r) => r.method === method && r.lambda === 3) as DemoRun;
      expect(free.l2Norm).toBeGreaterThanOrEqual(10);
      expect(free.l2Norm).toBeLessThanOrEqual(20);
      expect(decayed.l2Norm).toBeGreaterThanOrEqual(0.25);
      expect(decayed.l2Norm).toBeLessThanOrEqual(0.55);
      expect(decayed.testLoss).toBeLessThan(free.testLoss);
      expect(decayed.trainLoss).toBeGreaterThan(free.trainLoss);
    }
  });

  it("writes one SVG per run, with paths, a log axis and a legend, creating the directory", async () => {
    expect((await readdir(out)).sort()).toEqual(SVG_NAMES);
    for (const name of SVG_NAMES) {
      const svg = await readFile(join(out, name), "utf8");
      expect(svg.trimStart().startsWith("<svg")).toBe(true);
      expect(svg).toMatch(/<path[^>]* d="M/);
      expect(svg).toMatch(/>train</);
      expect(svg).toMatch(/>test</);
      expect(svg).toMatch(/>epoch</);
      // Log-scale tick labels are powers of ten.
      expect(svg).toMatch(/>1e-\d+</);
      const [method, , lambda] = name.replace(".svg", "").split("-");
      expect(svg).toContain(`${method}, λ = ${lambda}`);
    }
  });
});

describe("wdecay demo (human output)", () => {
  let out: string;
  let result: RunResult;

  beforeAll(async () => {
    out = await tempDir();
    result = await run(["demo", "--out", out, "--seed", "7"]);
  });

  it("prints the table with the published figures, the charts and the files written", () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const text = result.stdout;
    expect(text).toContain("cpu (float64)");
    expect(text).toContain("seed 7");
    // The published mxnet / pytorch / tensorflow norms of scratch λ = 0, rounded.
    expect(text).toMatch(/13\.26 \/ 13\.70 \/ 19\.23/);
    const table = lines(text).filter((l) => /^(scratch|concise)\s+[03]\s/.test(l));
    expect(table).toHaveLength(4);
    expect(text).toContain("train");
    expect(text).toContain("test");
    // Chart rows: a label in scientific notation, then the axis.
    expect(text).toMatch(/\d\.\de[+-]\d+┤/);
    for (const name of SVG_NAMES) expect(text).toContain(join(out, name));
  });

  it("fits in 100 columns", () => {
    for (const line of lines(result.stdout)) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it("draws no progress bar when not on a terminal", () => {
    expect(result.stderr).toBe("");
  });
});

describe("wdecay demo output directory", () => {
  it("fails with exit 1 and one line when --out cannot be created", async () => {
    const file = join(await tempDir(), "a-file");
    await writeFile(file, "not a directory");
    expectOneLineError(await run(["demo", "--out", join(file, "sub")]), 1, /^wdecay: .*--out/);
  });

  it("fails where the system refuses a directory, under /proc too (issue 13, finding 6)", async () => {
    // Node's recursive mkdir never returns for /proc/x: this used to spin until the test's
    // timeout below.
    expectOneLineError(
      await run(["demo", "--out", "/proc/wdecay-test/sub"]),
      1,
      /^wdecay: cannot write to --out directory "\/proc\/wdecay-test\/sub"/,
    );
  }, 10_000);
});
