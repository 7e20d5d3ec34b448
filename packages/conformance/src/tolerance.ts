/**
 * The tolerance policy: how far a backend's result may be from the float64 reference, derived
 * from the backend's declared precision and the size of each reduction, never tuned per backend.
 *
 * Model (Higham, "Accuracy and Stability of Numerical Algorithms", §2.2 and §3.1): at unit
 * roundoff u, every stored value and every operation carries a relative error ≤ u, plus an
 * absolute error ≤ η (the smallest subnormal) where results underflow. A sum of k terms
 * computed in any order, from inputs that were themselves rounded to the precision (uploading
 * float64 data to a float32 backend rounds it), is off by at most γ_{k+2}·Σ|termᵢ| + (k + 2)·η,
 * with γ_m = m·u / (1 − m·u). The policy doubles that bound, so an implementation may round
 * twice per term (a fused multiply-add emulated in two steps, a float32 accumulator) and still
 * pass, while a real bug — a dropped term, a transposed operand, a wrong factor — moves the result
 * by about one whole term, far outside it.
 */
import type { Precision } from "@wdecay/core";

/** Unit roundoff: half the gap between 1 and the next representable number. */
export function unitRoundoff(precision: Precision): number {
  return precision === "float64" ? 2 ** -53 : 2 ** -24;
}

/**
 * The absolute error of an underflowing operation: at most half the smallest subnormal; we use
 * the whole one, as half of float64's (2⁻¹⁰⁷⁵) is not representable.
 */
export function underflowUnit(precision: Precision): number {
  return precision === "float64" ? 2 ** -1074 : 2 ** -149;
}

/** γ_m = m·u / (1 − m·u); Infinity when m·u ≥ 1 (the bound says nothing then). */
export function gamma(precision: Precision, m: number): number {
  const mu = m * unitRoundoff(precision);
  return mu >= 1 ? Number.POSITIVE_INFINITY : mu / (1 - mu);
}

/** Safety factor over the worst-case bound (see the module comment). */
export const SAFETY = 2;

/**
 * Tolerance for a value computed as a sum of `terms` terms whose magnitudes add up to `absSum`
 * (a dot product: Σ|aᵢbᵢ|; an elementwise op: terms = 1 and absSum = |exact result|).
 * `factorSum` (Σ|aᵢ| + |bᵢ| of a product's factors) covers inputs that underflow when stored:
 * they lose up to η absolutely, which the other factor then multiplies.
 */
export function sumTolerance(
  precision: Precision,
  terms: number,
  absSum: number,
  factorSum = 0,
): number {
  const eta = underflowUnit(precision);
  return SAFETY * (gamma(precision, terms + 2) * absSum + eta * (factorSum + terms + 2));
}

/**
 * Tolerance for an iterative algorithm after `steps` steps, each a sum of `terms` terms bounded by
 * `scale`: errors made in a step are carried, not amplified, by a contracting or neutral update
 * (SGD with a stable learning rate), so they add up at most linearly in the number of steps.
 */
export function trajectoryTolerance(
  precision: Precision,
  steps: number,
  terms: number,
  scale: number,
): number {
  return steps * sumTolerance(precision, terms, scale);
}

/** A comparison as a failure message shows it, with how far past its tolerance it is. */
export function describeComparison(
  what: string,
  actual: number,
  expected: number,
  m: Measurement,
): string {
  const ratio = excess(m);
  const shown = Number.isFinite(ratio) ? ratio.toPrecision(3) : "∞";
  return `${what}: got ${actual}, expected ${expected} ± ${m.tolerance} (error/tolerance ${shown})`;
}

/** One comparison's outcome: the error seen and the tolerance it was held to. */
export interface Measurement {
  readonly error: number;
  readonly tolerance: number;
}

