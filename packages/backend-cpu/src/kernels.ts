/**
 * The cpu backend's math on plain typed arrays, apart from the Backend wrapper. Sums accumulate
 * in JavaScript numbers (float64) and are stored in the output array, which rounds them to the
 * backend's precision.
 */

/** A float array of the backend's precision. */
export type FloatArray = Float64Array | Float32Array;
export type AnyArray = FloatArray | Int32Array;

/**
 * C (m×n) = op(A)·op(B), with A stored ar×ac and B br×bc row-major.
 *
 * Each entry is Σₚ op(A)[i][p]·op(B)[p][j] summed from 0 in p order in a float64 number and
 * rounded once on the store, every term included (0·∞ is NaN, as in the wasm backend and IEEE
 * arithmetic). Two rows × four columns of C are summed at a time in local variables, so each
 * value of B read serves two rows and each value of A four columns; the order of each entry's sum
 * is that of one entry alone (`productEntry`), whatever the blocking. A 64×784·784×256 product in
 * float64 takes 6.4 ms where one row at a time into a float64 row buffer took 21.5 (BENCH.md,
 * "Networks"). Skipping the zero factors of op(A) (ReLU's) was slower in the blocked loop: 8.2
 * against 6.9 ms for a 784×64·64×256 weight gradient with half of them zero.
 */
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
  // op(A)[i][p] = a[i·ai + p·ap], op(B)[p][j] = b[p·bp + j·bj].
  const ai = transposeA ? 1 : ac;
  const ap = transposeA ? ac : 1;
  const bp = transposeB ? 1 : bc;
  const bj = transposeB ? bc : 1;
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const a0 = i * ai;
    const a1 = a0 + ai;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = j * bj;
      const b1 = b0 + bj;
      const b2 = b1 + bj;
      const b3 = b2 + bj;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let p = 0; p < k; p++) {
        const q = p * bp;
        const y0 = b[b0 + q] as number;
        const y1 = b[b1 + q] as number;
        const y2 = b[b2 + q] as number;
        const y3 = b[b3 + q] as number;
        const x = a[a0 + p * ap] as number;
        const z = a[a1 + p * ap] as number;
        c0 += x * y0;
        c1 += x * y1;
        c2 += x * y2;
        c3 += x * y3;
        d0 += z * y0;
        d1 += z * y1;
        d2 += z * y2;
        d3 += z * y3;
      }
      const o = i * n + j;
      out[o] = c0;
      out[o + 1] = c1;
      out[o + 2] = c2;
      out[o + 3] = c3;
      out[o + n] = d0;
      out[o + n + 1] = d1;
      out[o + n + 2] = d2;
      out[o + n + 3] = d3;
    }
    for (; j < n; j++) {
      out[i * n + j] = productEntry(a, a0, ap, b, j * bj, bp, k);
      out[(i + 1) * n + j] = productEntry(a, a1, ap, b, j * bj, bp, k);
    }
  }
  for (; i < m; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = productEntry(a, i * ai, ap, b, j * bj, bp, k);
  }
}

/** One entry of a product: Σₚ a[ai + p·ap]·b[bj + p·bp] in p order. */
function productEntry(
  a: AnyArray,
  ai: number,
  ap: number,
  b: AnyArray,
  bj: number,
  bp: number,
  k: number,
): number {
  let c = 0;
  for (let p = 0; p < k; p++) c += (a[ai + p * ap] as number) * (b[bj + p * bp] as number);
  return c;
}

/**
 * X[base .. base+d)·w in four independent sums, so that each addition does not wait for the one
 * before (fix B of BENCH.md, "Where the chapter's remaining gap comes from": 1.37× → 1.15× the
 * hand-written loop on the chapter). Small enough for TurboFan to inline into its callers.
 */
function rowDot(X: FloatArray, base: number, w: FloatArray, d: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    a0 += (X[base + j] as number) * (w[j] as number);
    a1 += (X[base + j + 1] as number) * (w[j + 1] as number);
    a2 += (X[base + j + 2] as number) * (w[j + 2] as number);
    a3 += (X[base + j + 3] as number) * (w[j + 3] as number);
  }
  for (; j < d; j++) a0 += (X[base + j] as number) * (w[j] as number);
  return a0 + a1 + (a2 + a3);
}

/**
 * One minibatch SGD step of a linear model with one weight column (the chapter's case), kept
 * small and separate from the general case so that V8 inlines it into the step and compiles it
 * like a hand-written loop. For the rows `order[offset .. offset + count)`:
 * r = xᵀw + b − y, g = Σ r·x, w ← (1 − lr·decay)·w − lr·(g/count + penalty·w),
 * b ← (1 − lr·biasDecay)·b − lr·mean(r). `g` (length d) is scratch.
 */
export function linearSgdStepL1(
  X: FloatArray,
  y: FloatArray,
  order: Int32Array,
  w: FloatArray,
  b: FloatArray,
  d: number,
  offset: number,
  count: number,
  lr: number,
  penalty: number,
  decay: number,
  biasDecay: number,
  g: FloatArray,
): void {
  const n = y.length;
  const b0 = b[0] as number;
  g.fill(0);
  let rSum = 0;
  for (let t = 0; t < count; t++) {
    const row = order[offset + t] as number;
    if (row >>> 0 >= n) throw new RangeError(`row index ${row} out of range [0, ${n})`);
    const base = row * d;
    const res = b0 + rowDot(X, base, w, d) - (y[row] as number);
    rSum += res;
    for (let j = 0; j < d; j++) g[j] = (g[j] as number) + (X[base + j] as number) * res;
  }
  const inv = 1 / count;
  const shrink = 1 - lr * decay;
  for (let j = 0; j < d; j++) {
    const wj = w[j] as number;
    w[j] = shrink * wj - lr * ((g[j] as number) * inv + penalty * wj);
  }
  b[0] = (1 - lr * biasDecay) * b0 - lr * rSum * inv;
}

