/**
 * Exercise 4: weight decay for a weight matrix. Three outputs share the chapter's inputs; the
 * Frobenius penalty (λ/2)‖W‖_F² is the sum of the columns' (λ/2)‖w_c‖². The first panel trains W
 * as one d × 3 matrix on the picked backend (core's trainMultiOutput) and checks each column
 * against a separate single-output run; the second solves each column's ridge in closed form
 * along a λ grid.
 */
import { CHAPTER } from "@wdecay/core";
import { COLORS, fitLogAxis, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { backendPicker, fmt, h, logGrid, numberControl, required, seedControl } from "../ui.js";

const OUTPUTS = 3;
const COLUMN_COLORS = [COLORS.train, COLORS.test, COLORS.extra];
const SUB = ["₁", "₂", "₃"];

function squaredColumnNorms(W: Float64Array, d: number, k: number): number[] {
  const out = new Array<number>(k).fill(0);
  for (let j = 0; j < d; j++) {
    for (let c = 0; c < k; c++) out[c] = (out[c] as number) + (W[j * k + c] as number) ** 2;
  }
  return out;
}

function table(head: string[], rows: (string | HTMLElement)[][], testid: string): HTMLElement {
  return h(
    "div",
    { class: "table-wrap", "data-testid": testid },
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h("tr", {}, ...head.map((t, k) => h("th", { class: k ? "num" : undefined }, t))),
      ),
      h(
        "tbody",
        {},
        ...rows.map((r) =>
          h("tr", {}, ...r.map((c, k) => h("td", { class: k ? "num" : undefined }, c))),
        ),
      ),
    ),
  );
}

// Panel 1: SGD on the backend.
const trainRoot = document.getElementById("frobenius-train") as HTMLElement;
const picker = backendPicker();
const seed = seedControl();
const lambda = numberControl({
  label: "λ",
  name: "lambda",
  min: 0,
  max: 10,
  step: 0.1,
  value: 3,
});
const trainLoss = series("train loss (summed over outputs)", COLORS.train);
const testLoss = series("test loss (summed over outputs)", COLORS.test);
const lossChart = lineChart({
  label: "Training and test loss of the three-output model against epoch, log scale",
  x: { title: "epoch", min: 0, max: CHAPTER.epochs },
  y: { title: "loss (log scale)", log: true },
  datasets: [trainLoss, testLoss],
  testid: "frobenius-loss-chart",
});
const trainResult = h("div", {});
const trainPanel = mountPanel(
  trainRoot,
  {
    heading: "Train W (200 × 3) with (λ/2)·Σᵢⱼ Wᵢⱼ²",
    testid: "frobenius-train",
    buttonLabel: "Train",
  },
  async ({ runner, progress }) => {
    const lam = required(lambda);
    await picker.ready;
    const backend = picker.selected();
    const s = required(seed);
    trainLoss.data = [];
    testLoss.data = [];
    lossChart.chart.update();
    const multi = await runner.run(
      "multiOutput",
      { backend, lambda: lam, seed: s, outputs: OUTPUTS },
      (p) => {
        if ("trainLoss" in p) {
          trainLoss.data.push({ x: p.epoch, y: p.trainLoss });
          testLoss.data.push({ x: p.epoch, y: p.testLoss });
          fitLogAxis(lossChart.chart);
          lossChart.chart.update();
        } else {
          progress(p.epoch / p.epochs, `Training W on ${backend}: epoch ${p.epoch} of ${p.epochs}`);
        }
      },
    );
    const squares = squaredColumnNorms(multi.weights, CHAPTER.dims, OUTPUTS);
    const sum = squares.reduce((a, v) => a + v, 0);
    // Each column alone, trained (in the worker) as the chapter's single-output model on its
    // target column.
    const rows: string[][] = [];
    let worst = 0;
    for (let c = 0; c < OUTPUTS; c++) {
      const alone = multi.columnNorms[c] as number;
      const own = Math.sqrt(squares[c] as number);
      worst = Math.max(worst, Math.abs(own - alone) / alone);
      rows.push([`w${SUB[c]} (true weights ${fmt(0.01 * (c + 1))})`, fmt(own, 8), fmt(alone, 8)]);
    }
    trainResult.replaceChildren(
      h(
        "p",
        {
          class: "norm",
          "data-testid": "frobenius-norm",
          "data-value": String(multi.frobeniusNorm),
        },
        `Frobenius norm of W: ${multi.frobeniusNorm.toPrecision(8)}`,
      ),
      h(
        "p",
        {},
        `Σᵢⱼ Wᵢⱼ² = ${fmt(multi.frobeniusNorm ** 2, 10)}; ${SUB.map((c) => `‖w${c}‖²`).join(" + ")} = ${fmt(sum, 10)}. Largest relative difference between a column and its separate run: `,
        h("span", { "data-testid": "frobenius-column-gap" }, worst.toExponential(1)),
        ".",
      ),
      table(["column", "its norm in W", "‖w‖ trained alone"], rows, "frobenius-columns"),
    );
    return `Trained on ${backend}`;
  },
);
addControl(trainPanel, picker.element);
addControl(trainPanel, lambda.element);
addControl(trainPanel, seed.element);
trainPanel.results.append(trainResult, lossChart.figure);
void trainPanel.run();

