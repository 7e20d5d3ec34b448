/** The renderers on hand-made histories, including the ones a diverged run produces. */

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { HistoryPoint } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { diverged, divergenceHint } from "../src/render/numbers.js";
import { SHOW_CURSOR } from "../src/render/progress.js";
import { lossChartSvg } from "../src/render/svg.js";
import { chartWidth, lossChart } from "../src/render/terminal-chart.js";

/** Train falls from 10 to 1e-3, test from 10 to 1, evaluated every 5 of 50 epochs. */
const GOOD: HistoryPoint[] = Array.from({ length: 10 }, (_, i) => ({
  epoch: 5 * (i + 1),
  trainLoss: 10 ** (1 - (4 * i) / 9),
  testLoss: 10 ** (1 - i / 9),
}));

/** Finite for three evaluations, then Infinity and NaN. */
const DIVERGED: HistoryPoint[] = GOOD.map((p, i) =>
  i < 3
    ? { ...p, trainLoss: 10 ** (10 * i), testLoss: 10 ** (10 * i + 1) }
    : { ...p, trainLoss: i === 3 ? Infinity : NaN, testLoss: NaN },
);

const ALL_NAN: HistoryPoint[] = GOOD.map((p) => ({ ...p, trainLoss: NaN, testLoss: NaN }));

describe("terminal loss chart", () => {
  it("draws both curves on labelled log rows, every line the same width", () => {
    const chart = lossChart("a run", GOOD, { width: 40, height: 8 });
    for (const line of chart) expect(line.length).toBe(chartWidth(40));
    const text = chart.join("\n");
    // Rows are labelled with the losses at whole decades, 1e+1 down to 1e-3.
    for (const label of ["1.0e+1┤", "1.0e+0┤", "1.0e-3┤"]) expect(text).toContain(label);
    expect(text).toContain("·");
    expect(text).toContain("─");
    // The train curve ends on the lowest row, the test curve on the 1e+0 row.
    const row = (label: string) => chart.find((l) => l.includes(label)) ?? "";
    expect(row("1.0e-3┤").trimEnd().endsWith("·")).toBe(true);
    expect(row("1.0e+0┤").trimEnd().endsWith("─")).toBe(true);
    expect(text).toMatch(/5\s+epoch\s+50/);
  });

  it("plots the finite part of a diverged run", () => {
    const chart = lossChart("diverged", DIVERGED, { width: 40, height: 8 }).join("\n");
    // The finite losses span 1 to 1e+21: the rows cover them, and nothing else is drawn.
    expect(chart).toContain("1.0e+21┤");
    expect(chart).toContain("1.0e+0┤");
    expect(chart).toMatch(/[╭╯]/);
    expect(chart).not.toMatch(/NaN|Infinity/);
  });

  it("says so when nothing is finite", () => {
    expect(lossChart("gone", ALL_NAN, { width: 40, height: 8 }).join("\n")).toContain(
      "no finite losses",
    );
  });
});

describe("SVG loss chart", () => {
  it("renders a diverged run without NaN in the document", async () => {
    const svg = await lossChartSvg("diverged", DIVERGED);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).not.toMatch(/NaN/);
  });

  it("renders a run with no finite loss, saying so in the title", async () => {
    const svg = await lossChartSvg("gone", ALL_NAN);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("no finite losses");
  });
});

describe("the divergence rule", () => {
  const run = (losses: number[]) => ({
    history: losses.map((trainLoss, k) => ({ epoch: 5 * (k + 1), trainLoss, testLoss: trainLoss })),
    weights: Float64Array.of(1, 2),
    bias: 0,
    l2Norm: Math.sqrt(5),
    trainLoss: losses.at(-1) as number,
    testLoss: losses.at(-1) as number,
    lambda: 0,
    method: "scratch" as const,
  });
  const sgd = { lr: 0.003, l2: 3, plainSgd: true };

  it("is growth of the training loss past tenfold, not only NaN", () => {
    expect(diverged(run([1, 0.5, 0.2]), sgd)).toBe(false);
    expect(diverged(run([1, 3, 9.9]), sgd)).toBe(false);
    expect(diverged(run([1, 3, 10.1]), sgd)).toBe(true);
    expect(diverged(run([1, Number.NaN]), sgd)).toBe(true);
  });

  it("is certain for plain SGD with lr·λ ≥ 2, and the hint says so; not for momentum", () => {
    expect(diverged(run([1]), { ...sgd, l2: 2 / 0.003 })).toBe(true);
    expect(diverged(run([1]), { ...sgd, l2: 600 })).toBe(false);
    expect(diverged(run([1]), { ...sgd, l2: 1000, plainSgd: false })).toBe(false);
    expect(divergenceHint({ ...sgd, l2: 1000 })).toMatch(/^lr·λ = 3 ≥ 2: .*\|1 − lr·λ\| = 2/);
    expect(divergenceHint(sgd)).toBe("try a smaller --lr");
  });
});

describe("the progress bar and Ctrl-C (issue 13, finding 6)", () => {
  it("shows the cursor again and still ends as interrupted", async () => {
    const script = fileURLToPath(new URL("fixtures/progress-sigint.mjs", import.meta.url));
    const progress = fileURLToPath(new URL("../src/render/progress.ts", import.meta.url));
    const { code, signal, stdout } = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      stdout: string;
    }>((resolve) => {
      const child = execFile(
        process.execPath,
        ["--import", "tsx", script, progress],
        (_error, out) => resolve({ code: child.exitCode, signal: child.signalCode, stdout: out }),
      );
    });
    // The bar hid the cursor while it ran…
    expect(stdout).toContain("\u001b[?25l");
    // …and the last thing on the terminal shows it again.
    expect(stdout.endsWith(SHOW_CURSOR)).toBe(true);
    expect(signal === "SIGINT" || code === 130).toBe(true);
  }, 20_000);
});
