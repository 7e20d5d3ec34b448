/**
 * Ridge for many λ from one eigendecomposition: with `G = V·diag(e)·Vᵀ` the centered Gram
 * matrix `XcᵀXc/n` (d ≤ n) or `K = U·diag(e)·Uᵀ` the kernel `XcXcᵀ/n` (d > n), every λ costs a
 * product with a diagonal instead of a new factorization (identity 11 in the eigenbasis):
 * primal `w(λ) = V·diag(1/(e + λ))·Vᵀ·q`, q = Xcᵀyc/n; dual `w(λ) = Xcᵀ·U·diag(1/(n(e + λ)))·Uᵀ·yc`.
 */
import { symmetricEigen } from "./eigen.js";
import type { CenteredDesign } from "./internal.js";
import type { Moments } from "./moments.js";

/**
 * Eigenvalues at most this far above zero count as zero: 4·m·ε of the largest, the accuracy of
 * Jacobi's eigenvalues. The matrix is then singular to working precision and λ = 0 has no unique
 * solution: the same verdict for every data set of the same rank, where a Cholesky factorization
 * fails or passes on rounding.
 */
function zeroThreshold(values: Float64Array, m: number): number {
  let top = 0;
  for (const v of values) top = Math.max(top, Math.abs(v));
  return 4 * m * Number.EPSILON * top;
}

function singular(lambda: number): RangeError {
  return new RangeError(
    `ridge has no unique solution for λ = ${lambda} on these data (the centered Gram matrix is ` +
      "singular to working precision: fewer independent rows than features, or collinear " +
      "columns); use λ > 0",
  );
}

/** Ridge weights at each λ from a set's moments (primal form), entry k for `lambdas[k]`. */
export function ridgePathFromMoments(m: Moments, lambdas: ArrayLike<number>): Float64Array[] {
  const { n, d } = m;
  const { values, vectors: V } = symmetricEigen(
    m.sxx.map((s) => s / n),
    d,
  );
  const floor = zeroThreshold(values, d);
  // z = Vᵀq
  const z = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (V[j * d + k] as number) * ((m.sxy[j] as number) / n);
    z[k] = s;
  }
  return Array.from(lambdas, (lambda) => {
    const scaled = new Float64Array(d);
    for (let k = 0; k < d; k++) {
      const e = values[k] as number;
      // λ = 0 needs G nonsingular. For λ > 0 every direction is kept, a tiny eigenvalue too:
      // Jacobi computes the eigenvalue of a column on a much smaller scale than the others to
      // high relative accuracy, and its weight must keep it. A rounding-negative eigenvalue of
      // the positive semidefinite G counts as 0.
      if (lambda === 0 && e <= floor) throw singular(lambda);
      scaled[k] = (z[k] as number) / (Math.max(e, 0) + lambda);
    }
    const w = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (V[j * d + k] as number) * (scaled[k] as number);
      w[j] = s;
    }
    return w;
  });
}

/** Ridge weights at each λ in the dual form, for d > n, from a centered design. */
export function ridgePathDual(c: CenteredDesign, lambdas: ArrayLike<number>): Float64Array[] {
  const { n, d, cols, yc } = c;
  const K = new Float64Array(n * n);
  for (let j = 0; j < d; j++) {
    const off = j * n;
    for (let i = 0; i < n; i++) {
      const xi = cols[off + i] as number;
      if (xi === 0) continue;
      for (let k = i; k < n; k++) {
        K[i * n + k] = (K[i * n + k] as number) + xi * (cols[off + k] as number);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      const v = (K[i * n + k] as number) / n;
      K[i * n + k] = v;
      K[k * n + i] = v;
    }
  }
  const { values, vectors: U } = symmetricEigen(K, n);
  const floor = zeroThreshold(values, n);
  const z = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (U[i * n + k] as number) * (yc[i] as number);
    z[k] = s;
  }
  return Array.from(lambdas, (lambda) => {
    // a = U·diag(1/(n(e + λ)))·Uᵀ·yc, then w = Xcᵀa.
    const scaled = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const e = values[k] as number;
      // Centering always leaves K singular (the all-ones vector), hence λ = 0 throws; for
      // λ > 0 every direction is kept, as in the primal form.
      if (lambda === 0 && e <= floor) throw singular(lambda);
      scaled[k] = (z[k] as number) / (n * (Math.max(e, 0) + lambda));
    }
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (U[i * n + k] as number) * (scaled[k] as number);
      a[i] = s;
    }
    const w = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const off = j * n;
      let s = 0;
      for (let i = 0; i < n; i++) s += (cols[off + i] as number) * (a[i] as number);
      w[j] = s;
    }
    return w;
  });
}
