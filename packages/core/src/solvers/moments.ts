/**
 * The sufficient statistics of least squares with an intercept: the row count, the means, and
 * the centered sums of products `Sxx = Σ(xᵢ − x̄)(xᵢ − x̄)ᵀ`, `Sxy = Σ(xᵢ − x̄)(yᵢ − ȳ)`,
 * `Syy = Σ(yᵢ − ȳ)²`. Every penalized linear fit here is a function of them (the loss is
 * `½wᵀ(Sxx/n)w − (Sxy/n)ᵀw + Syy/(2n)` on centered data), so a path or a cross-validation that
 * reads the rows once, into these, costs O(d²) per λ instead of O(nd) (glmnet's "covariance
 * updates", Friedman, Hastie & Tibshirani 2010, §2.2).
 *
 * Centered sums, not raw `XᵀX`: `XᵀX − n·x̄x̄ᵀ` loses every digit a column's mean has over its
 * spread (a column of values 10⁶ ± 1 keeps none). Disjoint row sets are combined with the
 * pairwise update of Chan, Golub & LeVeque (1979), `S = S_a + S_b + (n_a n_b/n)·δδᵀ` with
 * `δ = x̄_b − x̄_a`, which stays accurate because δ is a difference of means, not of sums.
 */
import type { Dataset } from "../data.js";

/** Centered sufficient statistics of a set of rows. */
export interface Moments {
  readonly n: number;
  readonly d: number;
  readonly xMean: Float64Array;
  readonly yMean: number;
  /** `Σ(xᵢ − x̄)(xᵢ − x̄)ᵀ`, d×d row-major, symmetric (both triangles filled). */
  readonly sxx: Float64Array;
  /** `Σ(xᵢ − x̄)(yᵢ − ȳ)`. */
  readonly sxy: Float64Array;
  /** `Σ(yᵢ − ȳ)²`. */
  readonly syy: number;
  /**
   * Columns whose values are all equal in these rows (1) or not (0). Their centered sums are
   * exactly 0 and their mean is that value, with no rounding (see `centerDataset`).
   */
  readonly constant: Uint8Array;
}

/**
 * The moments of `data`'s rows (all of them, or the listed row indices): {@link blockMoments} of
 * consecutive slices of {@link MOMENTS_BLOCK} rows, merged along a balanced tree
 * ({@link MomentsTree}), so rounding grows with the slice length and the logarithm of their
 * number. Non-finite entries throw, naming the row and column.
 */
export function momentsOf(data: Dataset, rows?: ArrayLike<number>): Moments {
  const n = rows === undefined ? data.n : rows.length;
  if (n < 1) throw new RangeError("moments need at least one row");
  const tree = new MomentsTree();
  for (let from = 0; from < n; from += MOMENTS_BLOCK) {
    const to = Math.min(n, from + MOMENTS_BLOCK);
    const slice =
      rows === undefined
        ? Array.from({ length: to - from }, (_, k) => from + k)
        : Array.from({ length: to - from }, (_, k) => rows[from + k] as number);
    tree.add(blockMoments(data, slice));
  }
  return tree.result() as Moments;
}

/** Rows per slice of {@link momentsOf}: long enough to amortize, short enough for the cache. */
export const MOMENTS_BLOCK = 4096;

/** Moments merged along a balanced tree: a binary counter of equal-sized merges. */
export class MomentsTree {
  private readonly levels: { moments: Moments; level: number }[] = [];

  add(moments: Moments): void {
    let level = 0;
    let acc = moments;
    for (;;) {
      const top = this.levels.at(-1);
      if (top === undefined || top.level !== level) break;
      this.levels.pop();
      acc = mergeMoments([top.moments, acc]);
      level++;
    }
    this.levels.push({ moments: acc, level });
  }

  /** Everything added, merged (undefined if nothing was). */
  result(): Moments | undefined {
    if (this.levels.length === 0) return undefined;
    // Smallest first, so each merge joins parts of similar size.
    const parts = this.levels.map((l) => l.moments).reverse();
    return mergeMoments(parts);
  }
}