/**
 * The L1 proximal step w ← S_t(w) in place on one weight column (length d), after the smooth
 * step of {@link linearSgdStepL1}: the same arithmetic as the `softThreshold` primitive on the
 * stored weights, with exact zeros (+0) where |w_j| ≤ t. A separate function so that the L1-free
 * step (the chapter's, and the bench's) keeps its arithmetic and its code untouched.
 */
export function softThresholdInPlace(w: FloatArray, d: number, t: number): void {
  for (let j = 0; j < d; j++) {
    const v = w[j] as number;
    w[j] = v > t ? v - t : v < -t ? v + t : 0;
  }
}

/**
 * The same step for L weight columns side by side (w is d×L, b 1×L, one λ per column): a λ
 * grid in one pass. `r` (≥ count·L) and `g` (d·L) are scratch. With `l1` (length L), column l
 * then takes the proximal step w ← S_{lr·l1[l]}(w) on its stored weights (skipped where 0).
 * `yCols` is 1 when every column fits the same targets (a grid), L when column l fits its own
 * target column y[:, l] (multi-output regression).
 */
export function linearSgdStep(
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
  l1?: Float64Array,
  yCols = 1,
): void {
  const n = X.length / d;
  // Stride of y between columns: 0 when they share one target column.
  const yStep = yCols === 1 ? 0 : 1;
  // Loops run over the L columns innermost, where w, g and r are contiguous: each feature value
  // is loaded once and used for the whole grid.
  for (let t = 0; t < count; t++) {
    const row = order[offset + t] as number;
    if (row >>> 0 >= n) throw new RangeError(`row index ${row} out of range [0, ${n})`);
    const base = row * d;
    const rt = t * L;
    const yr = row * yCols;
    for (let l = 0; l < L; l++) r[rt + l] = (b[l] as number) - (y[yr + yStep * l] as number);
    for (let j = 0; j < d; j++) {
      const x = X[base + j] as number;
      const wj = j * L;
      for (let l = 0; l < L; l++) r[rt + l] = (r[rt + l] as number) + x * (w[wj + l] as number);
    }
  }
  g.fill(0);
  for (let t = 0; t < count; t++) {
    const base = (order[offset + t] as number) * d;
    const rt = t * L;
    for (let j = 0; j < d; j++) {
      const x = X[base + j] as number;
      const gj = j * L;
      for (let l = 0; l < L; l++) g[gj + l] = (g[gj + l] as number) + x * (r[rt + l] as number);
    }
  }
  const inv = 1 / count;
  for (let j = 0; j < d; j++) {
    const jl = j * L;
    for (let l = 0; l < L; l++) {
      const i = jl + l;
      const wi = w[i] as number;
      w[i] =
        (1 - lr * (decay[l] as number)) * wi -
        lr * ((g[i] as number) * inv + (penalty[l] as number) * wi);
    }
  }
  if (l1) {
    for (let j = 0; j < d; j++) {
      const jl = j * L;
      for (let l = 0; l < L; l++) {
        const t = lr * (l1[l] as number);
        if (t === 0) continue;
        const v = w[jl + l] as number;
        w[jl + l] = v > t ? v - t : v < -t ? v + t : 0;
      }
    }
  }
  for (let l = 0; l < L; l++) {
    let rSum = 0;
    for (let t = 0; t < count; t++) rSum += r[t * L + l] as number;
    b[l] = (1 - lr * (biasDecay[l] as number)) * (b[l] as number) - lr * rSum * inv;
  }
}

/** Mean ½(xᵀw + b − y)² over all n rows for one weight column (kept small, like the step). */
export function linearLossL1(
  X: FloatArray,
  y: FloatArray,
  w: FloatArray,
  b: number,
  d: number,
): number {
  const n = y.length;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const res = b + rowDot(X, i * d, w, d) - (y[i] as number);
    acc += res * res;
  }
  return (0.5 * acc) / n;
}

/**
 * Mean ½(Xw + b − y)² over all n rows, per column, into `out` (length L); y is n×1 (shared) or
 * n×L (`yCols` = L: column l against y[:, l]).
 */
export function linearLoss(
  out: FloatArray,
  X: FloatArray,
  y: FloatArray,
  w: FloatArray,
  b: FloatArray,
  d: number,
  L: number,
  yCols = 1,
): void {
  const n = X.length / d;
  const yStep = yCols === 1 ? 0 : 1;
  const acc = new Float64Array(L);
  const z = new Float64Array(L);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    const yi = i * yCols;
    for (let l = 0; l < L; l++) z[l] = (b[l] as number) - (y[yi + yStep * l] as number);
    for (let j = 0; j < d; j++) {
      const x = X[base + j] as number;
      const wj = j * L;
      for (let l = 0; l < L; l++) z[l] = (z[l] as number) + x * (w[wj + l] as number);
    }
    for (let l = 0; l < L; l++) acc[l] = (acc[l] as number) + (z[l] as number) ** 2;
  }
  for (let l = 0; l < L; l++) out[l] = (0.5 * (acc[l] as number)) / n;
}
