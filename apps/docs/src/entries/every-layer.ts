/**
 * The chapter's closing advice on a network: an MLP trained on 300 MNIST images without decay
 * and with decay on every weight matrix (biases exempt), same seed, same start, on the picked
 * backend; train and test loss curves of both, and a table of the final losses, accuracies and
 * norms.
 */

import { l2Norm, type NetworkTrainResult } from "@wdecay/core";
import { COLORS, fitLogAxis, lineChart, series } from "../charts.js";
import { EVERY_LAYER } from "../mnist-data.js";
import { addControl, mountPanel } from "../panel.js";
import { backendPicker, fmt, h, numberControl, required } from "../ui.js";

const root = document.getElementById("every-layer") as HTMLElement;
const picker = backendPicker();
const lambda = numberControl({
  label: "λ",
  name: "lambda",
  min: 0,
  max: 0.3,
  step: 0.001,
  value: EVERY_LAYER.lambda,
  hint: "decay of both weight matrices",
});

const curves = {
  train0: series("train, λ = 0", COLORS.train, [], { borderDash: [5, 4] }),
  test0: series("test, λ = 0", COLORS.test, [], { borderDash: [5, 4] }),
  train: series("train, with decay", COLORS.train),
  test: series("test, with decay", COLORS.test),
};
const chart = lineChart({
  label: "Training and test loss per epoch, without and with weight decay, log scale",
  x: { title: "epoch" },
  y: { title: "mean cross-entropy (log scale)", log: true },
  datasets: [curves.train0, curves.test0, curves.train, curves.test],
  testid: "every-layer-chart",
  caption: "Dashed: no decay. Solid: decay on every weight matrix, biases exempt.",
});
const tableBox = h("div", { class: "table-wrap", "data-testid": "every-layer-table" });
const groupsLine = h("p", { class: "note", "data-testid": "every-layer-groups" });

function decayedNorm(run: NetworkTrainResult): number {
  return l2Norm(
    run.parameters.filter((p) => p.group === "decay").flatMap((p) => Array.from(p.values)),
  );
}

function row(label: string, run: NetworkTrainResult): HTMLElement {
  const pct = (x: number | undefined) => (x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);
  const f = run.final;
  const cells = [
    label,
    fmt(f.trainLoss),
    fmt(f.testLoss),
    pct(f.trainAccuracy),
    pct(f.testAccuracy),
    fmt(decayedNorm(run)),
  ];
  return h(
    "tr",
    { "data-train-loss": String(f.trainLoss), "data-test-loss": String(f.testLoss) },
    ...cells.map((c, k) => h("td", { class: k ? "num" : undefined }, c)),
  );
}

const panel = mountPanel(
  root,
  {
    heading: "An MLP on 300 digits, without and with decay",
    testid: "every-layer",
    buttonLabel: "Train",
  },
  async ({ runner, progress }) => {
    const decay = required(lambda);
    await picker.ready;
    const backend = picker.selected();
    for (const s of Object.values(curves)) s.data = [];
    tableBox.replaceChildren();
    chart.chart.update();
    const [none, decayed] = (await runner.run("everyLayer", { backend, weightDecay: decay }, (p) =>
      progress(
        (p.run * p.epochs + p.epoch) / (2 * p.epochs),
        `Training ${p.run === 0 ? "without decay" : `with λ = ${decay}`} on ${backend}: epoch ${p.epoch} of ${p.epochs}`,
      ),
    )) as [NetworkTrainResult, NetworkTrainResult];
    const points = (r: NetworkTrainResult, key: "trainLoss" | "testLoss") =>
      r.history.map((p) => ({ x: p.epoch, y: p[key] }));
    curves.train0.data = points(none, "trainLoss");
    curves.test0.data = points(none, "testLoss");
    curves.train.data = points(decayed, "trainLoss");
    curves.test.data = points(decayed, "testLoss");
    curves.train.label = `train, λ = ${decay}`;
    curves.test.label = `test, λ = ${decay}`;
    fitLogAxis(chart.chart);
    chart.chart.update();
    const head = [
      "run",
      "train loss",
      "test loss",
      "train accuracy",
      "test accuracy",
      "‖W‖ decayed",
    ];
    tableBox.replaceChildren(
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h("tr", {}, ...head.map((t, k) => h("th", { class: k ? "num" : undefined }, t))),
        ),
        h("tbody", {}, row("λ = 0", none), row(`λ = ${decay}`, decayed)),
      ),
    );
    groupsLine.textContent = decayed.grouping.groups
      .map((g) => `${g.name} (λ ${g.weightDecay}): ${g.members.join(", ")}`)
      .join("; ");
    return `Trained twice on ${backend}: the test loss went from ${fmt(none.final.testLoss)} to ${fmt(decayed.final.testLoss)}`;
  },
);
addControl(panel, picker.element);
addControl(panel, lambda.element);
panel.results.append(tableBox, groupsLine, chart.figure);
void panel.run();