// Panel 2: closed form along λ.
const pathRoot = document.getElementById("frobenius") as HTMLElement;
const normSeries = Array.from({ length: OUTPUTS }, (_, c) =>
  series(`‖w${SUB[c]}‖`, COLUMN_COLORS[c] as string, [], { borderWidth: 1.5 }),
);
const frob = series("‖W‖ (Frobenius)", COLORS.norm, [], { borderWidth: 3 });
const { figure, chart } = lineChart({
  label: "Frobenius norm of W and the norms of its columns against λ",
  x: { title: "λ (log scale)", log: true },
  y: { title: "norm (log scale)", log: true },
  datasets: [frob, ...normSeries],
  testid: "frobenius-chart",
  caption: "Ridge per column in closed form on the chapter's 20 × 200 inputs, three outputs.",
});
const pathTable = h("div", {});
const pathPanel = mountPanel(
  pathRoot,
  { heading: "The minimizer along λ, in closed form", testid: "frobenius", buttonLabel: "Compute" },
  async ({ runner }) => {
    const s = required(seed);
    const path = await runner.run("frobeniusPath", {
      seed: s,
      lambdas: logGrid(1e-3, 30, 25),
      outputs: OUTPUTS,
    });
    frob.data = path.map((p) => ({ x: p.lambda, y: Math.sqrt(p.entries) }));
    normSeries.forEach((line, c) => {
      line.data = path.map((p) => ({ x: p.lambda, y: Math.sqrt(p.columns[c] as number) }));
    });
    const rows: (string | HTMLElement)[][] = [0, 12, 24].map((k) => {
      const { lambda: lam, entries, columns } = path[k] as (typeof path)[number];
      const sumCols = columns.reduce((a, v) => a + v, 0);
      return [
        fmt(lam),
        fmt(entries, 8),
        fmt(sumCols, 8),
        h(
          "span",
          { "data-testid": k === 12 ? "frobenius-gap" : undefined },
          Math.abs(entries - sumCols).toExponential(1),
        ),
      ];
    });
    chart.update();
    pathTable.replaceChildren(
      table(
        ["λ", "Σᵢⱼ Wᵢⱼ²", SUB.map((c) => `‖w${c}‖²`).join(" + "), "difference"],
        rows,
        "frobenius-result",
      ),
    );
    return `${path.length} λ × ${OUTPUTS} columns solved`;
  },
);
pathPanel.results.append(pathTable, figure);
void pathPanel.run();
