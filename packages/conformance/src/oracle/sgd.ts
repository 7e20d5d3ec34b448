/**
 * The oracle's linear model: minibatch SGD and the mean squared loss in plain float64 loops,
 * written from the documented semantics of `LinearSgdSpec` (core's backend.ts), not from core's
 * composition or any backend's kernel, so that a bug there cannot also be in the truth.
 *
 * Matrices are row-major: X n×d, y n×k (k = 1: every column fits the one target; k = L:
 * column l fits target column l), W d×L, b length L.
 */

/** The per-column regularization of a step, as `LinearSgdSpec` states it. */
export interface OracleRegularization {
  readonly weightPenalty: readonly number[];
  readonly weightDecay: readonly number[];
  readonly biasDecay: readonly number[];
  readonly weightL1?: readonly number[];
}

/** The linear model's parameters, updated in place by {@link oracleSgdStep}. */
export interface OracleParams {
  readonly W: Float64Array;
  readonly b: Float64Array;
}

export interface OracleData {
  readonly X: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly n: number;
  readonly d: number;
  /** Target columns: 1 (shared) or L. */
  readonly k: number;
}

/** S_t(v) = sign(v)·max(|v| − t, 0), with +0 where |v| ≤ t. */
export function oracleSoftThreshold(v: number, t: number): number {
  return v > t ? v - t : v < -t ? v + t : 0;
}

/**
 * One SGD step on the rows `rows` (indices into X), for every column l:
 * r = X_B w_l + b_l − y_B,  g = X_Bᵀr/|B| + penalty_l·w_l,
 * w_l ← (1 − lr·decay_l)·w_l − lr·g, then w_l ← S_{lr·l1_l}(w_l) where l1_l > 0,
 * b_l ← (1 − lr·biasDecay_l)·b_l − lr·mean(r).
 */
export function oracleSgdStep(
  data: OracleData,
  params: OracleParams,
  reg: OracleRegularization,
  rows: readonly number[],
  lr: number,
): void {
  const { X, y, d, k } = data;
  const L = params.b.length;
  const count = rows.length;
  for (let l = 0; l < L; l++) {
    const r = rows.map((i) => {
      let s = params.b[l] as number;
      for (let j = 0; j < d; j++) s += (X[i * d + j] as number) * (params.W[j * L + l] as number);
      return s - (y[i * k + (k === 1 ? 0 : l)] as number);
    });
    const g = new Float64Array(d);
    let gb = 0;
    rows.forEach((i, t) => {
      const ri = r[t] as number;
      gb += ri;
      for (let j = 0; j < d; j++) g[j] = (g[j] as number) + (X[i * d + j] as number) * ri;
    });
    const penalty = reg.weightPenalty[l] as number;
    const shrink = 1 - lr * (reg.weightDecay[l] as number);
    const threshold = lr * (reg.weightL1?.[l] ?? 0);
    for (let j = 0; j < d; j++) {
      const w = params.W[j * L + l] as number;
      let next = shrink * w - lr * ((g[j] as number) / count + penalty * w);
      if (threshold > 0) next = oracleSoftThreshold(next, threshold);
      params.W[j * L + l] = next;
    }
    const b = params.b[l] as number;
    params.b[l] = (1 - lr * (reg.biasDecay[l] as number)) * b - (lr * gb) / count;
  }
}

/**
 * Runs SGD epoch by epoch: epoch e visits `orders[e]` in minibatches of `batch` consecutive
 * entries, the last one partial when `batch` does not divide n.
 */
export function oracleSgd(
  data: OracleData,
  start: OracleParams,
  reg: OracleRegularization,
  run: {
    readonly lr: number;
    readonly batch: number;
    readonly orders: readonly (readonly number[])[];
  },
): OracleParams {
  const params = { W: Float64Array.from(start.W), b: Float64Array.from(start.b) };
  for (const order of run.orders) {
    for (let offset = 0; offset < data.n; offset += run.batch) {
      oracleSgdStep(data, params, reg, order.slice(offset, offset + run.batch), run.lr);
    }
  }
  return params;
}

/** Mean ½(x_iᵀw_l + b_l − y_il)² over the rows, per column l (no penalty). */
export function oracleLoss(data: OracleData, params: OracleParams): Float64Array {
  const { X, y, n, d, k } = data;
  const L = params.b.length;
  const out = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let z = params.b[l] as number;
      for (let j = 0; j < d; j++) z += (X[i * d + j] as number) * (params.W[j * L + l] as number);
      const r = z - (y[i * k + (k === 1 ? 0 : l)] as number);
      s += 0.5 * r * r;
    }
    out[l] = s / n;
  }
  return out;
}
