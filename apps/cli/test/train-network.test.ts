/**
 * Networks from the command line: `train --model mlp|softmax|logistic` and `demo --network`,
 * their usage errors, the parameter groups the flags ask for, and the chapter's closing claim
 * on every backend: decay on every weight matrix raises the training loss and lowers the test
 * loss of an MLP that overfits a small MNIST subset.
 */
import { fileURLToPath } from "node:url";
import { createWasmBackend } from "@wdecay/backend-wasm";
import { softwareWebGpuEnv } from "@wdecay/test-browser";
import { describe, expect, it } from "vitest";
import {
  cpuRegistry,
  expectOneLineError,
  expectUsageError,
  lines,
  run,
  runJson,
  spawnWdecay,
  tempDir,
} from "./helpers.js";

const SMALL = ["--n-train", "60", "--n-test", "100", "--epochs", "2", "--seed", "3"];

describe("train --model mlp: usage errors, before any work", () => {
  const CASES: [string[], string][] = [
    [["--model", "tree"], "--model"],
    [["--model", "mlp", "--method", "concise"], "--method"],
    [["--model", "mlp", "--penalty", "l1"], "--penalty"],
    [["--model", "mlp", "--outputs", "2"], "--outputs"],
    [["--model", "softmax", "--hidden", "8"], "--hidden"],
    [["--hidden", "8"], "--hidden"],
    [["--group", "name=a,match=*"], "--group"],
    [["--model", "mlp", "--hidden", "8,0"], "--hidden"],
    [["--model", "mlp", "--hidden", "eight"], "--hidden"],
    [["--model", "logistic"], "--digits"],
    [["--model", "logistic", "--digits", "3,8,1"], "--digits"],
    [["--model", "mlp", "--digits", "3"], "--digits"],
    [["--model", "mlp", "--digits", "3,3"], "--digits"],
    [["--model", "mlp", "--group", "match=layers.0.*"], "--group"],
    [["--model", "mlp", "--group", "name=x"], "--group"],
    [["--model", "mlp", "--group", "name=x,match=*,lambda=-1"], "--group"],
    [["--model", "mlp", "--group", "name=x,match=*,speed=2"], "--group"],
    [["--model", "mlp", "--group", "name=x,match=layer.0.*"], "--group"],
    [["--model", "mlp", "--exempt", "layers.9.bias"], "layers.9.bias"],
    [["--model", "mlp", "--batch-size", "600"], "--batch-size"],
    [["--model", "mlp", "--optimizer", "adamw", "--decay", "coupled"], "--decay"],
    [["--model", "mlp", "--momentum", "0.5"], "--momentum"],
    // A CSV with a class column instead of the digits.
    [["--model", "linear", "--data", "t.csv"], "--data"],
    [["--model", "mlp", "--data", "t.csv"], "--target"],
    [["--model", "mlp", "--target", "y"], "--target"],
    [["--model", "mlp", "--test-fraction", "0.3"], "--test-fraction"],
    [["--model", "mlp", "--data", "t.csv", "--target", "y", "--digits", "3,8"], "--digits"],
    [["--model", "mlp", "--data", "t.csv", "--target", "y", "--n-train", "50"], "--n-train"],
    [
      ["--model", "mlp", "--data", "t.csv", "--target", "y", "--test-fraction", "0"],
      "--test-fraction",
    ],
  ];
  it.each(CASES)("train %j exits 2 naming %s", async (args, flag) => {
    expectUsageError(await run(["train", ...args]), flag);
  });

  it("demo takes the network flags with --network only", async () => {
    expectUsageError(await run(["demo", "--hidden", "8"]), "--hidden");
    expectUsageError(await run(["demo", "--network", "--n-train", "5"]), "--n-train");
  });
});