/** How far past its tolerance a measurement is (≤ 1 passes); NaN or a missing value is Infinity. */
export function excess(m: Measurement): number {
  if (Number.isNaN(m.error)) return Number.POSITIVE_INFINITY;
  if (m.error === 0) return 0;
  return m.tolerance > 0 ? m.error / m.tolerance : Number.POSITIVE_INFINITY;
}

/**
 * Collects comparisons within one property run and keeps the worst (largest error relative to
 * its tolerance), which is what the report shows beside the tolerance.
 */
export class Meter {
  worst: Measurement = { error: 0, tolerance: 0 };
  private worstExcess = -1;
  /** The first failing comparison's description, for the report. */
  failure: string | undefined;

  /** Records |actual − expected| against `tolerance`; NaN on only one side always fails. */
  value(actual: number, expected: number, tolerance: number, what = "value"): void {
    let error: number;
    if (Number.isNaN(expected) || Number.isNaN(actual)) {
      error = Number.isNaN(expected) && Number.isNaN(actual) ? 0 : Number.NaN;
    } else if (actual === expected) {
      error = 0;
    } else {
      error = Math.abs(actual - expected);
    }
    this.record(
      { error, tolerance },
      describeComparison(what, actual, expected, { error, tolerance }),
    );
  }

  /** Records a condition that must hold exactly (an error of 1 against a tolerance of 0 if not). */
  holds(ok: boolean, what: string): void {
    this.record({ error: ok ? 0 : 1, tolerance: 0 }, what);
  }

  /** Records a measurement made elsewhere. */
  record(m: Measurement, what: string): void {
    const e = excess(m);
    // On a tie (all exact, say) keep the widest tolerance: the report shows how loose it was.
    if (e > this.worstExcess || (e === this.worstExcess && m.tolerance > this.worst.tolerance)) {
      this.worstExcess = e;
      this.worst = m;
    }
    if (e > 1 && this.failure === undefined) this.failure = what;
  }

  get passed(): boolean {
    return this.worstExcess <= 1;
  }

  get worstExcessSeen(): number {
    return this.worstExcess;
  }
}

/**
 * The worst of many comparisons of one kind (a large tensor's elements), recorded in a meter as
 * one measurement with the description of that element: a meter call per element would cost
 * more than the comparison.
 */
export class Worst {
  private excess = -1;
  private measurement: Measurement = { error: 0, tolerance: 0 };
  private what = "";

  /** Compares one element; `what` is called only for a new worst. */
  value(actual: number, expected: number, tolerance: number, what: () => string): void {
    const error =
      actual === expected
        ? 0
        : Number.isNaN(actual) || Number.isNaN(expected)
          ? Number.NaN
          : Math.abs(actual - expected);
    const e = excess({ error, tolerance });
    if (e > this.excess || (e === this.excess && tolerance > this.measurement.tolerance)) {
      this.excess = e;
      this.measurement = { error, tolerance };
      this.what = describeComparison(what(), actual, expected, this.measurement);
    }
  }

  /** Records the worst comparison seen in the meter (nothing when there was none). */
  into(meter: Meter): void {
    if (this.excess >= 0) meter.record(this.measurement, this.what);
  }
}

/**
 * Compares a backend's product C (m×n, row-major) with the float64 host sum Σ_p A(i,p)·B(p,j),
 * each entry held to the rounding of its k products at their magnitudes; the worst entry goes
 * into the meter.
 */
export function compareProduct(
  meter: Meter,
  got: ArrayLike<number>,
  at: (i: number, p: number) => number,
  bt: (p: number, j: number) => number,
  { m, k, n }: { m: number; k: number; n: number },
  precision: Precision,
  label: (i: number, j: number) => string,
): void {
  const worst = new Worst();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let value = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = at(i, p) * bt(p, j);
        value += t;
        abs += Math.abs(t);
      }
      worst.value(got[i * n + j] as number, value, sumTolerance(precision, k, abs), () =>
        label(i, j),
      );
    }
  }
  worst.into(meter);
}
