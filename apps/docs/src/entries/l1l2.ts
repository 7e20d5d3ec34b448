/** Exercise 3: L1 against L2 on the chapter's data, coefficient paths and exact zeros. */
import { CHAPTER, type RegularizationPath } from "@wdecay/core";
import { type Chart, COLORS, lineChart, series, shareAxis } from "../charts.js";
import { sub } from "../notation.js";
import { addControl, mountPanel } from "../panel.js";
import { backendPicker, fmt, h, numberControl, required, seedControl } from "../ui.js";

/** Coefficients drawn in colour (Okabe–Ito, apart for colour-blind readers); the rest in grey. */
const HIGHLIGHT = [COLORS.train, COLORS.test, COLORS.norm, COLORS.extra, COLORS.yellow];
const MUTED = "#c3c8d0";

const root = document.getElementById("l1l2") as HTMLElement;
const seed = seedControl();

function pathChart(title: string, testid: string): { figure: HTMLElement; chart: Chart } {
  return lineChart({
    label: `${title}: every coefficient wⱼ against λ, the five largest in colour`,
    x: { title: "λ (log scale)", log: true },
    y: { title: "coefficient wⱼ" },
    datasets: [],
    testid,
    caption: " ",
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

function caption(chart: { figure: HTMLElement }, text: string): void {
  const figcaption = chart.figure.querySelector("figcaption");
  if (figcaption) figcaption.textContent = text;
}

/**
 * Every coefficient's path: those in `shown` in colour and in the legend, the others thin and
 * grey.
 */
function fill(chart: Chart, path: RegularizationPath, shown: readonly number[]): void {
  const points = (j: number) =>
    [...path.lambdas].map((l, k) => ({ x: l, y: (path.weights[k] as Float64Array)[j] as number }));
  const d = path.weights[0]?.length ?? 0;
  const others = Array.from({ length: d }, (_, j) => j).filter((j) => !shown.includes(j));
  chart.data.datasets = [
    ...shown.map((j, c) =>
      series(`w${sub(j + 1)}`, HIGHLIGHT[c] as string, points(j), { borderWidth: 2.5 }),
    ),
    // The others as one series broken by gaps (NaN) between coefficients: one dataset of 195
    // paths draws in a fraction of the time of 195 datasets, which kept the page's main thread
    // busy for over 100 ms.
    series(
      `the other ${others.length} coefficients`,
      MUTED,
      others.flatMap((j) => [...points(j), { x: Number.NaN, y: Number.NaN }]),
      { borderWidth: 1, inLegend: false },
    ),
  ];
}

/** The `count` coefficients of largest |w| anywhere along a path, largest first. */
function largest(path: RegularizationPath, count: number): number[] {
  const d = path.weights[0]?.length ?? 0;
  const top = new Float64Array(d);
  for (const w of path.weights)
    for (let j = 0; j < d; j++) top[j] = Math.max(top[j] as number, Math.abs(w[j] as number));
  return Array.from({ length: d }, (_, j) => j)
    .sort((a, b) => (top[b] as number) - (top[a] as number))
    .slice(0, count);
}

const countZeros = (w: Float64Array) => w.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

const panel = mountPanel(
  root,
  { heading: "Coefficient paths", testid: "l1l2", buttonLabel: "Compute" },
  async ({ runner }) => {
    const { l1, l2, l2Path, sbar, d } = await runner.run("paths", { seed: required(seed) });
    const shown = largest(l1, HIGHLIGHT.length);
    fill(lasso.chart, l1, shown);
    fill(ridge.chart, l2Path, shown);
    // One y-scale for both panels, so that their sizes compare at a glance.
    shareAxis([lasso.chart, ridge.chart], "y");
    lasso.chart.update();
    ridge.chart.update();
    caption(
      lasso,
      `Lasso (L1): in colour the ${shown.length} coefficients it makes largest, in grey the other ${d - shown.length}. Above λₘₐₓ = ${fmt(l1.lambdaMax)} (right) every one is exactly 0; as λ falls they enter one at a time.`,
    );
    caption(
      ridge,
      `Ridge (L2): the same coefficients and colours, on the same y-scale. λ runs around s̄ = ${fmt(sbar, 3)}, the mean nonzero eigenvalue of XᵀX/n, from s̄/100 to 100·s̄: every coefficient shrinks smoothly toward 0, and none reaches it.`,
    );
    const zl1 = l1.weights.map(countZeros);
    const zl2 = l2.weights.map(countZeros);
    zeros.chart.data.datasets = [
      series(
        "lasso",
        COLORS.test,
        [...l1.lambdas].map((x, k) => ({ x, y: zl1[k] as number })),
        { pointRadius: 2 },
      ),
      series(
        "ridge",
        COLORS.train,
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
    return `λₘₐₓ = ${fmt(l1.lambdaMax)}: above it the lasso is all zeros; ${l1.lambdas.length} λ each`;
  },
);
addControl(panel, seed.element);
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
  async ({ runner, progress }) => {
    const lambda = required(sgdLambda);
    const s = required(seed);
    await picker.ready;
    const backend = picker.selected();
    const rows: HTMLElement[] = [];
    for (const penalty of ["l1", "l2"] as const) {
      const r = await runner.run(
        "chapterTrain",
        { backend, lambda, method: "scratch", seed: s, penalty },
        (p) =>
          progress(
            p.epoch / CHAPTER.epochs,
            `Training with ${penalty.toUpperCase()}: epoch ${p.epoch}`,
          ),
      );
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
    return `Trained both on ${backend}`;
  },
);
addControl(sgdPanel, picker.element);
addControl(sgdPanel, sgdLambda.element);
sgdPanel.results.append(sgdTable, weightsChart.figure);
void sgdPanel.run();