/** Column-major scratch for {@link blockMoments}, grown as needed and reused across blocks. */
let scratch = new Float64Array(0);

/**
 * The moments of some rows of a block, as `momentsOf` defines them (means refined once by the
 * mean of the residuals, exact zeros for a constant column), computed for speed: the rows are
 * copied column by column and centered, then each entry of Sxx is a dot product of two centered
 * columns, four entries per pass over the rows. Same sums as momentsOf, row order kept, so the
 * same rounding bound; about twice as fast as its row-by-row rank-one updates.
 */
export function blockMoments(block: Dataset, rows?: readonly number[]): Moments {
  const { X, y, d } = block;
  const n = rows === undefined ? block.n : rows.length;
  if (n < 1) throw new RangeError("moments need at least one row");
  const m = n + 1; // column stride; the last column is y
  if (scratch.length < m * (d + 1)) scratch = new Float64Array(m * (d + 1));
  const c = scratch;
  for (let k = 0; k < n; k++) {
    const i = rows === undefined ? k : (rows[k] as number);
    const off = i * d;
    for (let j = 0; j < d; j++) c[j * m + k] = X[off + j] as number;
    c[d * m + k] = y[i] as number;
  }
  const xMean = new Float64Array(d);
  const constant = new Uint8Array(d);
  let yMean = 0;
  for (let j = 0; j <= d; j++) {
    const base = j * m;
    const first = c[base] as number;
    let sum = 0;
    let same = true;
    for (let k = 0; k < n; k++) {
      const v = c[base + k] as number;
      if (!Number.isFinite(v)) {
        throw new RangeError(
          j < d
            ? `X[${rows?.[k] ?? k}, ${j}] is not finite (${v})`
            : `y[${rows?.[k] ?? k}] is not finite (${v})`,
        );
      }
      sum += v;
      if (v !== first) same = false;
    }
    let mean = sum / n;
    if (same) {
      mean = first;
      for (let k = 0; k < n; k++) c[base + k] = 0;
    } else {
      // One refinement: the mean of the residuals is the rounding error of Σx/n.
      let corr = 0;
      for (let k = 0; k < n; k++) corr += (c[base + k] as number) - mean;
      mean += corr / n;
      for (let k = 0; k < n; k++) c[base + k] = (c[base + k] as number) - mean;
    }
    if (j < d) {
      xMean[j] = mean;
      constant[j] = same ? 1 : 0;
    } else {
      yMean = mean;
    }
  }
  const sxx = new Float64Array(d * d);
  const sxy = new Float64Array(d);
  // Pairs of columns against pairs: four dot products per pass over the rows.
  for (let j = 0; j < d; j += 2) {
    const a0 = j * m;
    const two = j + 1 < d;
    const a1 = two ? a0 + m : a0;
    for (let l = j; l <= d; l += 2) {
      const b0 = l * m;
      const pair = l + 1 <= d;
      const b1 = pair ? b0 + m : b0;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let k = 0; k < n; k++) {
        const x0 = c[a0 + k] as number;
        const x1 = c[a1 + k] as number;
        const z0 = c[b0 + k] as number;
        const z1 = c[b1 + k] as number;
        s00 += x0 * z0;
        s01 += x0 * z1;
        s10 += x1 * z0;
        s11 += x1 * z1;
      }
      store(j, l, s00);
      if (pair) store(j, l + 1, s01);
      if (two) {
        store(j + 1, l, s10);
        if (pair) store(j + 1, l + 1, s11);
      }
    }
  }
  let syy = 0;
  {
    const base = d * m;
    for (let k = 0; k < n; k++) {
      const v = c[base + k] as number;
      syy += v * v;
    }
  }
  return { n, d, xMean, yMean, sxx, sxy, syy, constant };

  /** Entry (j, l) of the (d+1)×(d+1) cross-product of [X y], l ≥ j − 1. */
  function store(j: number, l: number, v: number): void {
    if (l < j) return;
    if (l === d) {
      if (j < d) sxy[j] = v;
      return;
    }
    sxx[j * d + l] = v;
    sxx[l * d + j] = v;
  }
}

