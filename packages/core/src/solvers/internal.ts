/**
 * Shared machinery of the elastic-net solvers: argument checks, the centered design they all
 * work on, and the hot-loop soft threshold. Internal to `solvers/`: not part of the package API.
 */
import { type Dataset, requireSingleOutput } from "../data.js";

/**
 * A data set centered once, stored the way coordinate descent reads it. Fitting the intercept
 * is equivalent to solving on centered data without one (the bias is not penalized), then
 * `b = ȳ − x̄ᵀw`.
 */
export interface CenteredDesign {
  readonly n: number;
  readonly d: number;
  /**
   * Centered features stored column-major (column j is `cols[j·n, (j+1)·n)`): coordinate
   * descent walks one column at a time, so contiguous columns keep its inner loops linear.
   */
  readonly cols: Float64Array;
  /** Centered labels. */
  readonly yc: Float64Array;
  readonly xMean: Float64Array;
  readonly yMean: number;
  /** `v_j = ‖xc_j‖²/n`, the curvature of coordinate j; exactly 0 for a constant column. */
  readonly colScale: Float64Array;
  /** `‖yc‖²/n`, the variance of y; exactly 0 when y is constant. */
  readonly yScale: number;
}

/** Throws unless `data` is a well-formed data set with n ≥ 1 and d ≥ 1. */
export function checkDataset(data: Dataset): void {
  const { X, y, n, d } = data;
  requireSingleOutput(data, "this solver");
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer ≥ 1, got ${n}`);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be an integer ≥ 1, got ${d}`);
  if (X.length !== n * d)
    throw new RangeError(`X has ${X.length} entries, expected n·d = ${n * d}`);
  if (y.length !== n) throw new RangeError(`y has ${y.length} entries, expected n = ${n}`);
}

/** Throws unless λ ≥ 0 is finite and α ∈ [0, 1]. */
export function checkPenalty(lambda: number, alpha: number): void {
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
}

/** Throws unless `tol` is a finite number > 0. */
export function checkTol(tol: number): void {
  if (!(Number.isFinite(tol) && tol > 0)) {
    throw new RangeError(`tol must be a finite number > 0, got ${tol}`);
  }
}

/** Throws unless `maxIter` is an integer ≥ 1. */
export function checkMaxIter(maxIter: number): void {
  if (!(Number.isSafeInteger(maxIter) && maxIter >= 1)) {
    throw new RangeError(`maxIter must be an integer ≥ 1, got ${maxIter}`);
  }
}

/**
 * `S_a(v)` without argument checks, for inner loops (a ≥ 0 is the caller's promise). Returns +0,
 * never −0, inside the dead zone, so callers can test exact zeros with `Object.is(w, 0)`; NaN
 * passes through rather than being silently zeroed.
 */
export function shrink(v: number, a: number): number {
  if (v > a) return v - a;
  if (v < -a) return v + a;
  return Number.isNaN(v) ? v : 0;
}

/**
 * Centers `data` (which must have passed {@link checkDataset}). Throws on non-finite entries,
 * which would otherwise surface as NaN weights far from their cause.
 *
 * A column (or y) whose entries are all equal is centered to exact zeros with its first value
 * as the mean. `Σx/n` can differ from x in the last bit, and the resulting ~1e-17 "column" would
 * give a curvature of ~1e-34 and an arbitrarily large weight at λ = 0. The refinement pass of
 * the centering recovers x exactly in every case we tried, but the solvers' handling of constant
 * columns (weight exactly 0) should rest on a check, not on a rounding argument.
 */
export function centerDataset(data: Dataset): CenteredDesign {
  const { X, y, n, d } = data;
  const cols = new Float64Array(n * d);
  const xMean = new Float64Array(d);
  const colScale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const off = j * n;
    const first = X[j] as number;
    let constant = true;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = X[i * d + j] as number;
      if (!Number.isFinite(x)) throw new RangeError(`X[${i}, ${j}] is not finite (${x})`);
      if (x !== first) constant = false;
      cols[off + i] = x;
      sum += x;
    }
    if (constant) {
      xMean[j] = first;
      cols.fill(0, off, off + n);
      continue;
    }
    const mean = centerInPlace(cols, off, n, sum / n);
    xMean[j] = mean;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (cols[off + i] as number) ** 2;
    colScale[j] = ss / n;
  }
  const yc = Float64Array.from(y);
  let yMean = y[0] as number;
  let yConstant = true;
  let ySum = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i] as number;
    if (!Number.isFinite(v)) throw new RangeError(`y[${i}] is not finite (${v})`);
    if (v !== yMean) yConstant = false;
    ySum += v;
  }
  let yScale = 0;
  if (yConstant) {
    yc.fill(0);
  } else {
    yMean = centerInPlace(yc, 0, n, ySum / n);
    for (let i = 0; i < n; i++) yScale += (yc[i] as number) ** 2;
    yScale /= n;
  }
  return { n, d, cols, yc, xMean, yMean, colScale, yScale };
}

/**
 * Subtracts the mean from `a[off, off + n)` with one refinement pass (the mean of the first
 * pass's residuals is the rounding error of `Σx/n`), so centered columns sum to zero to working
 * precision even when |x̄| ≫ sd(x). Returns the refined mean.
 */
