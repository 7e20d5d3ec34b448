/** Exercise 1: train and test loss against λ, every λ of a log grid trained in one pass. */
import { COLORS, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { backendPicker, fmt, h, logGrid, required, seedControl, selectControl } from "../ui.js";

const root = document.getElementById("sweep") as HTMLElement;
const picker = backendPicker();
const seed = seedControl();
const count = selectControl({
  label: "Grid",
  name: "count",
  options: [12, 24, 48].map((n) => [String(n), `${n} values`] as const),
  value: "24",
  hint: "λ from 0.001 to 30, log-spaced",
});

const losses = series("final train loss", COLORS.train, [], { pointRadius: 3 });
const tests = series("final test loss", COLORS.test, [], { pointRadius: 3 });
const norms = series("‖w‖", COLORS.norm, [], { pointRadius: 3 });
const lossChart = lineChart({
  label: "Final training and test loss against λ, both axes logarithmic",
  x: { title: "λ (log scale)", log: true },
  y: { title: "loss after 100 epochs (log scale)", log: true },
  datasets: [losses, tests],
  testid: "sweep-loss-chart",
  caption: "Mean ½(ŷ − y)² after the chapter's 100 epochs, one model per λ, same data and start.",
});
const normChart = lineChart({
  label: "Norm of the weights against λ, both axes logarithmic",
  x: { title: "λ (log scale)", log: true },
  y: { title: "‖w‖ (log scale)", log: true },
  datasets: [norms],
  testid: "sweep-norm-chart",
});
const best = h("p", { "data-testid": "sweep-best", class: "norm" });

const panel = mountPanel(
  root,
  { heading: "λ sweep on the chapter's problem", testid: "sweep", buttonLabel: "Sweep" },
  async ({ runner, progress }) => {
    await picker.ready;
    const backend = picker.selected();
    const lambdas = logGrid(1e-3, 30, Number(count.value()));
    const s = required(seed);
    const results = await runner.run("sweep", { backend, lambdas, seed: s }, (p) =>
      progress(
        p.epoch / p.epochs,
        `Training ${lambdas.length} models on ${backend}: epoch ${p.epoch} of ${p.epochs}`,
      ),
    );
    losses.data = results.map((r) => ({ x: r.lambda, y: r.trainLoss }));
    tests.data = results.map((r) => ({ x: r.lambda, y: r.testLoss }));
    norms.data = results.map((r) => ({ x: r.lambda, y: r.l2Norm }));
    lossChart.chart.update();
    normChart.chart.update();
    const top = results.reduce((a, b) => (b.testLoss < a.testLoss ? b : a));
    best.textContent = `Lowest test loss ${fmt(top.testLoss)} at λ = ${fmt(top.lambda, 3)} (‖w‖ = ${fmt(top.l2Norm)})`;
    best.dataset.lambda = String(top.lambda);
    return `Trained ${lambdas.length} models in one pass on ${backend}`;
  },
);
addControl(panel, picker.element);
addControl(panel, seed.element);
addControl(panel, count.element);
panel.results.append(best, lossChart.figure, normChart.figure);
void panel.run();
