/**
 * The cpu backend's math on plain typed arrays, apart from the Backend wrapper. Sums accumulate
 * in JavaScript numbers (float64) and are stored in the output array, which rounds them to the
 * backend's precision.
 */

/** A float array of the backend's precision. */
export type FloatArray = Float64Array | Float32Array;
export type AnyArray = FloatArray | Int32Array;

/** C (m×n) = op(A)·op(B), with A stored ar×ac and B br×bc row-major. */
export function matmulImpl(
  out: FloatArray,
  a: AnyArray,
  ar: number,
  ac: number,
  b: AnyArray,
  br: number,
  bc: number,
  transposeA: boolean,
  transposeB: boolean,
): void {
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = (transposeA ? a[p * ac + i] : a[i * ac + p]) as number;
      if (aip === 0) continue;
      if (transposeB) {
        for (let j = 0; j < n; j++) acc[j] = (acc[j] as number) + aip * (b[j * bc + p] as number);
      } else {
        const row = p * bc;
        for (let j = 0; j < n; j++) acc[j] = (acc[j] as number) + aip * (b[row + j] as number);
      }
    }
    out.set(acc, i * n);
  }
}

/**
 * One minibatch SGD step of a linear model with L weight columns (see LinearSgdSpec in core):
 * residuals of the gathered rows, the gradient Xᵦᵀr/count plus the coupled penalty, and the
 * decayed update of w (d×L) and b (1×L), in place. `r` (≥ count·L) and `g` (d·L) are scratch.
 */
export function linearSgdStepImpl(
  X: FloatArray,
  y: FloatArray,
  order: Int32Array,
  w: FloatArray,
  b: FloatArray,
  d: number,
  L: number,
  offset: number,
  count: number,
  lr: number,
  penalty: Float64Array,
  decay: Float64Array,
  biasDecay: Float64Array,
  r: FloatArray,
  g: FloatArray,
): void {
  const n = y.length;
  if (L === 1) {
    // The chapter's case, kept as tight as a hand-written loop.
    const b0 = b[0] as number;
    g.fill(0);
    let rSum = 0;
    for (let t = 0; t < count; t++) {
      const row = order[offset + t] as number;
      if (row >>> 0 >= n) throw new RangeError(`row index ${row} out of range [0, ${n})`);
      const base = row * d;
      let acc = b0;
      for (let j = 0; j < d; j++) acc += (X[base + j] as number) * (w[j] as number);
      const res = acc - (y[row] as number);
      rSum += res;
      for (let j = 0; j < d; j++) g[j] = (g[j] as number) + (X[base + j] as number) * res;
    }
    const inv = 1 / count;
    const shrink = 1 - lr * (decay[0] as number);
    const lambda = penalty[0] as number;
    for (let j = 0; j < d; j++) {
      const wj = w[j] as number;
      w[j] = shrink * wj - lr * ((g[j] as number) * inv + lambda * wj);
    }
    b[0] = (1 - lr * (biasDecay[0] as number)) * b0 - lr * rSum * inv;
    return;
  }
  for (let t = 0; t < count; t++) {
    const row = order[offset + t] as number;
    if (row >>> 0 >= n) throw new RangeError(`row index ${row} out of range [0, ${n})`);
    const base = row * d;
    const yr = y[row] as number;
    for (let l = 0; l < L; l++) {
      let acc = b[l] as number;
      for (let j = 0; j < d; j++) acc += (X[base + j] as number) * (w[j * L + l] as number);
      r[t * L + l] = acc - yr;
    }
  }
  g.fill(0);
  for (let t = 0; t < count; t++) {
    const base = (order[offset + t] as number) * d;
    for (let j = 0; j < d; j++) {
      const x = X[base + j] as number;
      for (let l = 0; l < L; l++)
        g[j * L + l] = (g[j * L + l] as number) + x * (r[t * L + l] as number);
    }
  }
  const inv = 1 / count;
  for (let l = 0; l < L; l++) {
    const shrink = 1 - lr * (decay[l] as number);
    const lambda = penalty[l] as number;
    for (let j = 0; j < d; j++) {
      const i = j * L + l;
      const wi = w[i] as number;
      w[i] = shrink * wi - lr * ((g[i] as number) * inv + lambda * wi);
    }
    let rSum = 0;
    for (let t = 0; t < count; t++) rSum += r[t * L + l] as number;
    b[l] = (1 - lr * (biasDecay[l] as number)) * (b[l] as number) - lr * rSum * inv;
  }
}

/** Mean ½(Xw + b − y)² over all n rows, per column, into `out` (length L). */
export function linearLossImpl(
  out: FloatArray,
  X: FloatArray,
  y: FloatArray,
  w: FloatArray,
  b: FloatArray,
  d: number,
  L: number,
): void {
  const n = y.length;
  const acc = new Float64Array(L);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    const yi = y[i] as number;
    for (let l = 0; l < L; l++) {
      let z = b[l] as number;
      for (let j = 0; j < d; j++) z += (X[base + j] as number) * (w[j * L + l] as number);
      const res = z - yi;
      acc[l] = (acc[l] as number) + res * res;
    }
  }
  for (let l = 0; l < L; l++) out[l] = (0.5 * (acc[l] as number)) / n;
}
