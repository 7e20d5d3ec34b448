/** Exercise 6: weight decay as a Gaussian prior; λ from the prior scale and the exact posterior. */
import {
  CHAPTER,
  lambdaToPriorScale,
  priorScaleToLambda,
  ridgePosterior,
  syntheticSplit,
} from "@wdecay/core";
import { COLORS, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { field, fmt, h } from "../ui.js";

const SHOWN = 40;
const root = document.getElementById("bayes") as HTMLElement;
const sigma = h("input", {
  type: "number",
  min: 0,
  step: "any",
  value: 0.01,
  "data-testid": "sigma",
});
const tau = h("input", { type: "number", min: 0, step: "any", value: 0.01, "data-testid": "tau" });
const lambdaBox = h("input", {
  type: "number",
  min: 0,
  step: "any",
  value: "",
  "data-testid": "lambda",
});
const n = CHAPTER.nTrain;

const low = series("", COLORS.sky, [], { borderWidth: 0, pointRadius: 0 });
const high = series("± 2 posterior sd", COLORS.sky, [], {
  borderWidth: 0,
  pointRadius: 0,
  fill: "-1",
  backgroundColor: "rgba(86, 180, 233, 0.3)",
});
const mean = series("posterior mean = ridge solution", COLORS.train, [], { pointRadius: 2 });
const truth = series("true weight 0.01", COLORS.test, [], { borderDash: [5, 4], borderWidth: 1.5 });
const { figure, chart } = lineChart({
  label: `Posterior mean and two standard deviations of the first ${SHOWN} weights`,
  x: { title: "weight index j" },
  y: { title: "wⱼ" },
  datasets: [low, high, mean, truth],
  testid: "bayes-chart",
  caption: `Posterior of the first ${SHOWN} weights wⱼ given the chapter's 20 training examples (band: ± 2 sd).`,
});
const table = h("div", { class: "table-wrap", "data-testid": "bayes-result" });

// Typing λ sets τ = σ/√(nλ), the prior that λ stands for.
lambdaBox.addEventListener("change", () => {
  const l = Number(lambdaBox.value);
  if (l > 0)
    tau.value = String(lambdaToPriorScale({ lambda: l, noiseStd: Number(sigma.value), n }));
  // The change bubbles on to the panel, which reruns (addControl).
});

const panel = mountPanel(
  root,
  { heading: "Prior → λ → posterior", testid: "bayes", buttonLabel: "Compute" },
  async () => {
    const { train } = syntheticSplit(42, CHAPTER);
    const scales = { noiseStd: Number(sigma.value), priorStd: Number(tau.value) };
    const lambda = priorScaleToLambda({ ...scales, n });
    lambdaBox.value = String(Number(lambda.toPrecision(6)));
    const post = ridgePosterior(train, scales);
    const sd = (j: number) => Math.sqrt(Math.max(0, post.covariance[j * post.d + j] as number));
    const idx = Array.from({ length: SHOWN }, (_, j) => j);
    mean.data = idx.map((j) => ({ x: j + 1, y: post.mean[j] as number }));
    low.data = idx.map((j) => ({ x: j + 1, y: (post.mean[j] as number) - 2 * sd(j) }));
    high.data = idx.map((j) => ({ x: j + 1, y: (post.mean[j] as number) + 2 * sd(j) }));
    truth.data = [
      { x: 1, y: 0.01 },
      { x: SHOWN, y: 0.01 },
    ];
    chart.update();
    let norm = 0;
    for (const w of post.mean) norm += w * w;
    let avgSd = 0;
    for (let j = 0; j < post.d; j++) avgSd += sd(j) / post.d;
    const rows: [string, string, string?][] = [
      ["λ = σ²/(nτ²)", fmt(lambda), "bayes-lambda"],
      ["‖posterior mean‖ (= ‖ridge w‖ at that λ)", fmt(Math.sqrt(norm))],
      ["mean posterior sd of a weight", fmt(avgSd)],
      ["prior sd τ", fmt(scales.priorStd)],
    ];
    table.replaceChildren(
      h(
        "table",
        {},
        h(
          "tbody",
          {},
          ...rows.map(([k, v, id]) =>
            h("tr", {}, h("th", {}, k), h("td", { class: "num", "data-testid": id }, v)),
          ),
        ),
      ),
    );
    return `Posterior of ${post.d} weights computed`;
  },
);
const chapterButton = h(
  "button",
  { type: "button", "data-testid": "chapter-lambda" },
  "τ for λ = 3",
);
chapterButton.addEventListener("click", () => {
  tau.value = String(lambdaToPriorScale({ lambda: 3, noiseStd: Number(sigma.value), n }));
  void panel.run();
});
addControl(panel, field("Noise sd σ", sigma));
addControl(panel, field("Prior sd τ", tau));
addControl(panel, field("λ (canonical)", lambdaBox, "or type λ to get τ"));
addControl(panel, h("div", { class: "field field-button" }, chapterButton));
panel.results.append(table, figure);
void panel.run();