function centerInPlace(a: Float64Array, off: number, n: number, mean: number): number {
  let corr = 0;
  for (let i = 0; i < n; i++) corr += (a[off + i] as number) - mean;
  const m = mean + corr / n;
  for (let i = 0; i < n; i++) a[off + i] = (a[off + i] as number) - m;
  return m;
}

/**
 * `(1/n)·xc_jᵀr` for every column j into `out`. Coordinate descent evaluates the same
 * expression, in the same order, at w = 0: λ_max is computed here so that the solver's first
 * pass at λ_max sees bit-identical correlations and returns exact zeros.
 */
export function columnCorrelations(
  c: CenteredDesign,
  r: Float64Array,
  out: Float64Array = new Float64Array(c.d),
): Float64Array {
  const { n, d, cols } = c;
  for (let j = 0; j < d; j++) {
    const off = j * n;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (cols[off + i] as number) * (r[i] as number);
    out[j] = dot / n;
  }
  return out;
}

/** `b = ȳ − x̄ᵀw`, the intercept that goes with weights fitted on centered data. */
export function interceptFor(c: CenteredDesign, w: Float64Array): number {
  let b = c.yMean;
  for (let j = 0; j < c.d; j++) b -= (c.xMean[j] as number) * (w[j] as number);
  return b;
}

/** Copies a warm start of length d into a fresh array, checking it. */
export function initialWeights(d: number, warmStart: ArrayLike<number> | undefined): Float64Array {
  if (warmStart === undefined) return new Float64Array(d);
  if (warmStart.length !== d) {
    throw new RangeError(`warmStart has ${warmStart.length} entries, expected d = ${d}`);
  }
  const w = Float64Array.from(warmStart);
  for (let j = 0; j < d; j++) {
    if (!Number.isFinite(w[j] as number)) throw new RangeError(`warmStart[${j}] is not finite`);
  }
  return w;
}

/** The optimality measures of elastic-net weights, in absolute units (see {@link optimality}). */
export interface Optimality {
  /** The largest KKT residual. */
  readonly kkt: number;
  /** Each weight's KKT residual. */
  readonly violations: Float64Array;
  /** The duality gap `J(w) − D(θ)` (canonical objective, centered problem), ≥ 0. */
  readonly gap: number;
}

/**
 * KKT residuals and duality gap of `w` for the centered elastic net
 * `J(w) = ‖r‖²/(2n) + l1‖w‖₁ + (l2/2)‖w‖²`, `r = yc − Xc·w`, from the data gradient
 * `c = Xcᵀr/n` (which `source.gradient` writes into `gradient`) and `rr = ‖r‖²/n`, `ry = rᵀyc/n`.
 *
 * KKT residual of w_j (as `lassoKKT`): `max(0, |c_j| − l1)` where w_j = 0, else
 * `|c_j − l2·w_j − l1·sign(w_j)|`.
 *
 * Duality gap (Fenchel dual of J, divided by n like J): with l2 > 0 the dual point θ = r is
 * always feasible and `D = rᵀyc/n − ‖r‖²/(2n) − Σ_j (|c_j| − l1)₊²/(2·l2)`; with l2 = 0 (the
 * lasso) θ = s·r with `s = min(1, l1/‖c‖_∞)` is scaled into the dual feasible set
 * `‖Xcᵀθ‖_∞/n ≤ l1` and `D = s·rᵀyc/n − s²‖r‖²/(2n)` (scikit-learn's choice). Both are lower
 * bounds on J*, so `J(w) − J* ≤ gap`; both are 0 at the solution.
 */
export function optimality(
  source: { gradient(w: Float64Array, out: Float64Array): { rr: number; ry: number } },
  w: Float64Array,
  gradient: Float64Array,
  l1: number,
  l2: number,
): Optimality {
  const { rr, ry } = source.gradient(w, gradient);
  const d = w.length;
  const violations = new Float64Array(d);
  let kkt = 0;
  let abs = 0;
  let sq = 0;
  let top = 0;
  let excess = 0;
  for (let j = 0; j < d; j++) {
    const cj = gradient[j] as number;
    const wj = w[j] as number;
    const v =
      wj === 0 ? Math.max(0, Math.abs(cj) - l1) : Math.abs(cj - l2 * wj - l1 * Math.sign(wj));
    violations[j] = v;
    // `!(v <= kkt)` also makes a NaN residual the worst one.
    if (!(v <= kkt)) kkt = v;
    abs += Math.abs(wj);
    sq += wj * wj;
    top = Math.max(top, Math.abs(cj));
    excess += Math.max(0, Math.abs(cj) - l1) ** 2;
  }
  const primal = rr / 2 + l1 * abs + (l2 / 2) * sq;
  let dual: number;
  if (l2 > 0) {
    dual = ry - rr / 2 - excess / (2 * l2);
  } else {
    const s = top > l1 ? l1 / top : 1;
    dual = s * ry - (s * s * rr) / 2;
  }
  return { kkt, violations, gap: Math.max(0, primal - dual) };
}
