/**
 * The chapter's live demo: the experiment of §4.5 (n = 20 train, 100 test, d = 200, batch 5,
 * lr 0.003, 100 epochs) trained in the page by core's `train()` on the picked backend, with the
 * train and test loss drawn as training runs and ‖w‖ at the end.
 */
import {
  CHAPTER,
  type HistoryPoint,
  type Method,
  PUBLISHED_NORMS,
  syntheticSplit,
  type TrainResult,
  train,
} from "@wdecay/core";
import { COLORS, fitLogAxis, lineChart, series } from "./charts.js";
import {
  backendPicker,
  field,
  fmt,
  getBackend,
  h,
  nextFrame,
  numberControl,
  showError,
  statusLine,
  uid,
} from "./ui.js";

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

/** Seeds the tests and the CLI use by default. */
export const DEFAULT_SEED = 42;

/** Mounts the demo into `root` and trains once with the initial settings. */
export function mountChapterDemo(root: HTMLElement, options: DemoOptions): void {
  const params = new URLSearchParams(location.search);
  const initialLambda = Number(params.get("lambda") ?? options.lambda);
  const initialSeed = Number(params.get("seed") ?? DEFAULT_SEED);

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

  let controller: AbortController | undefined;
  const schedule = () => void run();

  const picker = backendPicker(schedule);
  const lambda = numberControl({
    label: "λ (weight decay)",
    name: "lambda",
    min: 0,
    max: 10,
    step: 0.1,
    value: Number.isFinite(initialLambda) && initialLambda >= 0 ? initialLambda : options.lambda,
    onChange: schedule,
    hint: "0 turns weight decay off; the chapter uses 0 and 3.",
  });
  const method = h(
    "select",
    { "data-testid": "method" },
    h("option", { value: "scratch" }, "from scratch: penalty in the loss"),
    h("option", { value: "concise" }, "concise: decay in the optimizer"),
  );
  method.value = params.get("method") === "concise" ? "concise" : options.method;
  method.addEventListener("change", schedule);
  const seed = h("input", {
    type: "number",
    min: 0,
    step: 1,
    value: Number.isSafeInteger(initialSeed) && initialSeed >= 0 ? initialSeed : DEFAULT_SEED,
    "data-testid": "seed",
  });
  seed.addEventListener("change", schedule);
  const button = h("button", { type: "button", "data-testid": "train" }, "Train again");
  button.addEventListener("click", schedule);

  section.append(
    h(
      "div",
      { class: "controls" },
      picker.element,
      lambda.element,
      field("Method", method),
      field("Seed", seed, "data, initial weights and minibatch order"),
      h("div", { class: "field field-button" }, button),
    ),
  );

  const trainSeries = series("train loss", COLORS.train);
  const testSeries = series("test loss", COLORS.test);
  const prevTrain = series("train (previous run)", COLORS.train, [], {
    borderDash: [6, 4],
    borderWidth: 1.5,
    hidden: !options.keepPrevious,
  });
  const prevTest = series("test (previous run)", COLORS.test, [], {
    borderDash: [6, 4],
    borderWidth: 1.5,
    hidden: !options.keepPrevious,
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
  section.append(figure);

  const norm = h("output", { "data-testid": "norm", class: "norm" }, "‖w‖ = …");
  const losses = h("span", { class: "losses", "data-testid": "losses" });
  const published = h("p", { class: "published", "data-testid": "published" });
  const status = statusLine("demo-status");
  section.append(h("div", { class: "result" }, norm, losses), published, status);
  root.append(section);

  let previous: TrainResult | undefined;
  let inSequence = false;

  async function run(): Promise<void> {
    controller?.abort(new DOMException("superseded by a newer run", "AbortError"));
    const mine = new AbortController();
    controller = mine;
    await picker.ready;
    const backendName = picker.selected();
    const lam = lambda.value();
    const m = method.value as Method;
    const s = Math.max(0, Math.floor(Number(seed.value) || 0));
    section.dataset.state = "running";
    status.classList.remove("error");
    status.textContent = `Training on ${backendName}, λ = ${fmt(lam)}…`;
    norm.textContent = "‖w‖ = …";
    if (options.keepPrevious && previous) {
      prevTrain.data = previous.history.map((p) => ({ x: p.epoch, y: p.trainLoss }));
      prevTest.data = previous.history.map((p) => ({ x: p.epoch, y: p.testLoss }));
      prevTrain.label = `train, previous (λ = ${fmt(previous.lambda)})`;
      prevTest.label = `test, previous (λ = ${fmt(previous.lambda)})`;
    }
    trainSeries.data = [];
    testSeries.data = [];
    trainSeries.label = `train (λ = ${fmt(lam)})`;
    testSeries.label = `test (λ = ${fmt(lam)})`;
    chart.update();
    const started = performance.now();
    try {
      const backend = await getBackend(backendName);
      const data = syntheticSplit(s, CHAPTER);
      const result = await train(backend, data, {
        method: m,
        lambda: lam,
        epochs: CHAPTER.epochs,
        lr: CHAPTER.lr,
        batchSize: CHAPTER.batchSize,
        evalEvery: CHAPTER.evalEvery,
        seed: s,
        signal: mine.signal,
        onEvaluate: (p: HistoryPoint) => {
          trainSeries.data.push({ x: p.epoch, y: p.trainLoss });
          testSeries.data.push({ x: p.epoch, y: p.testLoss });
          fitLogAxis(chart);
          chart.update();
        },
        // Yield at every evaluation so the curves grow on screen.
        onEpoch: (epoch) => (epoch % CHAPTER.evalEvery === 0 ? nextFrame(12) : undefined),
      });
      if (controller !== mine) return;
      const ms = performance.now() - started;
      previous = result;
      norm.textContent = `‖w‖ = ${result.l2Norm.toPrecision(10)}`;
      norm.dataset.value = String(result.l2Norm);
      norm.dataset.backend = backendName;
      norm.dataset.lambda = String(lam);
      norm.dataset.method = m;
      norm.dataset.seed = String(s);
      losses.textContent = `train loss ${fmt(result.trainLoss)} · test loss ${fmt(result.testLoss)} · bias ${fmt(result.bias)}`;
      const chapterLambda = lam === 0 || lam === 3 ? (lam as 0 | 3) : undefined;
      if (chapterLambda !== undefined) {
        const p = PUBLISHED_NORMS[m][chapterLambda];
        published.textContent = `The chapter printed ‖w‖ = ${fmt(p.pytorch, 5)} (PyTorch), ${fmt(p.mxnet, 5)} (MXNet), ${fmt(p.tensorflow, 5)} (TensorFlow) for this run on its own random data.`;
      } else {
        published.textContent = "";
      }
      status.textContent = `Trained on ${backendName} in ${fmt(ms, 3)} ms (seed ${s}, ${m}).`;
      // While an initial sequence of λ is still being trained, the demo is not done.
      if (!inSequence) section.dataset.state = "done";
    } catch (error) {
      if (mine.signal.aborted) return;
      section.dataset.state = "error";
      showError(status, error);
    }
  }

  const sequence = params.has("lambda") ? [] : (options.sequence ?? []);
  if (sequence.length > 1) {
    void (async () => {
      inSequence = true;
      for (const [k, lam] of sequence.entries()) {
        if (k === sequence.length - 1) inSequence = false;
        lambda.set(lam);
        await run();
        if (section.dataset.state === "error") break;
      }
    })();
  } else {
    void run();
  }
}
