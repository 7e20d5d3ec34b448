/**
 * Exercise 5: early stopping on the chapter's problem, from the loss history core's train()
 * records: three runs of the chapter's training in the compute worker (jobs.ts, earlyStopping).
 */
import { CHAPTER, type HistoryPoint } from "@wdecay/core";
import { COLORS, fitLogAxis, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { fmt, h, required, seedControl } from "../ui.js";

const root = document.getElementById("early-stopping") as HTMLElement;
const seed = seedControl();

const trainCurve = series("training loss, λ = 0", COLORS.train);
const validationCurve = series("validation loss, λ = 0", COLORS.yellow);
const testCurve = series("test loss, λ = 0", COLORS.test);
const decayCurve = series("test loss, λ = 3", COLORS.norm, [], { borderDash: [6, 4] });
const stop = series("stopped early (least validation loss)", COLORS.test, [], {
  showLine: false,
  pointRadius: 7,
  pointStyle: "triangle",
});
const { figure, chart } = lineChart({
  label: "Training, validation and test loss by epoch without decay, and test loss with λ = 3",
  x: { title: "epoch", min: 0, max: CHAPTER.epochs },
  y: { title: "loss (log scale)", log: true },
  datasets: [trainCurve, validationCurve, testCurve, decayCurve, stop],
  testid: "early-stopping-chart",
  caption:
    "Mean ½(ŷ − y)² after each epoch, without the penalty. Without decay the training loss falls towards zero while the validation and test losses stay near 90; the triangle marks the epoch early stopping keeps.",
});
const table = h("div", { class: "table-wrap", "data-testid": "early-stopping-result" });

const points = (history: readonly HistoryPoint[], key: "trainLoss" | "testLoss") =>
  history.map((p) => ({ x: p.epoch, y: p[key] }));

const panel = mountPanel(
  root,
  { heading: "Stop early, or decay", testid: "early-stopping", buttonLabel: "Train" },
  async ({ runner }) => {
    const { onValidation, onTest, decayed } = await runner.run("earlyStopping", {
      seed: required(seed),
    });
    const best = onValidation.history.reduce((a, b) => (b.testLoss < a.testLoss ? b : a));
    const stopped = onTest.history.find((p) => p.epoch === best.epoch) as HistoryPoint;
    trainCurve.data = points(onValidation.history, "trainLoss");
    validationCurve.data = points(onValidation.history, "testLoss");
    testCurve.data = points(onTest.history, "testLoss");
    decayCurve.data = points(decayed.history, "testLoss");
    stop.data = [{ x: stopped.epoch, y: stopped.testLoss }];
    fitLogAxis(chart);
    chart.update();

    const rowsOut: [string, string, string][] = [
      [`stopped early: λ = 0, epoch ${best.epoch}`, fmt(best.testLoss), fmt(stopped.testLoss)],
      [
        `trained to the end: λ = 0, epoch ${CHAPTER.epochs}`,
        fmt(onValidation.testLoss),
        fmt(onTest.testLoss),
      ],
      [`weight decay: λ = 3, epoch ${CHAPTER.epochs}`, "–", fmt(decayed.testLoss)],
    ];
    table.replaceChildren(
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "weights kept"),
            h("th", { class: "num" }, "validation loss"),
            h("th", { class: "num" }, "test loss"),
          ),
        ),
        h(
          "tbody",
          {},
          ...rowsOut.map(([what, val, tst]) =>
            h(
              "tr",
              {},
              h("th", {}, what),
              h("td", { class: "num" }, val),
              h("td", { class: "num" }, tst),
            ),
          ),
        ),
      ),
    );
    table.dataset.stopEpoch = String(best.epoch);
    table.dataset.stoppedTest = String(stopped.testLoss);
    table.dataset.finalTest = String(onTest.testLoss);
    table.dataset.decayTest = String(decayed.testLoss);
    return `Early stopping kept epoch ${best.epoch}: test loss ${fmt(stopped.testLoss)}, against ${fmt(onTest.testLoss)} after all ${CHAPTER.epochs} epochs and ${fmt(decayed.testLoss)} with λ = 3`;
  },
);
addControl(panel, seed.element);
panel.results.append(figure, table);
void panel.run();
