/**
 * The eigendecomposition of a small symmetric matrix by the cyclic Jacobi method (Golub & Van
 * Loan, Matrix Computations, §8.5): plane rotations drive the off-diagonal mass to zero; the
 * convergence is quadratic once it is small. Slower than tridiagonalization + QL for large m,
 * but short, unconditionally stable, and accurate to a few ε·‖A‖ in every eigenvalue; the ridge
 * path needs it once for all λ, on d×d or n×n matrices.
 */

/** `A = V·diag(values)·Vᵀ`; `vectors` is m×m row-major with the eigenvectors as columns. */
export interface SymmetricEigen {
  readonly values: Float64Array;
  readonly vectors: Float64Array;
}

/** Sweeps before giving up; convergence takes well under 20 on symmetric matrices. */
const MAX_SWEEPS = 60;

/**
 * Eigenvalues and eigenvectors of the symmetric m×m matrix `a` (row-major; only read, the
 * lower triangle must mirror the upper). Stops after a sweep that rotated nothing: every
 * off-diagonal entry negligible next to its diagonal pair (`|a_pq| ≤ ε·√|a_pp·a_qq|`) is set
 * to 0 instead of rotated.
 *
 * @throws RangeError on a non-finite entry, or when 60 sweeps do not converge
 */
export function symmetricEigen(a: Float64Array, m: number): SymmetricEigen {
  const A = Float64Array.from(a);
  for (const v of A) {
    if (!Number.isFinite(v)) throw new RangeError("the matrix has a non-finite entry");
  }
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q] as number;
        if (apq === 0) continue;
        const app = A[p * m + p] as number;
        const aqq = A[q * m + q] as number;
        if (Math.abs(apq) <= Number.EPSILON * Math.sqrt(Math.abs(app * aqq))) {
          A[p * m + q] = 0;
          A[q * m + p] = 0;
          continue;
        }
        rotated = true;
        // The rotation that zeroes a_pq, with the smaller angle (Rutishauser's formulas).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        const tau = s / (1 + c);
        A[p * m + p] = app - t * apq;
        A[q * m + q] = aqq + t * apq;
        A[p * m + q] = 0;
        A[q * m + p] = 0;
        for (let r = 0; r < m; r++) {
          if (r !== p && r !== q) {
            const arp = A[r * m + p] as number;
            const arq = A[r * m + q] as number;
            const np = arp - s * (arq + tau * arp);
            const nq = arq + s * (arp - tau * arq);
            A[r * m + p] = np;
            A[p * m + r] = np;
            A[r * m + q] = nq;
            A[q * m + r] = nq;
          }
          const vrp = V[r * m + p] as number;
          const vrq = V[r * m + q] as number;
          V[r * m + p] = vrp - s * (vrq + tau * vrp);
          V[r * m + q] = vrq + s * (vrp - tau * vrq);
        }
      }
    }
    if (!rotated) {
      const values = new Float64Array(m);
      for (let i = 0; i < m; i++) values[i] = A[i * m + i] as number;
      return { values, vectors: V };
    }
  }
  throw new RangeError(`the Jacobi eigenvalue iteration did not converge in ${MAX_SWEEPS} sweeps`);
}
