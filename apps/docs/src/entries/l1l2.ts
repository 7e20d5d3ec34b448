/** Exercise 3: L1 against L2 on the chapter's data, coefficient paths and exact zeros. */
import {
  CHAPTER,
  type RegularizationPath,
  regularizationPath,
  syntheticSplit,
  train,
} from "@wdecay/core";
import { type Chart, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { backendPicker, field, fmt, getBackend, h, numberControl, required } from "../ui.js";

const SHOWN = 12;
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

const root = document.getElementById("l1l2") as HTMLElement;
const seed = h("input", { type: "number", min: 0, step: 1, value: 42, "data-testid": "seed" });

function pathChart(title: string, testid: string): { figure: HTMLElement; chart: Chart } {
  return lineChart({
    label: `${title}: the first ${SHOWN} coefficients against λ`,
    x: { title: "λ (log scale)", log: true },
    y: { title: "coefficient wⱼ" },
    datasets: [],
    testid,
    legend: false,
    caption: `${title}: w₁ … w${SHOWN === 12 ? "₁₂" : SHOWN} along the path (of 200).`,
  });
}
const lasso = pathChart("Lasso (L1)", "l1-path-chart");
const ridge = pathChart("Ridge (L2)", "l2-path-chart");
const zeros = lineChart({
  label: "Number of exactly zero coefficients against λ, lasso and ridge",
  x: { title: "λ (log scale)", log: true },
  y: { title: "exact zeros (of 200)", min: 0, max: 200 },
  datasets: [],
  testid: "zeros-chart",
});
const summary = h("div", { class: "table-wrap", "data-testid": "l1l2-result" });

function fill(chart: Chart, path: RegularizationPath): void {
  chart.data.datasets = Array.from({ length: SHOWN }, (_, j) =>
    series(
      `w${j + 1}`,
      PALETTE[j % PALETTE.length] as string,
      [...path.lambdas].map((l, k) => ({
        x: l,
        y: (path.weights[k] as Float64Array)[j] as number,
      })),
      { borderWidth: 1.5 },
    ),
  );
  chart.update();
}

const countZeros = (w: Float64Array) => w.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

const panel = mountPanel(
  root,
  { heading: "Coefficient paths", testid: "l1l2", buttonLabel: "Compute" },
  async () => {
    const s = Math.max(0, Math.floor(Number(seed.value) || 0));
    const { train } = syntheticSplit(s, CHAPTER);
    const l1 = regularizationPath(train, { alpha: 1, nLambda: 40 });
    // The ridge path over the lasso's λ grid, so the two share an axis.
    const l2 = regularizationPath(train, { alpha: 0, lambdas: l1.lambdas });
    fill(lasso.chart, l1);
    fill(ridge.chart, l2);
    const zl1 = l1.weights.map(countZeros);
    const zl2 = l2.weights.map(countZeros);
    zeros.chart.data.datasets = [
      series(
        "lasso",
        "#D55E00",
        [...l1.lambdas].map((x, k) => ({ x, y: zl1[k] as number })),
        { pointRadius: 2 },
      ),
      series(
        "ridge",
        "#0072B2",
        [...l2.lambdas].map((x, k) => ({ x, y: zl2[k] as number })),
        { pointRadius: 2 },
      ),
    ];
    zeros.chart.update();
    const picks = [0, 10, 20, 39];
    summary.replaceChildren(
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "λ"),
            h("th", { class: "num" }, "lasso: exact zeros"),
            h("th", { class: "num" }, "ridge: exact zeros"),
          ),
        ),
        h(
          "tbody",
          {},
          ...picks.map((k) =>
            h(
              "tr",
              {},
              h("td", {}, fmt(l1.lambdas[k] as number)),
              h(
                "td",
                { class: "num", "data-testid": k === 20 ? "l1-zeros" : undefined },
                String(zl1[k]),
              ),
              h(
                "td",
                { class: "num", "data-testid": k === 20 ? "l2-zeros" : undefined },
                String(zl2[k]),
              ),
            ),
          ),
        ),
      ),
    );
    return `λ_max = ${fmt(l1.lambdaMax)}: above it the lasso is all zeros; ${l1.lambdas.length} λ each`;
  },
);
addControl(panel, field("Seed", seed));
panel.results.append(summary, zeros.figure, lasso.figure, ridge.figure);
void panel.run();

// Proximal SGD on the picked backend: the chapter's training with an L1 or an L2 penalty.
const sgdRoot = document.getElementById("l1l2-sgd") as HTMLElement;
const picker = backendPicker();
const sgdLambda = numberControl({
  label: "λ",
  name: "lambda",
  min: 0,
  max: 3,
  step: 0.05,
  value: 1,
});
const l1Points = series("L1 (proximal SGD)", "#D55E00", [], {
  showLine: false,
  pointRadius: 2.5,
});
const l2Points = series("L2 (weight decay)", "#0072B2", [], { showLine: false, pointRadius: 2.5 });
const weightsChart = lineChart({
  label: "Final weights by feature index, L1 against L2 penalty",
  x: { title: "feature j", min: 0, max: CHAPTER.dims },
  y: { title: "wⱼ after 100 epochs" },
  datasets: [l1Points, l2Points],
  testid: "sgd-weights-chart",
  caption:
    "Every one of the 200 weights after the chapter's 100 epochs; L1 puts most exactly on 0.",
});
const sgdTable = h("div", { class: "table-wrap", "data-testid": "sgd-result" });
const sgdPanel = mountPanel(
  sgdRoot,
  { heading: "Train with SGD: exact zeros from L1", testid: "l1l2-sgd", buttonLabel: "Train" },
  async () => {
    await picker.ready;
    const backend = await getBackend(picker.selected());
    const s = Math.max(0, Math.floor(Number(seed.value) || 0));
    const data = syntheticSplit(s, CHAPTER);
    const rows: HTMLElement[] = [];
    for (const penalty of ["l1", "l2"] as const) {
      const r = await train(backend, data, {
        method: "scratch",
        penalty,
        lambda: required(sgdLambda),
        epochs: CHAPTER.epochs,
        lr: CHAPTER.lr,
        batchSize: CHAPTER.batchSize,
        evalEvery: CHAPTER.epochs,
        seed: s,
      });
      const points = [...r.weights].map((y, j) => ({ x: j + 1, y }));
      if (penalty === "l1") l1Points.data = points;
      else l2Points.data = points;
      rows.push(
        h(
          "tr",
          {},
          h("td", {}, penalty === "l1" ? "L1: λ‖w‖₁" : "L2: (λ/2)‖w‖²"),
          h(
            "td",
            { class: "num", "data-testid": `sgd-${penalty}-zeros` },
            String(countZeros(r.weights)),
          ),
          h("td", { class: "num" }, fmt(r.l2Norm)),
          h("td", { class: "num" }, fmt(r.testLoss)),
        ),
      );
    }
    weightsChart.chart.update();
    sgdTable.replaceChildren(
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "penalty"),
            h("th", { class: "num" }, "exact zeros (of 200)"),
            h("th", { class: "num" }, "‖w‖"),
            h("th", { class: "num" }, "test loss"),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
    );
    return `Trained both on ${backend.name}`;
  },
);
addControl(sgdPanel, picker.element);
addControl(sgdPanel, sgdLambda.element);
sgdPanel.results.append(sgdTable, weightsChart.figure);
void sgdPanel.run();
