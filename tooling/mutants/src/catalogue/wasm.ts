import type { Mutant } from "../mutant.js";

const KERNELS = "packages/backend-wasm/assembly/kernels.ts";
const BACKEND = "packages/backend-wasm/src/backend.ts";
const DUAL = "packages/backend-wasm/src/dual.ts";

/**
 * Realistic bugs of the WebAssembly backend: its AssemblyScript SIMD kernels (rebuilt by the
 * runner) and its TypeScript side. Most sit where a suite of small shapes (n ≤ 8, d ≤ 6, L ≤ 3)
 * does not reach: SIMD bodies that only run for L ≥ 4, the 8-column blocks of the dual form,
 * the tfjs/XNNPACK path of products (the runner sends those from 2¹⁸ multiply-adds to it), the dual form's caches and loss, heap
 * growth, invalid row orders.
 *
 * Left out as equivalent under the contract: accumulating `sum` over axis 0 in float32 instead
 * of float64 (the backend's README promises one rounding, but the Backend contract of a float32
 * backend allows γ_k·Σ|x|, which a float32 accumulator meets; no conformance property can or
 * should fail it).
 */
export const WASM_MUTANTS: readonly Mutant[] = [
  {
    id: "wasm-dense-relu-tail-skipped",
    bug: "the dense kernel's scalar tail adds the bias but never applies ReLU, so in a layer whose width is not a multiple of 4 the last columns keep their negative pre-activations",
    file: KERNELS,
    find: "      if (relu) v = v > 0 ? v : v != v ? v : 0;",
    replace: "",
    backends: ["wasm"],
  },
  {
    id: "wasm-dense-bias-from-row",
    bug: "the dense kernel's SIMD body reads the bias at the row's offset instead of the column's, so every row after the first adds values from past the bias",
    file: KERNELS,
    find: "let v = f32x4.add(v128.load(row + o), v128.load(b + o));",
    replace: "let v = f32x4.add(v128.load(row + o), v128.load(b + o + ((<usize>i) << 2)));",
    backends: ["wasm"],
  },
  {
    id: "wasm-dense-mask-at-zero",
    bug: "the backward mask is 1[a ≥ 0] in the SIMD body, so a unit whose ReLU output is exactly 0 passes its gradient back",
    file: KERNELS,
    find: "const m = v128.and(f32x4.gt(v128.load(a + o), zero), one);",
    replace: "const m = v128.and(f32x4.ge(v128.load(a + o), zero), one);",
    backends: ["wasm"],
  },
  {
    id: "wasm-gemm-transposed-a-stride",
    bug: "the product kernel steps through a transposed A (stored k×m) by k floats per p instead of m: right only when op(A) is square",
    file: KERNELS,
    find: "const pStep: usize = tA ? (<usize>m) << 2 : 4;",
    replace: "const pStep: usize = tA ? (<usize>k) << 2 : 4;",
    backends: ["wasm"],
  },
  {
    id: "wasm-gemm-four-column-block-steps-eight",
    bug: "the product kernel's 4-column block advances by 8 columns, so a product whose width leaves 5–7 columns after its 8-column panels never computes the last 1–3",
    file: KERNELS,
    find: "    gemmColumns(C, A, B, m, k, n, tA, lo, hi, j, 1);\n    j += 4;",
    replace: "    gemmColumns(C, A, B, m, k, n, tA, lo, hi, j, 1);\n    j += 8;",
    backends: ["wasm"],
  },
  {
    id: "wasm-dense-backward-bias-over-columns",
    bug: "the fused backward step sums G over columns (n×1) instead of over rows for the bias gradient",
    file: BACKEND,
    find: "const db = this.sum(g, 0);",
    replace: "const db = this.sum(g, 1);",
    backends: ["wasm"],
  },
  {
    id: "wasm-axpby-high-half-from-low",
    bug: "the axpby kernel promotes the low two lanes of each 4-float block twice, so elements 2 and 3 of every block get elements 0 and 1's values",
    file: KERNELS,
    find: "const xh = v128.shuffle<u32>(xv, xv, 2, 3, 0, 1);",
    replace: "const xh = v128.shuffle<u32>(xv, xv, 0, 1, 2, 3);",
    backends: ["wasm"],
  },
  {
    id: "wasm-axpby-tail-dropped",
    bug: "the axpby kernel's scalar tail is skipped: a count that is not a multiple of 4 leaves its last elements as the allocation left them",
    file: KERNELS,
    find: "    store<f32>(out + o, <f32>(alpha * <f64>load<f32>(x + o) + beta * <f64>load<f32>(y + o)));",
    replace:
      "    if (o > 0xffffffff) store<f32>(out + o, <f32>(alpha * <f64>load<f32>(x + o) + beta * <f64>load<f32>(y + o)));",
    backends: ["wasm"],
  },
  {
    id: "wasm-sgd-few-drops-eighth-row",
    bug: "the one-column SGD step's pass for batches of 5 to 8 rows tests for a ninth row where it should test for the eighth, so a batch of exactly 8 rows leaves the last row out of the gradient",
    file: KERNELS,
    find: "          if (count > 7) g = f32x4.add(g, f32x4.mul(v128.load32_splat(r, 28), v128.load(x7 + q)));",
    replace:
      "          if (count > 8) g = f32x4.add(g, f32x4.mul(v128.load32_splat(r, 28), v128.load(x7 + q)));",
    backends: ["wasm"],
  },
  {
    id: "wasm-dot4-transpose-swaps-rows",
    bug: "the four-row dot product's final transpose takes its last shuffle with lanes 3 and 4 swapped, so rows 2 and 3 of every block of four trade half their sums",
    file: KERNELS,
    find: "v128.shuffle<f32>(h01, h23, 2, 3, 6, 7)",
    replace: "v128.shuffle<f32>(h01, h23, 2, 3, 7, 6)",
    backends: ["wasm"],
  },
  {
    id: "wasm-sgdl-simd-update-drops-mean",
    bug: "sgdStepL's four-column SIMD weight update scales the summed gradient by lr instead of lr/count (the scalar tail for the last L mod 4 columns is right)",
    file: KERNELS,
    find: "f32x4.add(f32x4.mul(li, v128.load(gj + o)), f32x4.mul(lp, wv))",
    replace: "f32x4.add(f32x4.mul(lrv, v128.load(gj + o)), f32x4.mul(lp, wv))",
    backends: ["wasm"],
  },
  {
    id: "wasm-sgdl-prox-zero-column-stops",
    bug: "sgdStepL's L1 prox stops at the first grid column whose λ₁ is 0 (break instead of continue), so later columns are never thresholded",
    file: KERNELS,
    find: "      if (t == 0) continue;",
    replace: "      if (t == 0) break;",
    backends: ["wasm"],
  },
  {
    id: "wasm-rowsbad-ignores-offset",
    bug: "the row-index check reads order[t] instead of order[offset + t], so a bad index in any batch but the first is not rejected and the step reads outside X and y",
    file: KERNELS,
    find: "    const row = load<i32>(order + ((<usize>(offset + t)) << 2));\n    if (<u32>row >= <u32>n) return t;",
    replace:
      "    const row = load<i32>(order + ((<usize>t) << 2));\n    if (<u32>row >= <u32>n) return t;",
    backends: ["wasm"],
  },
  {
    id: "wasm-xw64-tail-from-column-zero",
    bug: "xw64's scalar tail after the 8-column blocks reads W₀ from column 0 instead of column l, so P = X·W₀ is wrong for columns 8.. of a dual grid with L mod 8 ≠ 0",
    file: KERNELS,
    find: "axpy64(p, v, W0 + <usize>j * colBytes + ((<usize>l) << 3), L - l);",
    replace: "axpy64(p, v, W0 + <usize>j * colBytes, L - l);",
    backends: ["wasm"],
  },
  {
    id: "wasm-dual-residuals-block-stride",
    bug: "the 8-column block of the dual residuals steps through A by the block's 64 bytes instead of A's row stride (8·L bytes): right only for L = 8",
    file: KERNELS,
    find: "        ai += colBytes;",
    replace: "        ai += 64;",
    backends: ["wasm"],
  },
  {
    id: "wasm-transpose-tile-bound-uses-rows",
    bug: "transpose clips its 16-wide column tiles at rows instead of cols (copy-paste of the row bound): non-square transposed operands of large products are copied wrong",
    file: KERNELS,
    find: "const j1 = min(j0 + 16, cols);",
    replace: "const j1 = min(j0 + 16, rows);",
    backends: ["wasm"],
  },
  {
    id: "wasm-tfjs-id-ignores-version",
    bug: "a tensor keeps its tfjs id after an in-place change (the version test is dropped), so XNNPACK reuses the packing of B's old values in the next large product",
    file: BACKEND,
    find: "if (t.tfjsId === 0 || t.tfjsVersion !== t.version) {",
    replace: "if (t.tfjsId === 0) {",
    backends: ["wasm"],
  },
  {
    id: "wasm-gather-rows-ignore-offset",
    bug: "the gatherRows kernel reads the row order from its start, not from the batch's offset: every minibatch of an epoch gathers the first one's rows",
    file: KERNELS,
    find: "    const row = load<i32>(order + ((<usize>(offset + t)) << 2));\n    copyBytes(",
    replace: "    const row = load<i32>(order + ((<usize>t) << 2));\n    copyBytes(",
    backends: ["wasm"],
  },
  {
    id: "wasm-elementwise-part-drops-last-row",
    bug: "axpby and assign split over the threads by rows leave each part's last row out, so every threaded update of 2¹⁶ elements or more keeps stale values at the parts' ends",
    file: KERNELS,
    find: "    const count = (r1 - r0) * cols;",
    replace: "    const count = r1 > r0 ? (r1 - r0 - 1) * cols : 0;",
    backends: ["wasm"],
  },
  {
    id: "wasm-copy-loop-swaps-stores",
    bug: "the copy loop stores the third and fourth 16-byte vectors of each 64-byte block in each other's place, so every assign and gathered row of 16 values or more is scrambled",
    file: KERNELS,
    find: "    v128.store(out + i, c, 32);\n    v128.store(out + i, d, 48);",
    replace: "    v128.store(out + i, d, 32);\n    v128.store(out + i, c, 48);",
    backends: ["wasm"],
  },
  {
    id: "wasm-dual-switch-ignores-l1",
    bug: "a λ grid with L1 on few rows is sent to the dual form too (the no-L1 condition is dropped), which never applies the prox",
    file: BACKEND,
    find: "if (!hasL1 && (this.dual === ",
    replace: "if ((this.dual === ",
    backends: ["wasm"],
  },
  {
    id: "wasm-dual-x-write-keeps-gram",
    bug: "an in-place change of X rebases the dual program but keeps the old Gram K = XXᵀ (and X in f64)",
    file: DUAL,
    find: "      this.needRebase = true;\n      this.needGram = true;",
    replace: "      this.needRebase = true;",
    backends: ["wasm"],
  },
  {
    id: "wasm-dual-loss-cache-ignores-version",
    bug: "the dual loss's cross-Gram cache is keyed on the evaluation tensor and epoch only, so a write to X_e reuses X_e·Xᵀ and X_e·W₀ of its old values",
    file: DUAL,
    find: "if (!cache || cache.version !== Xe.version || cache.epoch !== this.epoch) {",
    replace: "if (!cache || cache.epoch !== this.epoch) {",
    backends: ["wasm"],
  },
  {
    id: "wasm-dual-loss-scratch-overlap",
    bug: "the dual loss places its f64 accumulator L·4 bytes (f32-sized) after its f64 residual row instead of L·8, so the two overlap",
    file: DUAL,
    find: "this.tmp + L * 8,",
    replace: "this.tmp + L * 4,",
    backends: ["wasm"],
  },
  {
    id: "wasm-dual-loss-multi-output-row-stride",
    bug: "the dual loss steps through y by one float per row, forgetting the row stride of an n×L multi-output target",
    file: KERNELS,
    find: "y + <usize>e * (<usize>yCols << 2), yCols, n, L);",
    replace: "y + ((<usize>e) << 2), yCols, n, L);",
    backends: ["wasm"],
  },
];
