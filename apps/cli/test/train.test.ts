import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { runChapter, schedules, syntheticSplit, train, trainMultiOutput } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { commandHelp, expectOneLineError, lines, run, runJson, tempDir } from "./helpers.js";

const SMALL = [
  "--dims",
  "30",
  "--n-train",
  "12",
  "--n-test",
  "40",
  "--epochs",
  "20",
  "--batch-size",
  "4",
];

describe("wdecay train --json", () => {
  it("prints one object with the settings, results, history, weights and bias", async () => {
    const { code, stdout, stderr } = await run([
      "train",
      "--json",
      "--method",
      "concise",
      "--lambda",
      "0.5",
      "--lr",
      "0.01",
      "--eval-every",
      "3",
      "--seed",
      "9",
      ...SMALL,
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(lines(stdout)).toHaveLength(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      backend: "cpu",
      precision: "float64",
      settings: {
        method: "concise",
        lambda: 0.5,
        epochs: 20,
        lr: 0.01,
        batchSize: 4,
        nTrain: 12,
        nTest: 40,
        dims: 30,
        seed: 9,
        evalEvery: 3,
      },
      method: "concise",
      lambda: 0.5,
      diverged: false,
    });
    // Every 3 epochs, and after the last.
    expect(report.history.map((p: { epoch: number }) => p.epoch)).toEqual([
      3, 6, 9, 12, 15, 18, 20,
    ]);
    expect(report.weights).toHaveLength(30);
    expect(typeof report.bias).toBe("number");
    const norm = Math.hypot(...report.weights);
    expect(report.l2Norm).toBeCloseTo(norm, 12);
    expect(report.trainLoss).toBe(report.history.at(-1).trainLoss);
    expect(report.testLoss).toBe(report.history.at(-1).testLoss);
  });

  it("gives identical output for the same seed, and different output for another", async () => {
    const args = ["train", "--json", ...SMALL];
    const a = await run([...args, "--seed", "5"]);
    const b = await run([...args, "--seed", "5"]);
    const c = await run([...args, "--seed", "6"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it("defaults to the chapter's settings: the same run as the demo's", async () => {
    const { stdout } = await run(["train", "--json", "--method", "concise", "--lambda", "0"]);
    const report = JSON.parse(stdout);
    expect(report.settings).toEqual({
      method: "concise",
      lambda: 0,
      epochs: 100,
      lr: 0.003,
      batchSize: 5,
      nTrain: 20,
      nTest: 100,
      dims: 200,
      seed: 42,
      evalEvery: 5,
    });
    const chapter = await runChapter(createCpuBackend(), { seed: 42 });
    const same = chapter.find((r) => r.method === "concise" && r.lambda === 0);
    expect(report.l2Norm).toBe(same?.l2Norm);
    expect(report.testLoss).toBe(same?.testLoss);
  });

  it("runs on the backend named by --backend", async () => {
    const { stdout } = await run(["train", "--json", "--backend", "cpu-f32", ...SMALL]);
    expect(JSON.parse(stdout)).toMatchObject({ backend: "cpu-f32", precision: "float32" });
  });

  it("reports a diverged run as valid JSON with nulls and diverged: true", async () => {
    // λ = 0: the data gradient alone overflows (no lr·λ warning applies).
    const { code, stdout, stderr } = await run(["train", "--json", "--lr", "50", "--lambda", "0"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(lines(stdout)).toHaveLength(1);
    const report = JSON.parse(stdout);
    expect(report.diverged).toBe(true);
    expect(report.trainLoss).toBeNull();
    expect(report.testLoss).toBeNull();
    expect(report.l2Norm).toBeNull();
    // Everything is a finite number or null: nothing that JSON cannot hold went in as garbage.
    const numbers = [
      ...report.history.flatMap((p: { trainLoss: unknown; testLoss: unknown }) => [
        p.trainLoss,
        p.testLoss,
      ]),
      ...report.weights,
      report.bias,
    ];
    for (const x of numbers) expect(x === null || Number.isFinite(x)).toBe(true);
  });
});

describe("wdecay train --penalty", () => {
  it("l1 on the chapter's data gives a sparse model: exact zeros, nonzeros < dims", async () => {
    const report = await runJson("train", ["--penalty", "l1", "--lambda", "3"]);
    expect(report).toMatchObject({ penalty: "l1", alpha: 1, lambda: 3, diverged: false });
    const weights: number[] = report.weights;
    expect(weights).toHaveLength(200);
    const zeros = weights.filter((w) => w === 0).length;
    // Proximal SGD soft-thresholds after every step: zeros are exactly 0, not merely small.
    expect(zeros).toBeGreaterThan(0);
    expect(report.nonzeros).toBe(200 - zeros);
    expect(report.nonzeros).toBeLessThan(200);
    // Weight decay at the same λ shrinks every weight but zeroes none.
    const l2 = await runJson("train", ["--lambda", "3"]);
    expect(l2).toMatchObject({ penalty: "l2", alpha: 0, nonzeros: 200 });
  });

  it("elastic with --alpha 0 is exactly the l2 run (bit for bit)", async () => {
    const args = ["--lambda", "0.5", "--seed", "3", ...SMALL];
    const l2 = await runJson("train", args);
    const elastic = await runJson("train", [...args, "--penalty", "elastic", "--alpha", "0"]);
    expect(elastic).toMatchObject({ penalty: "elastic", alpha: 0 });
    expect(elastic.weights).toEqual(l2.weights);
    expect(elastic.bias).toBe(l2.bias);
    expect(elastic.history).toEqual(l2.history);
    expect(elastic.nonzeros).toBe(l2.nonzeros);
  });

  it("elastic with --alpha 1 is the l1 run, and states the penalty in human output", async () => {
    const args = ["--lambda", "0.5", ...SMALL];
    const l1 = await runJson("train", [...args, "--penalty", "l1"]);
    const elastic = await runJson("train", [...args, "--penalty", "elastic", "--alpha", "1"]);
    expect(elastic.weights).toEqual(l1.weights);
    const { code, stdout } = await run([
      "train",
      ...args,
      "--penalty",
      "elastic",
      "--alpha",
      "0.5",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/penalty elastic, α 0\.5: elastic net \(α = 0\.5\); nonzeros \d+ of 30/);
    const ridge = await run(["train", ...args]);
    expect(ridge.stdout).toMatch(/penalty l2, α 0: ridge \(L2\); nonzeros 30 of 30/);
  });
});

describe("wdecay train (human output)", () => {
  it("prints the settings, ‖w‖, the final losses and a chart", async () => {
    const { code, stdout, stderr } = await run(["train", "--lambda", "0", ...SMALL]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/method scratch.*λ 0.*epochs 20.*lr 0\.003.*batch size 4.*seed 42/);
    expect(stdout).toMatch(/n-train 12.*n-test 40.*dims 30.*every 5 epochs/);
    expect(stdout).toMatch(/‖w‖ = \d/);
    expect(stdout).toMatch(/final loss: train \d\.\d+e[+-]\d+, test \d\.\d+e[+-]\d+/);
    expect(stdout).toMatch(/\d\.\de[+-]\d+┤/);
    expect(stdout).toContain("·");
    expect(stdout).toContain("─");
    for (const line of lines(stdout)) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it("says clearly that a run diverged", async () => {
    const { code, stdout, stderr } = await run(["train", "--lr", "50", "--lambda", "0"]);
    expect(code).toBe(0);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^wdecay: warning: .*diverged.*; try a smaller --lr$/m);
    expect(stdout).toContain("‖w‖ = diverged");
    expect(stdout).not.toMatch(/NaN|Infinity/);
  });

  it("catches divergence by growth before NaN, and names lr·λ when it is the cause (issue 13, finding 5)", async () => {
    // lr 0.003 · λ 1000 = 3: each step scales w by |1 − 3| = 2; after 5 epochs ‖w‖ ≈ 1.5e7,
    // finite, and the run used to end with exit 0 and no word.
    const { code, stdout, stderr } = await run(["train", "--lambda", "1000", "--epochs", "5"]);
    expect(code).toBe(0);
    const warnings = lines(stderr);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^wdecay: warning: this run will not converge: lr·λ = 3 ≥ 2: each step scales w by \|1 − lr·λ\| = 2/,
    );
    expect(warnings[1]).toMatch(/^wdecay: warning: training diverged .*; lr·λ = 3 ≥ 2/);
    expect(stdout).toContain("‖w‖ = ");
    const json = await run(["train", "--json", "--lambda", "1000", "--epochs", "5"]);
    expect(JSON.parse(json.stdout).diverged).toBe(true);
    // Momentum changes the stability rule: no lr·λ warning there.
    const momentum = await run([
      "train",
      "--json",
      "--method",
      "concise",
      "--optimizer",
      "momentum",
      "--lambda",
      "1000",
      "--epochs",
      "1",
    ]);
    expect(momentum.stderr).not.toMatch(/lr·λ/);
  });
});

describe("wdecay train --plot", () => {
  it("writes an SVG of the loss curves", async () => {
    const file = join(await tempDir(), "curves.svg");
    const { code, stdout } = await run(["train", "--plot", file, ...SMALL]);
    expect(code).toBe(0);
    expect(stdout).toContain(file);
    const svg = await readFile(file, "utf8");
    expect(svg.trimStart().startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/<path[^>]* d="M/);
  });

  it("fails fast with exit 1 and one line when the file cannot be written", async () => {
    const dir = await tempDir();
    const blocker = join(dir, "file");
    await writeFile(blocker, "");
    const result = await run(["train", "--plot", join(blocker, "x.svg")]);
    expectOneLineError(result, 1, /^wdecay: .*--plot/);
  });
});

describe("progress bar", () => {
  /** A stream that says it is a terminal and keeps what is written to it. */
  function fakeTerminal() {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let written = "";
    stream.on("data", (chunk) => {
      written += String(chunk);
    });
    return { stream, written: () => written };
  }

  it("is drawn on a terminal, apart from stdout", async () => {
    const terminal = fakeTerminal();
    const { code, stdout } = await run(["train", ...SMALL], {
      isTTY: true,
      progressStream: terminal.stream,
    });
    expect(code).toBe(0);
    expect(terminal.written()).toMatch(/epoch \d+ of 20/);
    expect(stdout).not.toMatch(/epoch \d+ of 20/);
  });

  it("is not drawn with --json, even on a terminal", async () => {
    const terminal = fakeTerminal();
    await run(["train", "--json", ...SMALL], { isTTY: true, progressStream: terminal.stream });
    expect(terminal.written()).toBe("");
  });
});

describe("wdecay train --help", () => {
  it("documents --penalty and --alpha", async () => {
    const text = await commandHelp("train");
    expect(text).toContain("--penalty <name>");
    expect(text).toContain("l2 (weight decay), l1 (lasso, proximal SGD) or elastic");
    expect(text).toContain('(default: "l2")');
    expect(text).toContain("--alpha <a>");
    expect(text).toContain("with --penalty elastic (required)");
  });
});

/** The run SMALL describes, through core, for comparing with the CLI's report. */
const SMALL_SIZE = { nTrain: 12, nTest: 40, dims: 30 };
const SMALL_RUN = { epochs: 20, lr: 0.003, batchSize: 4, seed: 42, evalEvery: 5 } as const;

describe("wdecay train --outputs (Frobenius penalty, exercise 4)", () => {
  it("trains W (d×k) in one pass and reports what core's trainMultiOutput computes", async () => {
    const report = await runJson("train", [...SMALL, "--outputs", "3", "--lambda", "0.5"]);
    const data = syntheticSplit(42, SMALL_SIZE, { outputs: 3 });
    const expected = await trainMultiOutput(createCpuBackend(), data, {
      ...SMALL_RUN,
      method: "scratch",
      lambda: 0.5,
    });
    expect(report.outputs).toBe(3);
    expect(report.frobeniusNorm).toBe(expected.frobeniusNorm);
    expect(report.trainLoss).toBe(expected.trainLoss);
    expect(report.weights).toHaveLength(3);
    expect(report.weights[2]).toHaveLength(30);
    expect(report.weights[1][4]).toBe(expected.weights[4 * 3 + 1]);
    expect(report.biases).toEqual(Array.from(expected.biases));
    expect(report.perOutput).toHaveLength(3);
    const sum = report.perOutput.reduce(
      (s: number, o: { trainLoss: number }) => s + o.trainLoss,
      0,
    );
    expect(sum).toBeCloseTo(report.trainLoss, 12);
  });

  it("prints ‖W‖_F and one line per output", async () => {
    const { code, stdout } = await run(["train", ...SMALL, "--outputs", "2"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Trained 2 outputs on cpu (float64)");
    expect(stdout).toMatch(/‖W‖_F = \d/);
    expect(stdout).toMatch(/output 1: ‖w‖ [\d.]+, train/);
    expect(stdout).toMatch(/output 2: ‖w‖ [\d.]+, train/);
  });
});

describe("wdecay train --optimizer and schedules", () => {
  it("trains through core's optimizer exactly as the library does", async () => {
    const args = [
      ...SMALL,
      "--method",
      "concise",
      "--lambda",
      "0.3",
      "--lr",
      "0.01",
      "--optimizer",
      "adamw",
      "--decoupled-scaling",
      "none",
      "--lr-schedule",
      "warmup:5+cosine:0.001",
      "--decay-schedule",
      "step:20:0.5",
      "--bias-decay",
      "0.5",
    ];
    const report = await runJson("train", args);
    expect(report.optimizer).toBe(
      "adamw, decoupled decay (not lr-scaled), lr schedule warmup:5+cosine:0.001, " +
        "decay schedule step:20:0.5, bias decay ×0.5",
    );
    const total = 20 * Math.ceil(12 / 4);
    const expected = await train(createCpuBackend(), syntheticSplit(42, SMALL_SIZE), {
      ...SMALL_RUN,
      method: "concise",
      lambda: 0.3,
      lr: 0.01,
      paramGroups: { bias: 0.5 },
      optimizer: {
        kind: "adamw",
        decay: "decoupled",
        decoupledScaling: "none",
        lrSchedule: schedules.warmup(schedules.cosine(0.01, { total, min: 0.001 }), {
          steps: 5,
        }),
        decaySchedule: schedules.step(1, { every: 20, factor: 0.5 }),
      },
    });
    expect(report.l2Norm).toBe(expected.l2Norm);
    expect(report.bias).toBe(expected.bias);
    // And it is not the plain SGD run.
    const plain = await runJson("train", [...SMALL, "--method", "concise", "--lambda", "0.3"]);
    expect(plain.optimizer).toBeUndefined();
    expect(plain.l2Norm).not.toBe(report.l2Norm);
  });

  it("momentum on a sweep: every λ through the optimizer", async () => {
    const report = await runJson("sweep", [
      ...SMALL,
      "--lambdas",
      "0,1",
      "--method",
      "concise",
      "--optimizer",
      "momentum",
      "--momentum",
      "0.5",
    ]);
    expect(report.optimizer).toBe("momentum, μ 0.5");
    const single = await runJson("train", [
      ...SMALL,
      "--lambda",
      "1",
      "--method",
      "concise",
      "--optimizer",
      "momentum",
      "--momentum",
      "0.5",
      "--eval-every",
      "20",
    ]);
    // Column 1 of the grid is the single run within float64 rounding of its sums.
    expect(report.runs[1].l2Norm).toBeCloseTo(single.l2Norm, 10);
  });
});

describe("wdecay train --exempt (a per-feature mask)", () => {
  it("leaves the named features out of the penalty, as core's weightMask does", async () => {
    const report = await runJson("train", [...SMALL, "--exempt", "x1,x3"]);
    expect(report.optimizer).toBe("sgd, exempt x1, x3");
    const mask = new Float64Array(30).fill(1);
    mask[0] = 0;
    mask[2] = 0;
    const expected = await train(createCpuBackend(), syntheticSplit(42, SMALL_SIZE), {
      ...SMALL_RUN,
      method: "scratch",
      lambda: 3,
      paramGroups: { weightMask: mask },
    });
    expect(report.weights).toEqual(Array.from(expected.weights));
    const plain = await runJson("train", SMALL);
    // Exempt weights keep more of their size; the others are decayed as before.
    expect(Math.abs(report.weights[0])).toBeGreaterThan(Math.abs(plain.weights[0]));
  });
});
