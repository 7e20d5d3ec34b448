/**
 * The chapter's live demo: the experiment of §4.5 (n = 20 train, 100 test, d = 200, batch 5,
 * lr 0.003, 100 epochs) trained by core's `train()` in the page's compute worker on the picked
 * backend. The curves grow as it trains; it can be paused, stepped an epoch at a time and
 * cancelled; moving the λ slider retrains (the old run is cancelled); the 200 weights are drawn
 * at the end; and every setting lives in the URL, so a link reproduces the run.
 *
 * It says what it shows: the legend and the line under the chart name the runs on screen, a run
 * clears the previous figures of its own, a step size that makes SGD diverge is warned of before
 * and detected after, and input that is not a valid λ or seed is marked as such, not trained.
 */
import {
  CHAPTER,
  type HistoryPoint,
  type Method,
  PUBLISHED_NORMS,
  type TrainResult,
} from "@wdecay/core";
import { COLORS, fitLogAxis, lineChart, series } from "./charts.js";
import { SLIDER_DEBOUNCE_MS } from "./panel.js";
import {
  backendPicker,
  DEFAULT_SEED,
  fmt,
  h,
  numberControl,
  seedControl,
  selectControl,
  showError,
  statusLine,
  uid,
} from "./ui.js";
import { isCancel, Runner } from "./work/runner.js";

export interface DemoOptions {
  /** Initial λ (canonical convention, the chapter's). */
  readonly lambda: number;
  readonly method: Method;
  /** Heading of the demo. */
  readonly heading?: string;
  /** Keep the last run's curves (dashed) when training again, to compare λ. */
  readonly keepPrevious?: boolean;
  /**
   * λ to train one after the other on load (the last stays in the controls), e.g. [0, 3] to
   * show the chapter's two runs; default: just `lambda`.
   */
  readonly sequence?: readonly number[];
}

/** Milliseconds the worker waits at each evaluation, so the reader sees the curves grow. */
const PACE_MS = 12;

/** One finished run, as the demo labels it. */
interface Run {
  readonly result: TrainResult;
  readonly backend: string;
  readonly seed: number;
}

const describeRun = (r: Run) =>
  `λ = ${fmt(r.result.lambda)}, ${r.result.method}, seed ${r.seed}, on ${r.backend}`;

/**
 * Plain SGD with decay multiplies w by (1 − ηλ) each step before the data's gradient (both
 * methods); |1 − ηλ| > 1 makes the weights grow geometrically, whatever the data.
 */
function divergesByStepSize(lambda: number): boolean {
  return CHAPTER.lr * lambda >= 2;
}

/** Why a finished run cannot be read as a trained model, or undefined if it can. */
function divergence(result: TrainResult): string | undefined {
  const first = result.history[0];
  const finite =
    Number.isFinite(result.l2Norm) &&
    Number.isFinite(result.trainLoss) &&
    Number.isFinite(result.testLoss);
  if (!finite) return "the weights or losses overflowed to NaN or ∞";
  // Training that works lowers the training loss; a thousandfold rise is growth, not learning.
  if (first && result.trainLoss > 1e3 * first.trainLoss) {
    return `the training loss grew from ${fmt(first.trainLoss)} to ${fmt(result.trainLoss)}`;
  }
  return undefined;
}

