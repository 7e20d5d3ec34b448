/**
 * How numbers leave the program. Training can diverge (a learning rate that is too large sends
 * the losses to Infinity, then NaN); neither JSON nor a reader should then get garbage.
 */
import type { HistoryPoint, TrainResult } from "@wdecay/core";

/** JSON has no NaN or Infinity (JSON.stringify would write null silently): make it explicit. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Whether a run went non-finite anywhere: its losses, its norm or its final parameters. */
export function diverged(result: TrainResult): boolean {
  const finite = (p: HistoryPoint) => Number.isFinite(p.trainLoss) && Number.isFinite(p.testLoss);
  return (
    !result.history.every(finite) ||
    !Number.isFinite(result.l2Norm) ||
    !Number.isFinite(result.bias) ||
    !result.weights.every(Number.isFinite)
  );
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
  return `wdecay: warning: ${what} diverged (losses or weights became NaN or Infinity)${advice}`;
}
