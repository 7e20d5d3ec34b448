/** Exercise 2: choosing λ on held-out data, hold-out or k-fold, with the min and 1-SE rules. */
import type { SelectionMethod, SelectionRule } from "@wdecay/core";
import { COLORS, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { fmt, h, logGrid, required, seedControl, selectControl } from "../ui.js";

const root = document.getElementById("selection") as HTMLElement;
const method = selectControl({
  label: "Validation",
  name: "method",
  options: [
    ["kfold-5", "5-fold cross-validation"],
    ["kfold-10", "10-fold cross-validation"],
    ["holdout", "hold-out, 25% for validation"],
  ],
  value: "kfold-5",
});
const rule = selectControl({
  label: "Rule",
  name: "rule",
  options: [
    ["1se", "one standard error (1-SE)"],
    ["min", "minimum validation error"],
  ],
  value: "1se",
});
const size = selectControl({
  label: "Training rows n",
  name: "n",
  options: [
    ["20", "20 (the chapter's)"],
    ["100", "100"],
    ["400", "400"],
  ],
  value: "100",
});
const seed = seedControl();

const lower = series("", COLORS.sky, [], { borderWidth: 0, pointRadius: 0 });
const upper = series("± one standard error", COLORS.sky, [], {
  borderWidth: 0,
  pointRadius: 0,
  fill: "-1",
  backgroundColor: "rgba(86, 180, 233, 0.3)",
});
const mean = series("validation MSE (mean)", COLORS.train, [], { pointRadius: 2 });
const marks = series("λₘᵢₙ and λ₁ₛₑ", COLORS.test, [], {
  showLine: false,
  pointRadius: 7,
  pointStyle: "triangle",
});
const { figure, chart } = lineChart({
  label: "Validation loss against λ with a one-standard-error band",
  x: { title: "λ (log scale)", log: true },
  y: { title: "validation MSE (log scale)", log: true },
  datasets: [lower, upper, mean, marks],
  testid: "selection-chart",
  caption:
    "Validation mean squared error (ŷ − y)² per λ (ridge, exact), fold means weighted by fold size as cv.glmnet does, shaded ± one standard error; triangles: λₘᵢₙ (left) and λ₁ₛₑ.",
});
const table = h("div", { class: "table-wrap", "data-testid": "selection-result" });

const panel = mountPanel(
  root,
  { heading: "Choose λ", testid: "selection", buttonLabel: "Select" },
  async ({ runner, progress }) => {
    const n = Number(size.value());
    const s = required(seed);
    const m: SelectionMethod =
      method.value() === "holdout"
        ? { kind: "holdout", valFraction: 0.25 }
        : { kind: "kfold", folds: Number(method.value().split("-")[1]) };
    const chosenRule = rule.value() as SelectionRule;
    const {
      selection: sel,
      testLoss,
      norm,
    } = await runner.run(
      "selection",
      { n, seed: s, method: m, rule: chosenRule, lambdas: logGrid(1e-4, 100, 25) },
      (p) => progress(p.done / p.total, `Solving: fit ${p.done} of ${p.total}`),
    );
    lower.data = sel.curve.map((p) => ({ x: p.lambda, y: Math.max(p.mean - p.se, p.mean * 0.05) }));
    upper.data = sel.curve.map((p) => ({ x: p.lambda, y: p.mean + p.se }));
    mean.data = sel.curve.map((p) => ({ x: p.lambda, y: p.mean }));
    const at = (l: number) => sel.curve.find((p) => p.lambda === l)?.mean ?? Number.NaN;
    marks.data = [
      { x: sel.lambdaMin, y: at(sel.lambdaMin) },
      { x: sel.lambda1se, y: at(sel.lambda1se) },
    ];
    chart.update();
    const rows: [string, string][] = [
      ["λₘᵢₙ (least validation MSE)", fmt(sel.lambdaMin)],
      ["λ₁ₛₑ (largest λ within one SE)", fmt(sel.lambda1se)],
      [`chosen (${chosenRule})`, fmt(sel.chosen)],
      ["‖w‖ of the refit on all training rows", fmt(norm)],
      ["its MSE on the 100 test examples", fmt(testLoss)],
    ];
    table.replaceChildren(
      h(
        "table",
        {},
        h(
          "tbody",
          {},
          ...rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", { class: "num" }, v))),
        ),
      ),
    );
    table.dataset.chosen = String(sel.chosen);
    return `Selected λ = ${fmt(sel.chosen)} from ${sel.lambdas.length} candidates`;
  },
);
for (const control of [method, rule, size, seed]) addControl(panel, control.element);
panel.results.append(table, figure);
void panel.run();