/** Copies the upper triangle of a d×d row-major matrix into its lower triangle. */
function mirrorUpper(a: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    for (let l = j + 1; l < d; l++) a[l * d + j] = a[j * d + l] as number;
  }
}

/**
 * The moments of the union of disjoint row sets, combined pairwise left to right (Chan, Golub &
 * LeVeque's update). The result does not depend on how the rows were grouped, up to the
 * rounding of the updates (float64: relative error a few ε per merge).
 */
export function mergeMoments(parts: readonly Moments[]): Moments {
  if (parts.length === 0) throw new RangeError("mergeMoments needs at least one part");
  let acc = parts[0] as Moments;
  for (let p = 1; p < parts.length; p++) acc = mergeTwo(acc, parts[p] as Moments);
  return acc;
}

function mergeTwo(a: Moments, b: Moments): Moments {
  const { d } = a;
  if (b.d !== d) throw new RangeError(`cannot merge moments of ${a.d} and ${b.d} features`);
  const n = a.n + b.n;
  const wb = b.n / n;
  const f = (a.n * b.n) / n;
  const delta = new Float64Array(d);
  const xMean = new Float64Array(d);
  const constant = new Uint8Array(d);
  for (let j = 0; j < d; j++) {
    const ma = a.xMean[j] as number;
    const mb = b.xMean[j] as number;
    // Constant in both parts with the same value: still exactly constant.
    if (a.constant[j] && b.constant[j] && ma === mb) {
      constant[j] = 1;
      xMean[j] = ma;
      continue;
    }
    delta[j] = mb - ma;
    xMean[j] = ma + (delta[j] as number) * wb;
  }
  const dy = b.yMean - a.yMean;
  const yMean = a.yMean + dy * wb;
  const sxx = new Float64Array(d * d);
  const sxy = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const dj = delta[j] as number;
    sxy[j] = (a.sxy[j] as number) + (b.sxy[j] as number) + f * dj * dy;
    for (let l = 0; l < d; l++) {
      const k = j * d + l;
      sxx[k] = (a.sxx[k] as number) + (b.sxx[k] as number) + f * dj * (delta[l] as number);
    }
  }
  const syy = a.syy + b.syy + f * dy * dy;
  return { n, d, xMean, yMean, sxx, sxy, syy, constant };
}

/**
 * `mean (y − b − Xw)²` over the rows the moments summarize, from the moments alone:
 * `[Syy − 2wᵀSxy + wᵀSxx w]/n + (ȳ − b − x̄ᵀw)²`. Used to score a fit on a validation fold
 * without reading its rows again. Rounding: a few ε relative to `Syy/n + wᵀSxx w/n` and the
 * squared offset, not to the (possibly much smaller) result.
 */
export function meanSquaredErrorOf(m: Moments, w: ArrayLike<number>, b: number): number {
  const { d, sxx, sxy } = m;
  let quad = 0;
  let lin = 0;
  let offset = m.yMean - b;
  for (let j = 0; j < d; j++) {
    const wj = w[j] as number;
    if (wj === 0) continue;
    offset -= (m.xMean[j] as number) * wj;
    lin += (sxy[j] as number) * wj;
    let s = 0;
    const base = j * d;
    for (let l = 0; l < d; l++) s += (sxx[base + l] as number) * (w[l] as number);
    quad += wj * s;
  }
  const centered = Math.max(0, (m.syy - 2 * lin + quad) / m.n);
  return centered + offset * offset;
}

/**
 * The moments of the same rows with every non-constant feature divided by its standard
 * deviation (divisor n), as glmnet's `standardize = TRUE` does, and those deviations (1 for a
 * constant column, which stays all-zero). A weight fitted on the result maps back to the
 * original scale as `w_j / scale_j`; the intercept `ȳ − x̄ᵀw` is the same in both.
 */
