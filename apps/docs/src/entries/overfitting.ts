/**
 * Exercise 5: early stopping on the chapter's problem, from the loss history core's train()
 * records. Three runs of the chapter's training (λ = 0 scored on a validation set, the same run
 * scored on the test set, and λ = 3), each a few milliseconds of the float64 cpu backend, with a
 * pause between them so the page never holds the main thread for long.
 */
import { CHAPTER, type HistoryPoint, syntheticSplit, train } from "@wdecay/core";
import { COLORS, fitLogAxis, lineChart, series } from "../charts.js";
import { addControl, mountPanel } from "../panel.js";
import { field, fmt, getBackend, h, nextFrame } from "../ui.js";

/**
 * The validation rows are the test rows of this seed's neighbour: draws from the same source as
 * the training and test sets, independent of both.
 */
const VALIDATION_SEED_OFFSET = 1;

const root = document.getElementById("early-stopping") as HTMLElement;
const seed = h("input", { type: "number", min: 0, step: 1, value: 42, "data-testid": "seed" });

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
  async () => {
    const s = Math.max(0, Math.floor(Number(seed.value) || 0));
    const backend = await getBackend("cpu");
    const { train: rows, test } = syntheticSplit(s, CHAPTER);
    const validation = syntheticSplit(s + VALIDATION_SEED_OFFSET, CHAPTER).test;
    const options = {
      method: "scratch" as const,
      epochs: CHAPTER.epochs,
      lr: CHAPTER.lr,
      batchSize: CHAPTER.batchSize,
      seed: s,
      evalEvery: 1,
    };
    // The same seed gives the same start and minibatch order, so the first two runs train
    // identically and differ only in the rows they are scored on.
    const onValidation = await train(
      backend,
      { train: rows, test: validation },
      {
        ...options,
        lambda: 0,
      },
    );
    await nextFrame();
    const onTest = await train(backend, { train: rows, test }, { ...options, lambda: 0 });
    await nextFrame();
    const decayed = await train(backend, { train: rows, test }, { ...options, lambda: 3 });

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
addControl(panel, field("Seed", seed));
panel.results.append(figure, table);
void panel.run();