/** Mounts the demo into `root` and trains once with the initial settings. */
export function mountChapterDemo(root: HTMLElement, options: DemoOptions): void {
  const params = new URLSearchParams(location.search);
  const headingId = uid("demo-heading");
  const section = h("section", {
    class: "demo",
    "aria-labelledby": headingId,
    "data-testid": "demo",
    "data-state": "idle",
  });
  section.append(
    h("h2", { id: headingId }, options.heading ?? "Try it: train the chapter's model"),
  );

  const runner = new Runner();
  let generation = 0;
  const schedule = () => void run();
  let debounce: ReturnType<typeof setTimeout> | undefined;

  const picker = backendPicker(schedule);
  const lambda = numberControl({
    label: "λ (weight decay)",
    name: "lambda",
    min: 0,
    max: 10,
    step: 0.1,
    value: options.lambda,
    onChange: schedule,
    // Retrain while the slider moves: the newest position wins, older runs are cancelled.
    onInput: () => {
      clearTimeout(debounce);
      debounce = setTimeout(schedule, SLIDER_DEBOUNCE_MS);
    },
    hint: "0 turns weight decay off; the chapter uses 0 and 3.",
  });
  const method = selectControl({
    label: "Method",
    name: "method",
    options: [
      ["scratch", "from scratch: penalty in the loss"],
      ["concise", "concise: decay in the optimizer"],
    ],
    value: options.method,
    onChange: schedule,
  });
  const seed = seedControl(schedule);
  const button = h("button", { type: "button", "data-testid": "train" }, "Train again");
  button.addEventListener("click", schedule);
  const pause = h(
    "button",
    { type: "button", "data-testid": "pause", "aria-pressed": "false", disabled: true },
    "Pause",
  );
  const step = h(
    "button",
    { type: "button", "data-testid": "step", disabled: true, title: "one epoch" },
    "Step",
  );
  const cancel = h("button", { type: "button", "data-testid": "cancel", disabled: true }, "Cancel");
  let paused = false;
  const setPaused = (value: boolean) => {
    paused = value;
    pause.textContent = value ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(value));
  };
  pause.addEventListener("click", () => {
    setPaused(!paused);
    runner.control(paused ? "pause" : "resume");
  });
  step.addEventListener("click", () => {
    setPaused(true);
    runner.control("step");
  });
  cancel.addEventListener("click", () => runner.cancel("cancelled by the reader"));

  const warning = h("p", { class: "warning", role: "alert", "data-testid": "demo-warning" });
  warning.hidden = true;
  section.append(
    h(
      "div",
      { class: "controls" },
      picker.element,
      lambda.element,
      method.element,
      seed.element,
      h("div", { class: "field field-button" }, button, pause, step, cancel),
    ),
    warning,
  );

  const trainSeries = series("train loss", COLORS.train);
  const testSeries = series("test loss", COLORS.test);
  const prevTrain = series("train (previous run)", COLORS.train, [], {
    borderDash: [6, 4],
    borderWidth: 1.5,
  });
  const prevTest = series("test (previous run)", COLORS.test, [], {
    borderDash: [6, 4],
    borderWidth: 1.5,
  });
  const { figure, chart } = lineChart({
    label: "Training and test loss against epoch, log scale",
    x: { title: "epoch", min: 0, max: CHAPTER.epochs },
    y: { title: "loss (log scale)", log: true },
    datasets: options.keepPrevious
      ? [trainSeries, testSeries, prevTrain, prevTest]
      : [trainSeries, testSeries],
    caption:
      "Mean squared loss ½(ŷ − y)² on the 20 training and 100 test examples, every 5 epochs (log scale; the penalty is not included).",
    testid: "loss-chart",
  });
  const shown = h("p", { class: "runs-shown", "data-testid": "runs-shown" });
  const bar = h("progress", {
    max: CHAPTER.epochs,
    value: 0,
    "aria-label": "epochs trained",
    "data-testid": "progress",
  });

  // The 200 weights themselves: the chapter's true weights are all 0.01.
  const weightPoints = series("wⱼ, this run", COLORS.norm, [], {
    showLine: false,
    pointRadius: 2,
  });
  const prevWeights = series("wⱼ, previous run", COLORS.grey, [], {
    showLine: false,
    pointRadius: 2,
    pointStyle: "crossRot",
  });
  const truth = series(
    "true wⱼ = 0.01",
    COLORS.test,
    [
      { x: 1, y: 0.01 },
      { x: CHAPTER.dims, y: 0.01 },
    ],
    { borderDash: [4, 3], borderWidth: 1.5 },
  );
  // Made at the first result, not at load: the page's first task stays short (a chart's first
  // draw in a cold page costs tens of milliseconds of the main thread).
  let weightsChart: ReturnType<typeof lineChart> | undefined;
  const weightsBox = h("div", { class: "weights-box" });
  const drawWeights = () => {
    weightsChart ??= (() => {
      const made = lineChart({
        label: "The 200 trained weights by feature index",
        x: { title: "feature j", min: 1, max: CHAPTER.dims },
        y: { title: "wⱼ" },
        datasets: options.keepPrevious ? [weightPoints, prevWeights, truth] : [weightPoints, truth],
        caption:
          "Every weight after training; the data were made with wⱼ = 0.01 for all j. Decay pulls the cloud towards 0.",
        testid: "weights-chart",
      });
      weightsBox.append(made.figure);
      return made;
    })();
    weightsChart.chart.update();
  };
  section.append(h("div", { class: "run-state" }, bar), figure, shown);

  const norm = h("output", { "data-testid": "norm", class: "norm" }, "‖𝐰‖ = …");
  const losses = h("span", { class: "losses", "data-testid": "losses" });
  const published = h("p", { class: "published", "data-testid": "published" });
  const status = statusLine("demo-status");
  section.append(h("div", { class: "result" }, norm, losses), published, status, weightsBox);
  root.append(section);

  let previous: Run | undefined;
  let current: Run | undefined;
  let inSequence = false;

  /** Names the runs on screen, in the legend and under the chart. */
  function label(running: string | undefined): void {
    const now = running ?? (current ? describeRun(current) : "");
    trainSeries.label = `train (${now.split(",")[0]})`;
    testSeries.label = `test (${now.split(",")[0]})`;
    const parts = [`Solid: ${now}${running ? " (training)" : ""}.`];
    if (options.keepPrevious && previous) {
      prevTrain.label = `train, previous (λ = ${fmt(previous.result.lambda)})`;
      prevTest.label = `test, previous (λ = ${fmt(previous.result.lambda)})`;
      parts.push(`Dashed: ${describeRun(previous)} (the run before).`);
    }
    shown.textContent = parts.join(" ");
  }

  async function run(): Promise<void> {
    clearTimeout(debounce);
    runner.cancel("superseded by a newer run");
    const mine = ++generation;
    const lam = lambda.value();
    const s = seed.value();
    if (lam === undefined || s === undefined) {
      // Invalid input is shown as such by its control and never trained.
      section.dataset.state = "invalid";
      status.classList.add("error");
      status.textContent = `Not trained: ${lam === undefined ? lambda.error() : seed.error()}.`;
      return;
    }
    await picker.ready;
    if (mine !== generation) return;
    const backendName = picker.selected();
    const m = method.value() as Method;
    section.dataset.state = "running";
    status.classList.remove("error");
    status.textContent = `Training on ${backendName}, λ = ${fmt(lam)}…`;
    if (divergesByStepSize(lam)) {
      warning.textContent = `ηλ = ${fmt(CHAPTER.lr * lam)} ≥ 2: every step multiplies w by 1 − ηλ = ${fmt(1 - CHAPTER.lr * lam)}, so SGD will diverge at this λ (η = ${CHAPTER.lr}; below λ = ${fmt(2 / CHAPTER.lr)} it is stable).`;
      warning.hidden = false;
    } else {
      warning.hidden = true;
    }
    // Nothing of the run before stays on screen as if it were this one's.
    if (current && current !== previous) previous = current;
    current = undefined;
    if (options.keepPrevious && previous) {
      prevTrain.data = previous.result.history.map((p) => ({ x: p.epoch, y: p.trainLoss }));
      prevTest.data = previous.result.history.map((p) => ({ x: p.epoch, y: p.testLoss }));
      prevWeights.data = [...previous.result.weights].map((y, j) => ({ x: j + 1, y }));
    }
    trainSeries.data = [];
    testSeries.data = [];
    weightPoints.data = [];
    if (weightsChart) drawWeights();
    label(`λ = ${fmt(lam)}, ${m}, seed ${s}, on ${backendName}`);
    norm.textContent = "‖𝐰‖ = …";
    delete norm.dataset.value;
    losses.textContent = "";
    published.textContent = "";
    bar.value = 0;
    chart.update();
    setPaused(false);
    for (const b of [pause, step, cancel]) b.disabled = false;
    try {
      const result = await runner.run(
        "chapterTrain",
        { backend: backendName, lambda: lam, method: m, seed: s, pace: PACE_MS },
        (p) => {
          if (mine !== generation) return;
          if ("trainLoss" in p) {
            const point = p as HistoryPoint;
            trainSeries.data.push({ x: point.epoch, y: point.trainLoss });
            testSeries.data.push({ x: point.epoch, y: point.testLoss });
            fitLogAxis(chart);
            chart.update();
          }
          bar.value = p.epoch;
        },
      );
      if (mine !== generation) return;
      current = { result, backend: backendName, seed: s };
      label(undefined);
      weightPoints.data = [...result.weights].map((y, j) => ({ x: j + 1, y }));
      drawWeights();
      norm.textContent = `‖𝐰‖ = ${result.l2Norm.toPrecision(10)}`;
      norm.dataset.value = String(result.l2Norm);
      norm.dataset.backend = backendName;
      norm.dataset.lambda = String(lam);
      norm.dataset.method = m;
      norm.dataset.seed = String(s);
      losses.textContent = `train loss ${fmt(result.trainLoss)} · test loss ${fmt(result.testLoss)} · bias ${fmt(result.bias)}`;
      const chapterLambda = lam === 0 || lam === 3 ? (lam as 0 | 3) : undefined;
      if (chapterLambda !== undefined && s === DEFAULT_SEED) {
        const p = PUBLISHED_NORMS[m][chapterLambda];
        published.textContent = `The chapter printed ‖𝐰‖ = ${fmt(p.pytorch, 5)} (PyTorch), ${fmt(p.mxnet, 5)} (MXNet), ${fmt(p.tensorflow, 5)} (TensorFlow) for this run on its own random data.`;
      }
      const diverged = divergence(result);
      section.dataset.diverged = String(diverged !== undefined);
      if (diverged) {
        status.classList.add("error");
        status.textContent = `Diverged on ${backendName} at λ = ${fmt(lam)}: ${diverged}. These weights are not a trained model; lower λ${divergesByStepSize(lam) ? ` below ${fmt(2 / CHAPTER.lr)}` : ""}.`;
      } else {
        status.textContent = `Trained on ${backendName} in ${fmt(result.ms, 3)} ms (seed ${s}, ${m}).`;
      }
      // While an initial sequence of λ is still being trained, the demo is not done.
      if (!inSequence) section.dataset.state = "done";
    } catch (error) {
      if (mine !== generation) return;
      if (isCancel(error)) {
        section.dataset.state = "cancelled";
        status.textContent = "Cancelled; the curves show the epochs trained before it stopped.";
        label(`λ = ${fmt(lam)}, ${m}, seed ${s}, on ${backendName}, cancelled`);
      } else {
        section.dataset.state = "error";
        showError(status, error);
      }
    } finally {
      if (mine === generation) {
        for (const b of [pause, step, cancel]) b.disabled = true;
        setPaused(false);
      }
    }
  }

  const sequence = params.has("lambda") ? [] : (options.sequence ?? []);
  if (sequence.length > 1) {
    void (async () => {
      inSequence = true;
      for (const [k, lam] of sequence.entries()) {
        if (k === sequence.length - 1) inSequence = false;
        lambda.set(lam, { persist: false });
        const before = generation;
        await run();
        // The reader started a run of their own, or this one did not finish: stop the sequence.
        if (generation !== before + 1 || section.dataset.state === "cancelled") break;
        if (section.dataset.state === "error" || section.dataset.state === "invalid") break;
      }
      inSequence = false;
    })();
  } else {
    void run();
  }
}