export function standardizedMoments(m: Moments): { moments: Moments; scale: Float64Array } {
  const { n, d } = m;
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const v = (m.sxx[j * d + j] as number) / n;
    scale[j] = m.constant[j] || !(v > 0) ? 1 : Math.sqrt(v);
  }
  const sxx = new Float64Array(d * d);
  const sxy = new Float64Array(d);
  const xMean = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const sj = scale[j] as number;
    sxy[j] = (m.sxy[j] as number) / sj;
    xMean[j] = (m.xMean[j] as number) / sj;
    for (let l = 0; l < d; l++) {
      sxx[j * d + l] = (m.sxx[j * d + l] as number) / (sj * (scale[l] as number));
    }
  }
  return {
    moments: { n, d, xMean, yMean: m.yMean, sxx, sxy, syy: m.syy, constant: m.constant },
    scale,
  };
}

/** `Σ sᵢxᵢ/Σ sᵢ` for the rows of X (n×d row-major) and for y. */
export function weightedMeans(
  X: Float64Array,
  y: Float64Array,
  s: Float64Array,
  n: number,
  d: number,
): { xMean: Float64Array; yMean: number } {
  const xMean = new Float64Array(d);
  let yMean = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const si = s[i] as number;
    total += si;
    yMean += si * (y[i] as number);
    for (let j = 0; j < d; j++) xMean[j] = (xMean[j] as number) + si * (X[i * d + j] as number);
  }
  for (let j = 0; j < d; j++) xMean[j] = (xMean[j] as number) / total;
  return { xMean, yMean: yMean / total };
}

/**
 * Weighted centered moments of rows: with weights sᵢ > 0 (S = Σ sᵢ), the means
 * `x̄ = Σ sᵢxᵢ/S`, `ȳ = Σ sᵢyᵢ/S` and the sums `Σ sᵢ(xᵢ − x̄)(xᵢ − x̄)ᵀ`, `Σ sᵢ(xᵢ − x̄)(yᵢ − ȳ)`,
 * `Σ sᵢ(yᵢ − ȳ)²`, in {@link Moments}' form with `n` the row count: so the covariance-update
 * solvers, which divide by n, minimize `(1/(2n)) Σ sᵢ(yᵢ − b − xᵢᵀw)²` plus their penalty. The
 * weighted least squares of IRLS (logistic models) is this.
 */
export function weightedMomentsOf(
  X: Float64Array,
  y: Float64Array,
  s: Float64Array,
  n: number,
  d: number,
): Moments {
  const { xMean, yMean } = weightedMeans(X, y, s, n, d);
  const sxx = new Float64Array(d * d);
  const sxy = new Float64Array(d);
  let syy = 0;
  const xc = new Float64Array(d);
  const constant = new Uint8Array(d).fill(1);
  for (let i = 0; i < n; i++) {
    const si = s[i] as number;
    for (let j = 0; j < d; j++) {
      const x = X[i * d + j] as number;
      if (x !== (X[j] as number)) constant[j] = 0;
      xc[j] = x - (xMean[j] as number);
    }
    const yc = (y[i] as number) - yMean;
    syy += si * yc * yc;
    for (let j = 0; j < d; j++) {
      const a = si * (xc[j] as number);
      sxy[j] = (sxy[j] as number) + a * yc;
      const base = j * d;
      for (let l = j; l < d; l++) sxx[base + l] = (sxx[base + l] as number) + a * (xc[l] as number);
    }
  }
  for (let j = 0; j < d; j++) {
    if (constant[j]) {
      // An exactly constant column carries nothing: exact zeros, as momentsOf gives.
      xMean[j] = X[j] as number;
      sxy[j] = 0;
      for (let l = 0; l < d; l++) {
        sxx[j * d + l] = 0;
        sxx[l * d + j] = 0;
      }
    }
  }
  mirrorUpper(sxx, d);
  return { n, d, xMean, yMean, sxx, sxy, syy, constant };
}
