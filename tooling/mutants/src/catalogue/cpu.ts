import type { Mutant } from "../mutant.js";

const KERNELS = "packages/backend-cpu/src/kernels.ts";
const BACKEND = "packages/backend-cpu/src/backend.ts";
const DUAL = "packages/backend-cpu/src/dual.ts";

/**
 * Bugs in the cpu backend (float64 and float32): its kernels, its Backend wrapper, and the dual
 * form that λ grids take when L ≥ 2, y is one shared column, no weightL1 > 0 and 2n ≤ d. Many
 * of them show only past the suite's small sizes or call sequences (a partial last minibatch,
 * n ≥ 2 rows in dual form, a write between two steps of one program), which is the point: a
 * survivor names an input a new property has to draw.
 */
export const CPU_MUTANTS: readonly Mutant[] = [
  // --- primitives -------------------------------------------------------------------------------
  {
    id: "cpu-matmul-block-second-row-reads-first",
    bug: "matmul's 2×4 block reads the pair's first row of op(A) for its second row too (a copy-paste slip): every second row of a product inside the blocks repeats the first",
    file: KERNELS,
    find: "        const z = a[a1 + p * ap] as number;",
    replace: "        const z = a[a0 + p * ap] as number;",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-matmul-edge-entry-drops-first-term",
    bug: "matmul's entries outside the 2×4 blocks (the last row of an odd m, the last n mod 4 columns) start their sum at p = 1, leaving out the first term",
    file: KERNELS,
    find: "  for (let p = 0; p < k; p++) c += (a[ai + p * ap] as number) * (b[bj + p * bp] as number);",
    replace:
      "  for (let p = 1; p < k; p++) c += (a[ai + p * ap] as number) * (b[bj + p * bp] as number);",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-gather-int32-rows-become-float",
    bug: "gatherRows makes its output a float tensor whatever the source's dtype: rows gathered from an int32 tensor lose their dtype (and, on cpu-f32, integers past 2^24 their exact value)",
    file: BACKEND,
    find: "    const out = this.make([count, c], A.dtype);",
    replace: "    const out = this.make([count, c]);",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-read-aliases-float64-storage",
    bug: "read hands back the tensor's own Float64Array instead of a copy (zero-copy on float64): a later write, assign or fused step changes an array already returned, and editing the returned array edits the tensor",
    file: BACKEND,
    find: "    return Float64Array.from(this.get(tensor).data);",
    replace: `    const data = this.get(tensor).data;
    return data instanceof Float64Array ? data : Float64Array.from(data);`,
    backends: ["cpu"],
  },
  {
    id: "cpu-upload-adopts-float64array",
    bug: "upload takes a Float64Array argument as the tensor's storage instead of copying it: the tensor aliases the caller's array (later host edits show in it, two uploads of one array share storage), and on cpu-f32 those values are never rounded to float32",
    file: BACKEND,
    find: `    const t = this.make(shape, dtype);
    try {`,
    replace: `    // Zero-copy: a Float64Array is already the right layout.
    const t = this.make(
      shape,
      dtype,
      dtype === "float" && data instanceof Float64Array ? data : undefined,
    );
    try {`,
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-assign-skips-write-notice",
    bug: "assign copies into the target without announcing the write: a live dual SGD program holding the target (its w or X) keeps its dual state, and a stale w is later materialized over the assigned values",
    file: BACKEND,
    find: `    this.get(target, "assign target", "write");
    T.data.set(S.data);`,
    replace: "    T.data.set(S.data);",
    backends: ["cpu", "cpu-f32"],
  },

  // --- the fused primal SGD kernels ---------------------------------------------------------------
  {
    id: "cpu-sgd1-bias-takes-weight-decay",
    bug: "the one-column SGD step shrinks the bias by the weights' decay",
    file: KERNELS,
    find: "  b[0] = (1 - lr * biasDecay) * b0 - lr * rSum * inv;",
    replace: "  b[0] = (1 - lr * decay) * b0 - lr * rSum * inv;",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-sgd-bias-sums-stale-residuals",
    bug: "the multi-column step's bias sums the residual scratch over all n of its rows rather than the batch's count: on a partial last minibatch (count < batch) the rows past count still hold the previous batch's residuals",
    file: KERNELS,
    find: "    for (let t = 0; t < count; t++) rSum += r[t * L + l] as number;",
    replace: "    for (let t = 0; t < r.length / L; t++) rSum += r[t * L + l] as number;",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-sgd-row-bound-from-y",
    bug: "the multi-column step takes n from y's length (copied from the one-column kernel): with multi-output targets (y n×L) row indices in [n, n·L) pass the range check and read past X, giving NaN weights instead of a RangeError",
    file: KERNELS,
    find: `  const n = X.length / d;
  // Stride of y between columns`,
    replace: `  const n = y.length;
  // Stride of y between columns`,
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-sgd-l1-zero-column-ends-prox",
    bug: "the grid's L1 prox stops at a column whose λ₁ is 0 (break instead of continue): later columns of that feature row skip their soft threshold",
    file: KERNELS,
    find: "        if (t === 0) continue;",
    replace: "        if (t === 0) break;",
    backends: ["cpu", "cpu-f32"],
  },

  // --- the dual form of λ grids -------------------------------------------------------------------
  {
    id: "cpu-dual-taken-for-multi-output",
    bug: "the switch to the dual form forgets the shared-targets condition: a multi-output program (y n×L) with 2n ≤ d runs in dual form, which reads y[row] as if y had one column",
    file: BACKEND,
    find: 'if (!l1 && yCols === 1 && (this.dual === "always"',
    replace: 'if (!l1 && (this.dual === "always"',
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-dual-materialize-column-major",
    bug: "materialize reads X as if it were stored column-major (Xᵀ's layout, X[j·n + i]): right only when n = 1",
    file: DUAL,
    find: "        const x = X[i * d + j] as number;",
    replace: "        const x = X[j * n + i] as number;",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-dual-gram-stale-after-x-write",
    bug: "a write or assign of X marks the dual state for a rebase but not the Gram matrix: the rebase recomputes P = X·W₀ from the new X and keeps K = XXᵀ of the old one",
    file: DUAL,
    find: `      if (this.stale) this.materialize();
      this.needRebase = true;
      this.needGram = true;`,
    replace: `      if (this.stale) this.materialize();
      this.needRebase = true;`,
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-dual-update-keeps-state",
    bug: "the dual program drops its state only when w is overwritten, not when another SGD program updates it in place: its next step ignores that update and its next materialize overwrites it",
    file: DUAL,
    find: `      if (access !== "read") {
        this.stale = false;`,
    replace: `      if (access === "write") {
        this.stale = false;`,
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-dual-rebase-keeps-coefficients",
    bug: "a rebase resets the scales s to 1 but not the row coefficients A: after w or X is written mid-program the old XᵀA is added a second time to the new W₀",
    file: DUAL,
    find: `    this.s.fill(1);
    this.A.fill(0);`,
    replace: "    this.s.fill(1);",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-dual-loss-skips-last-row",
    bug: "the loss of a stale w in dual form stops one training row short when it adds (X_e·Xᵀ)·A (off-by-one at the loop's end): the last row's coefficients are left out, so a loss taken mid-training is wrong (with n = 1, every coefficient)",
    file: DUAL,
    find: `      for (let i = 0; i < n; i++) {
        const g = G[en + i] as number;`,
    replace: `      for (let i = 0; i < n - 1; i++) {
        const g = G[en + i] as number;`,
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-dual-eval-cache-ignores-version",
    bug: "the dual loss's cross-Gram cache (X_e·Xᵀ, X_e·W₀) is keyed on the evaluation tensor and the epoch but not its version: after a write to X_e the loss of a stale w uses the old X_e",
    file: DUAL,
    find: "    if (!cache || cache.version !== Xe.version || cache.epoch !== this.epoch) {",
    replace: "    if (!cache || cache.epoch !== this.epoch) {",
    backends: ["cpu", "cpu-f32"],
  },
];
