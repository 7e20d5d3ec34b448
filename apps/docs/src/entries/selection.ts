/** Exercise 2: choosing λ on held-out data, hold-out or k-fold, with the min and 1-SE rules. */
import {
  type SelectionMethod,
  type SelectionRule,
  selectLambda,
  syntheticSplit,
} from "@wdecay/core";
import { COLORS, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { field, fmt, h, logGrid } from "../ui.js";

const root = document.getElementById("selection") as HTMLElement;
const option = (value: string, label: string, selected = false) =>
  h("option", { value, selected }, label);
const method = h(
  "select",
  { "data-testid": "method" },
  option("kfold-5", "5-fold cross-validation", true),
  option("kfold-10", "10-fold cross-validation"),
  option("holdout", "hold-out, 25% for validation"),
);
const rule = h(
  "select",
  { "data-testid": "rule" },
  option("1se", "one standard error (1-SE)", true),
  option("min", "minimum validation error"),
);
const size = h(
  "select",
  { "data-testid": "n" },
  option("20", "20 (the chapter's)"),
  option("100", "100", true),
  option("400", "400"),
);
const seed = h("input", { type: "number", min: 0, step: 1, value: 42, "data-testid": "seed" });

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
  async () => {
    const n = Number(size.value);
    const s = Math.max(0, Math.floor(Number(seed.value) || 0));
    const { train, test } = syntheticSplit(s, { nTrain: n, nTest: 100, dims: 200 });
    const m: SelectionMethod =
      method.value === "holdout"
        ? { kind: "holdout", valFraction: 0.25 }
        : { kind: "kfold", folds: Number(method.value.split("-")[1]) };
    const chosenRule = rule.value as SelectionRule;
    const sel = selectLambda(train, {
      lambdas: logGrid(1e-4, 100, 25),
      penalty: "l2",
      method: m,
      seed: s,
      rule: chosenRule,
    });
    lower.data = sel.curve.map((p) => ({ x: p.lambda, y: Math.max(p.mean - p.se, p.mean * 0.05) }));
    upper.data = sel.curve.map((p) => ({ x: p.lambda, y: p.mean + p.se }));
    mean.data = sel.curve.map((p) => ({ x: p.lambda, y: p.mean }));
    const at = (l: number) => sel.curve.find((p) => p.lambda === l)?.mean ?? Number.NaN;
    marks.data = [
      { x: sel.lambdaMin, y: at(sel.lambdaMin) },
      { x: sel.lambda1se, y: at(sel.lambda1se) },
    ];
    chart.update();
    // Test MSE of the refit model on the 100 test examples (the validation curve's measure).
    let testLoss = 0;
    for (let i = 0; i < test.n; i++) {
      let r = sel.model.bias - (test.y[i] as number);
      for (let j = 0; j < test.d; j++)
        r += (test.X[i * test.d + j] as number) * (sel.model.weights[j] as number);
      testLoss += (r * r) / test.n;
    }
    let norm = 0;
    for (const w of sel.model.weights) norm += w * w;
    const rows: [string, string][] = [
      ["λₘᵢₙ (least validation MSE)", fmt(sel.lambdaMin)],
      ["λ₁ₛₑ (largest λ within one SE)", fmt(sel.lambda1se)],
      [`chosen (${chosenRule})`, fmt(sel.chosen)],
      ["‖w‖ of the refit on all training rows", fmt(Math.sqrt(norm))],
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
addControl(panel, field("Validation", method));
addControl(panel, field("Rule", rule));
addControl(panel, field("Training rows n", size));
addControl(panel, field("Seed", seed));
panel.results.append(table, figure);
void panel.run();
