/**
 * How numbers leave the program. Training can diverge (a learning rate that is too large sends
 * the losses to Infinity, then NaN); neither JSON nor a reader should then get garbage.
 */
import type { HistoryPoint, TrainResult } from "@wdecay/core";

/** JSON has no NaN or Infinity (JSON.stringify would write null silently): make it explicit. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * What decides whether plain SGD with an L2 part can converge at all: each step multiplies w
 * by (1 − lr·λ₂) before the data gradient acts, so along a direction the data barely curve,
 * |1 − lr·λ₂| ≥ 1, i.e. lr·λ₂ ≥ 2, never contracts (and grows past 2).
 */
export interface StepSettings {
  readonly lr: number;
  /** The L2 strength λ(1 − α). */
  readonly l2: number;
  /** Plain SGD (the chapter's, or `--optimizer sgd`): the only optimizer the rule is exact for. */
  readonly plainSgd: boolean;
}

/** Whether the decay step alone rules out convergence (see {@link StepSettings}). */
export function unstableDecay(s: StepSettings | undefined): boolean {
  return s?.plainSgd === true && s.lr * s.l2 >= 2;
}

/**
 * Whether a run diverged: it went non-finite anywhere (losses, norm, final parameters), its
 * training loss grew more than tenfold between its first and last evaluation, or plain SGD ran
 * with lr·λ ≥ 2, which cannot converge (the losses may still be finite after a few epochs).
 */
export function diverged(result: TrainResult, settings?: StepSettings): boolean {
  const finite = (p: HistoryPoint) => Number.isFinite(p.trainLoss) && Number.isFinite(p.testLoss);
  const first = result.history[0]?.trainLoss ?? Number.NaN;
  const last = result.history.at(-1)?.trainLoss ?? Number.NaN;
  return (
    !result.history.every(finite) ||
    !Number.isFinite(result.l2Norm) ||
    !Number.isFinite(result.bias) ||
    !result.weights.every(Number.isFinite) ||
    (result.history.length >= 2 && last > 10 * first) ||
    unstableDecay(settings)
  );
}

/** What to try after a divergence: lr·λ when that is the cause, else the learning rate. */
export function divergenceHint(settings?: StepSettings): string {
  if (settings !== undefined && unstableDecay(settings)) {
    const product = settings.lr * settings.l2;
    return (
      `lr·λ = ${Number(product.toPrecision(4))} ≥ 2: each step scales w by ` +
      `|1 − lr·λ| = ${Number(Math.abs(1 - product).toPrecision(4))} through the decay alone; ` +
      "lower --lr or --lambda so that lr·λ < 2"
    );
  }
  return "try a smaller --lr";
}

/** The warning before a run that plain SGD cannot make converge, or undefined. */
export function unstableDecayWarning(settings: StepSettings): string | undefined {
  return unstableDecay(settings)
    ? `wdecay: warning: this run will not converge: ${divergenceHint(settings)}`
    : undefined;
}

/** The loss history for JSON. */
export function historyJson(history: readonly HistoryPoint[]) {
  return history.map((p) => ({
    epoch: p.epoch,
    trainLoss: finiteOrNull(p.trainLoss),
    testLoss: finiteOrNull(p.testLoss),
  }));
}

/** A loss for people: scientific, 4 significant digits; "diverged" when not a number. */
export function formatLoss(x: number): string {
  return Number.isFinite(x) ? x.toExponential(3) : "diverged";
}

/** An accuracy (a share of rows) as a percentage with one decimal; "–" when there is none. */
export function formatAccuracy(x: number | undefined): string {
  return x === undefined ? "–" : `${(100 * x).toFixed(1)} %`;
}

/** ‖w‖ for people: 4 significant digits without exponent in the chapter's range. */
export function formatNorm(x: number): string {
  if (!Number.isFinite(x)) return "diverged";
  return x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)
    ? x.toExponential(3)
    : x.toPrecision(4);
}

/** The one warning line for a diverged run; `hint` says what to try. */
export function divergenceWarning(what: string, hint?: string): string {
  const advice = hint ? `; ${hint}` : "";
  return `wdecay: warning: ${what} diverged (losses or weights grew without bound, or became NaN or Infinity)${advice}`;
}
