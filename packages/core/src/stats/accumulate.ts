/**
 * Sufficient statistics of least squares gathered in one streaming pass, per fold: rows arrive
 * in blocks, each block's rows are split by a fold rule that depends on the row alone (never on
 * its position in the file, so that any split of the file into shards gives every row the same
 * fold), each part becomes centered {@link Moments}, and the parts are merged by Chan, Golub &
 * LeVeque's pairwise update along a balanced tree (a binary counter of equal-sized merges), so
 * rounding grows with the logarithm of the number of blocks, not with their number.
 */
import type { Dataset } from "../data.js";
import { blockMoments, type Moments, MomentsTree } from "../solvers/moments.js";

/**
 * Which fold a row belongs to, decided by the row alone:
 * - `none`: every row in fold 0 (no cross-validation; fit and path only);
 * - `hash`: a seeded hash of the row's values (the target, then the features in order, as
 *   float64 bits) modulo `folds`. Equal rows share a fold, so duplicated rows cannot sit on both
 *   sides of a split; the same file gives the same folds however it is sharded or ordered;
 * - `column`: the integer fold id in a column of the file (glmnet's `foldid`).
 */
export type FoldRule =
  | { readonly kind: "none" }
  | { readonly kind: "hash"; readonly folds: number; readonly seed: number }
  | { readonly kind: "column"; readonly column: string };

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

// MurmurHash3's 32-bit mixing steps (Appleby, public domain): fast, well-spread, and the
// same in every JavaScript engine.
function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  const x = h ^ k;
  return (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
}

function mixValue(h: number, v: number): number {
  bits[0] = v;
  return mixWord(mixWord(h, words[0] as number), words[1] as number);
}

function finalMix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The `hash` rule's fold of row `i` of `data` (see {@link FoldRule}). */
export function hashFold(data: Dataset, i: number, folds: number, seed: number): number {
  const { X, y, d } = data;
  let h = mixWord(mixWord(0x2545f491, seed >>> 0), Math.floor(seed / 2 ** 32) >>> 0);
  h = mixValue(h, y[i] as number);
  const off = i * d;
  for (let j = 0; j < d; j++) h = mixValue(h, X[off + j] as number);
  return finalMix(h ^ (d + 1)) % folds;
}

/** The `hash` rule's fold of every row of `data`: cross-validation folds for in-memory data
 * that equal those of a stats file made with the same rule. */
export function hashFolds(data: Dataset, folds: number, seed: number): Int32Array {
  checkHashRule(folds, seed);
  const out = new Int32Array(data.n);
  for (let i = 0; i < data.n; i++) out[i] = hashFold(data, i, folds, seed);
  return out;
}

function checkHashRule(folds: number, seed: number): void {
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= 1000)) {
    throw new RangeError(`folds must be an integer in [2, 1000], got ${folds}`);
  }
  if (!(Number.isSafeInteger(seed) && seed >= 0)) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
}

/**
 * How far apart two float64 computations of the same rows' moments are, as a share of what
 * rounding allows (≤ 1: within it), e.g. one pass against merged shards. Each computation sums
 * at most `blockRows` products per block (error ≤ B·ε of Σ|terms|), merges blocks along
 * ⌈log₂ n⌉ + 1 levels of pairwise updates (a few ε each) and centers by block means that carry
 * ε·|x̄|. With cⱼ = sdⱼ + |x̄ⱼ| (and c_y likewise), each computation is within γ·n·cⱼcₗ of the
 * exact Sⱼₗ and γ·cⱼ of x̄ⱼ, γ = (B + 2⌈log₂ n⌉ + 10)·ε; two of them within twice that.
 */
