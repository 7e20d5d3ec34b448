/**
 * `sweep --model mlp|softmax|logistic`: exercise 1 on a network. Each λ of the sweep must be the
 * `train --model` run at that λ (the same data, initial weights and minibatch order), and the
 * sweep must show what decay does: a smaller weight norm and a larger training loss at a large λ
 * than at λ = 0. Usage errors come before any work.
 */
import { describe, expect, it } from "vitest";
import { expectUsageError, lines, run, runJson } from "./helpers.js";

const SMALL = ["--n-train", "60", "--n-test", "100", "--epochs", "4", "--seed", "5"];

describe("sweep --model: usage errors, before any work", () => {
  const CASES: [string[], string][] = [
    [["--model", "mlp", "--method", "concise"], "--method"],
    [["--model", "mlp", "--penalty", "l1"], "--penalty"],
    [["--model", "softmax", "--lambda-convention", "glmnet"], "--lambda-convention"],
    [["--model", "softmax", "--hidden", "8"], "--hidden"],
    [["--hidden", "8"], "--hidden"],
    [["--digits", "3,8"], "--digits"],
    [["--decay-all"], "--decay-all"],
    [["--model", "logistic"], "--digits"],
    [["--model", "mlp", "--lambdas", "0,-1"], "--lambdas"],
    [["--model", "mlp", "--group", "name=x,match=layer.0.*"], "--group"],
    [["--model", "mlp", "--data", "t.csv"], "--target"],
  ];
  it.each(CASES)("sweep %j exits 2 naming %s", async (args, flag) => {
    expectUsageError(await run(["sweep", ...args]), flag);
  });
});

describe("sweep --model", { timeout: 120_000 }, () => {
  it("trains each λ as train --model does at that λ, and decay shrinks ‖W‖ and raises the training loss", async () => {
    const model = ["--model", "mlp", "--hidden", "8", "--digits", "0,1,7", "--backend", "cpu"];
    const lambdas = [0, 0.01, 0.3];
    const sweep = await runJson("sweep", [...model, ...SMALL, "--lambdas", lambdas.join(",")]);
    expect(sweep.model).toBe("mlp");
    expect(sweep.architecture).toEqual([784, 8, 3]);
    expect(sweep.runs.map((r: { lambda: number }) => r.lambda)).toEqual(lambdas);
    for (const [l, lambda] of lambdas.entries()) {
      const one = await runJson("train", [...model, ...SMALL, "--lambda", String(lambda)]);
      const point = sweep.runs[l];
      // The same run on the float64 cpu backend: equal but for the order of the host's sums.
      for (const key of ["trainLoss", "testLoss"] as const) {
        expect(
          Math.abs(point[key] - one.final[key]) / one.final[key],
          `${key} at λ ${lambda}`,
        ).toBeLessThan(1e-12);
      }
      expect(point.trainAccuracy).toBe(one.final.trainAccuracy);
      expect(point.testAccuracy).toBe(one.final.testAccuracy);
      const weights = one.parameters.filter((p: { name: string }) => p.name.endsWith(".weight"));
      const norm = Math.hypot(...weights.map((p: { norm: number }) => p.norm));
      expect(Math.abs(point.weightNorm - norm) / norm).toBeLessThan(1e-12);
    }
    const [none, , most] = sweep.runs;
    expect(most.weightNorm).toBeLessThan(none.weightNorm);
    expect(most.trainLoss).toBeGreaterThan(none.trainLoss);
  });

  it("prints the table, the best λ and the chart; the default grid is the network's", async () => {
    const { code, stdout, stderr } = await run([
      "sweep",
      "--model",
      "softmax",
      "--digits",
      "3,8",
      "--backend",
      "cpu",
      ...SMALL,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = lines(stdout);
    expect(out[0]).toMatch(/^Swept 8 λ on cpu \(float64\): softmax 784 → 2 \(softmax loss\)/);
    expect(out.some((l) => /λ\s+\|?\s*train loss.*test acc\..*‖W‖/.test(l))).toBe(true);
    expect(out.some((l) => l.startsWith("lowest test loss: λ = "))).toBe(true);
    expect(out.some((l) => l.startsWith("λ = 0 is not on a log axis"))).toBe(true);
  });
});
