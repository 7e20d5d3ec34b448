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
import { fmt, h, numberControl, required } from "../ui.js";

const SHOWN = 40;
const root = document.getElementById("bayes") as HTMLElement;
const sigma = numberControl({
  label: "Noise sd σ",
  name: "sigma",
  min: 0,
  exclusiveMin: true,
  value: 0.01,
});
const tau = numberControl({
  label: "Prior sd τ",
  name: "tau",
  min: 0,
  exclusiveMin: true,
  value: 0.01,
});
const lambdaBox = numberControl({
  label: "λ (canonical)",
  name: "lambda",
  min: 0,
  exclusiveMin: true,
  value: 1,
  hint: "or type λ to get τ",
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
lambdaBox.input.addEventListener("change", () => {
  const l = lambdaBox.value();
  const noise = sigma.value();
  if (l !== undefined && noise !== undefined)
    tau.set(lambdaToPriorScale({ lambda: l, noiseStd: noise, n }));
  // The change bubbles on to the panel, which reruns (addControl).
});

const panel = mountPanel(
  root,
  { heading: "Prior → λ → posterior", testid: "bayes", buttonLabel: "Compute" },
  async () => {
    const { train } = syntheticSplit(42, CHAPTER);
    const scales = { noiseStd: required(sigma), priorStd: required(tau) };
    const lambda = priorScaleToLambda({ ...scales, n });
    lambdaBox.set(Number(lambda.toPrecision(6)));
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
  const noise = sigma.value();
  if (noise !== undefined) tau.set(lambdaToPriorScale({ lambda: 3, noiseStd: noise, n }));
  // With σ invalid the run says so (state `invalid`) instead of computing τ from it.
  void panel.run();
});
for (const control of [sigma, tau, lambdaBox]) addControl(panel, control.element);
addControl(panel, h("div", { class: "field field-button" }, chapterButton));
panel.results.append(table, figure);
void panel.run();