export function momentsAgreement(a: Moments, b: Moments, blockRows: number): number {
  const { d, n } = a;
  if (b.n !== n || b.d !== d) return Number.POSITIVE_INFINITY;
  const g = 2 * (blockRows + 2 * Math.ceil(Math.log2(n)) + 10) * 2 ** -52;
  const scale = Float64Array.from(
    a.xMean,
    (mean, j) => Math.abs(mean) + Math.sqrt((a.sxx[j * d + j] as number) / n),
  );
  const yScale = Math.abs(a.yMean) + Math.sqrt(a.syy / n);
  let worst = 0;
  const see = (x: number, y: number, bound: number) => {
    const gap = Math.abs(x - y);
    if (gap > 0) worst = Math.max(worst, bound > 0 ? gap / bound : Number.POSITIVE_INFINITY);
  };
  see(a.yMean, b.yMean, g * yScale);
  see(a.syy, b.syy, g * n * yScale * yScale);
  for (let j = 0; j < d; j++) {
    const cj = scale[j] as number;
    see(a.xMean[j] as number, b.xMean[j] as number, g * cj);
    see(a.sxy[j] as number, b.sxy[j] as number, g * n * cj * yScale);
    for (let l = 0; l < d; l++) {
      see(
        a.sxx[j * d + l] as number,
        b.sxx[j * d + l] as number,
        g * n * cj * (scale[l] as number),
      );
    }
  }
  return worst;
}

/** A block of rows plus the values of the fold column, if the rule reads one. */
export interface FoldBlock extends Dataset {
  /** For the `column` rule: the fold id of each row. */
  readonly foldIds?: ArrayLike<number>;
  /** Where each row came from, for messages (a line number, or a row number). */
  readonly lines?: ArrayLike<number>;
}

/**
 * Gathers per-fold moments from blocks of rows. A fold id that is not an integer throws a
 * RangeError naming the row's line (the caller adds the file).
 */
export class StatsAccumulator {
  private readonly trees = new Map<number, MomentsTree>();
  /** Rows added so far. */
  rows = 0;

  constructor(
    readonly d: number,
    readonly rule: FoldRule,
  ) {
    if (rule.kind === "hash") checkHashRule(rule.folds, rule.seed);
  }

  add(block: FoldBlock): void {
    const { n } = block;
    if (n === 0) return;
    if (block.d !== this.d) {
      throw new RangeError(`a block of ${block.d} features for statistics of ${this.d}`);
    }
    const fold = new Float64Array(n);
    const { rule } = this;
    if (rule.kind === "hash") {
      for (let i = 0; i < n; i++) fold[i] = hashFold(block, i, rule.folds, rule.seed);
    } else if (rule.kind === "column") {
      const ids = block.foldIds;
      if (ids === undefined) throw new RangeError("the column fold rule needs each row's fold id");
      for (let i = 0; i < n; i++) {
        const id = ids[i] as number;
        if (!Number.isSafeInteger(id)) {
          const where = block.lines === undefined ? `row ${i}` : `line ${block.lines[i]}`;
          throw new FoldIdError(i, `${where}: fold id ${id} is not an integer`);
        }
        fold[i] = id;
      }
    }
    // Group the rows by fold; one fold (the usual `none` case) needs no index list.
    const groups = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const f = fold[i] as number;
      let rows = groups.get(f);
      if (rows === undefined) {
        rows = [];
        groups.set(f, rows);
      }
      rows.push(i);
    }
    for (const [f, rows] of groups) {
      let tree = this.trees.get(f);
      if (tree === undefined) {
        tree = new MomentsTree();
        this.trees.set(f, tree);
      }
      tree.add(blockMoments(block, groups.size === 1 ? undefined : rows));
    }
    this.rows += n;
  }

  /** Each fold's moments, by fold id ascending. */
  folds(): Map<number, Moments> {
    const out = new Map<number, Moments>();
    for (const f of [...this.trees.keys()].sort((a, b) => a - b)) {
      const m = this.trees.get(f)?.result();
      if (m !== undefined) out.set(f, m);
    }
    return out;
  }
}

/** A fold id that is not an integer; `row` is its index in the block. */
export class FoldIdError extends RangeError {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(message);
    this.name = "FoldIdError";
  }
}