describe("train --model mlp", { timeout: 60_000 }, () => {
  it("decays the weight matrices and exempts the biases by default, and reports every epoch", async () => {
    const r = await runJson("train", [
      "--model",
      "mlp",
      "--hidden",
      "8,4",
      "--backend",
      "cpu",
      ...SMALL,
    ]);
    expect(r.architecture).toEqual([784, 8, 4, 10]);
    expect(r.data).toMatchObject({ dataset: "mnist", nTrain: 60, nTest: 100 });
    expect(r.groups).toEqual([
      {
        name: "decay",
        lambda: 0.003,
        lrMultiplier: 1,
        l1: 0,
        parameters: ["layers.0.weight", "layers.1.weight", "layers.2.weight"],
      },
      {
        name: "no_decay",
        lambda: 0,
        lrMultiplier: 1,
        l1: 0,
        parameters: ["layers.0.bias", "layers.1.bias", "layers.2.bias"],
      },
    ]);
    expect(r.history.map((p: { epoch: number }) => p.epoch)).toEqual([1, 2]);
    for (const p of r.history) {
      expect(p.trainAccuracy).toBeGreaterThanOrEqual(0);
      expect(p.testAccuracy).toBeLessThanOrEqual(1);
    }
    expect(r.diverged).toBe(false);
  });

  it("--group, --exempt and --decay-all place the parameters where they say", async () => {
    const r = await runJson("train", [
      "--model",
      "mlp",
      "--hidden",
      "8",
      "--backend",
      "cpu",
      ...SMALL,
      "--lambda",
      "0.01",
      "--group",
      "name=head,match=layers.1.*,lambda=0.1,lr-mult=0.5,decay=decoupled",
      "--exempt",
      "layers.0.weight",
    ]);
    expect(r.groups).toEqual([
      {
        name: "no_decay",
        lambda: 0,
        lrMultiplier: 1,
        l1: 0,
        parameters: ["layers.0.weight", "layers.0.bias"],
      },
      {
        name: "head",
        lambda: 0.1,
        lrMultiplier: 0.5,
        l1: 0,
        decay: "decoupled",
        parameters: ["layers.1.weight", "layers.1.bias"],
      },
    ]);
    const all = await runJson("train", [
      "--model",
      "softmax",
      "--backend",
      "cpu",
      ...SMALL,
      "--decay-all",
    ]);
    expect(all.groups).toEqual([
      {
        name: "decay",
        lambda: 0.003,
        lrMultiplier: 1,
        l1: 0,
        parameters: ["layers.0.weight", "layers.0.bias"],
      },
    ]);
  });

  it("a group with lr-mult 0 is frozen: its norm is the initial one whatever λ is", async () => {
    const frozen = (lambda: string) =>
      runJson("train", [
        "--model",
        "mlp",
        "--hidden",
        "8",
        "--backend",
        "cpu",
        ...SMALL,
        "--lambda",
        lambda,
        "--group",
        "name=frozen,match=layers.0.weight,lr-mult=0",
      ]);
    const [a, b] = [await frozen("0"), await frozen("0.5")];
    const norm = (r: { parameters: { name: string; norm: number }[] }) =>
      r.parameters.find((p) => p.name === "layers.0.weight")?.norm;
    expect(norm(a)).toBe(norm(b));
    expect(norm(a)).toBeGreaterThan(0);
  });

  it("--model logistic separates two digits", async () => {
    const r = await runJson("train", [
      "--model",
      "logistic",
      "--digits",
      "3,8",
      "--backend",
      "cpu",
      "--n-train",
      "100",
      "--n-test",
      "100",
      "--epochs",
      "5",
      "--lr",
      "0.1",
    ]);
    expect(r).toMatchObject({ loss: "logistic", architecture: [784, 1] });
    expect(r.data.digits).toEqual([3, 8]);
    // 3 against 8 is far from chance after a few epochs of a linear classifier.
    expect(r.final.testAccuracy).toBeGreaterThan(0.8);
  });

  it("trains on a CSV with a class column, standardized on its training rows", async () => {
    const wine = fileURLToPath(
      new URL("../../../packages/core/test/fixtures/reference/wine.csv", import.meta.url),
    );
    const r = await runJson("train", [
      "--model",
      "mlp",
      "--hidden",
      "8",
      "--data",
      wine,
      "--target",
      "class",
      "--epochs",
      "30",
      "--lr",
      "0.05",
      "--batch-size",
      "16",
      "--backend",
      "cpu",
    ]);
    expect(r.architecture).toEqual([13, 8, 3]);
    expect(r.data).toMatchObject({ classes: 3, nTrain: 142, nTest: 36, standardized: true });
    // The wine classes separate almost linearly: a small network gets nearly all test rows.
    expect(r.final.testAccuracy).toBeGreaterThan(0.9);
  });

  it("refuses labels that are not classes, naming the row", async () => {
    const cancer = fileURLToPath(
      new URL("../../../packages/core/test/fixtures/reference/breast_cancer.csv", import.meta.url),
    );
    const result = await run([
      "train",
      "--model",
      "softmax",
      "--data",
      cancer,
      "--target",
      "mean_radius",
    ]);
    expectOneLineError(result, 1, "data row 1 is 17.99", "class indices");
  });

  it("prints the groups, a parameter table and the curves", async () => {
    const { code, stdout, stderr } = await run([
      "train",
      "--model",
      "mlp",
      "--hidden",
      "8",
      "--backend",
      "cpu",
      ...SMALL,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const text = lines(stdout);
    expect(text[0]).toBe("Trained mlp 784 → 8 → 10 (softmax loss) on cpu (float64)");
    expect(text).toContain("  decay (λ 0.003, lr ×1): layers.0.weight, layers.1.weight");
    expect(text).toContain("  no_decay (λ 0, lr ×1): layers.0.bias, layers.1.bias");
    expect(stdout).toMatch(/final: train loss .*accuracy .*%; test loss .*accuracy .*%/);
  });
});

/**
 * The demonstration at a size every backend runs in seconds: 100 training images, a 16-unit
 * hidden layer, 40 epochs. Measured: λ = 0 ends at train 0.067, test 1.016; λ = 0.03 at train
 * 0.167, test 0.989 on all three backends (to four digits). The float32 backends are held to
 * the float64 cpu within steps · fan-in · u₃₂ relative: each of the 160 steps rounds sums of at
 * most 784 products to float32 (u₃₂ = 2⁻²⁴), and the stable SGD steps carry those errors
 * without amplifying them (7.5e-3; a wrong kernel misses it by far).
 */
describe("demo --network: decay raises the training loss and lowers the test loss", {
  timeout: 420_000,
}, () => {
  const ARGS = [
    "demo",
    "--network",
    "--json",
    "--hidden",
    "16",
    "--n-train",
    "100",
    "--n-test",
    "300",
    "--epochs",
    "40",
    "--lambdas",
    "0,0.03",
  ];
  type Run = { lambda: number; trainLoss: number; testLoss: number; weightNorm: number };
  const check = (runs: Run[]) => {
    const [none, decayed] = runs as [Run, Run];
    expect(none.lambda).toBe(0);
    expect(decayed.trainLoss).toBeGreaterThan(none.trainLoss);
    expect(decayed.testLoss).toBeLessThan(none.testLoss);
    expect(decayed.weightNorm).toBeLessThan(none.weightNorm);
  };
  const TOLERANCE = 160 * 784 * 2 ** -24;
  let cpu: Run[] = [];
  const close = (runs: Run[]) => {
    for (const [i, r] of runs.entries()) {
      const c = cpu[i] as Run;
      expect(Math.abs(r.testLoss - c.testLoss) / c.testLoss).toBeLessThan(TOLERANCE);
      expect(Math.abs(r.trainLoss - c.trainLoss) / c.trainLoss).toBeLessThan(TOLERANCE);
    }
  };

  it("on cpu (float64)", async () => {
    const r = await run([...ARGS, "--backend", "cpu", "--out", await tempDir()]);
    expect(r.code).toBe(0);
    cpu = JSON.parse(r.stdout).runs;
    check(cpu);
  });

  it("on wasm", async () => {
    const registry = cpuRegistry();
    registry.register("wasm", () => createWasmBackend(), 20);
    const r = await run([...ARGS, "--backend", "wasm", "--out", await tempDir()], { registry });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.backend).toBe("wasm");
    check(report.runs);
    close(report.runs);
  });

  it("on webgpu (SwiftShader from npm; no GPU needed)", async () => {
    const out = await tempDir();
    const r = await spawnWdecay([...ARGS, "--backend", "webgpu", "--out", out], {
      env: await softwareWebGpuEnv(),
      // 25 s alone; several times that beside the whole suite on 2 cores (SwiftShader runs the
      // kernels on the CPU).
      timeoutMs: 400_000,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.backend).toBe("webgpu");
    check(report.runs);
    close(report.runs);
  });
});
