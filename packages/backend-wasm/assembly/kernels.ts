// The backend's own kernels, in AssemblyScript, compiled to WebAssembly SIMD by
// scripts/build-kernels.mjs. The module has no memory of its own: it imports tfjs-backend-wasm's
// heap (`env.memory`), so every pointer below is an offset into the memory that tfjs' kernels
// also use, and a tensor moves between our kernels and tfjs' without a copy.
//
// Nothing here allocates (the build uses the stub runtime and no managed objects) and the module
// has no data segment: it must never write to memory it was not given a pointer into, since
// Emscripten's allocator owns the heap.
//
// Conventions: matrices are row-major; f32 arrays hold tensors, f64 arrays hold the dual form's
// state (see `dual*` below). `rowsBad` style returns: -1 when every row index is in range, else
// the position (within the batch) of the first bad one, checked before anything is written.

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * Σ x[i]·w[i] over d floats, in f32 SIMD with four accumulators (16 lanes per iteration): an
 * add's latency is four times its throughput, so fewer accumulators wait on each other.
 */
@inline
function dot(x: usize, w: usize, d: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let j = 0;
  for (; j + 16 <= d; j += 16) {
    const o = <usize>j << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(w + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o, 16), v128.load(w + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x + o, 32), v128.load(w + o, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x + o, 48), v128.load(w + o, 48)));
  }
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(w + o)));
  }
  let acc = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; j < d; j++) {
    const o = <usize>j << 2;
    acc += load<f32>(x + o) * load<f32>(w + o);
  }
  return acc;
}

/** y[0..n) += a·x[0..n) in f32 SIMD. */
@inline
function axpy(y: usize, a: f32, x: usize, n: i32): void {
  const av = f32x4.splat(a);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

/** y[0..n) += a·x[0..n) for f64 y, x. */
@inline
function axpy64(y: usize, a: f64, x: usize, n: i32): void {
  const av = f64x2.splat(a);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(av, v128.load(x + o))));
  }
  for (; j < n; j++) {
    const o = <usize>j << 3;
    store<f64>(y + o, load<f64>(y + o) + a * load<f64>(x + o));
  }
}

/** Horizontal sum of a f32x4. */
@inline
function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    f32x4.extract_lane(v, 2) +
    f32x4.extract_lane(v, 3)
  );
}

/**
 * The dot products of four rows x0..x3 (d floats each) with w, in lanes 0..3: the rows share
 * each load of w and keep four rows' cache misses in flight together, and two accumulators per
 * row (8 lanes per iteration) keep the adds from waiting on each other.
 */
@inline
function dot4(x0: usize, x1: usize, x2: usize, x3: usize, w: usize, d: i32): v128 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= d; j += 8) {
    const q = <usize>j << 2;
    const wv = v128.load(w + q);
    const wu = v128.load(w + q, 16);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x0 + q), wv));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x1 + q), wv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x2 + q), wv));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x3 + q), wv));
    c0 = f32x4.add(c0, f32x4.mul(v128.load(x0 + q, 16), wu));
    c1 = f32x4.add(c1, f32x4.mul(v128.load(x1 + q, 16), wu));
    c2 = f32x4.add(c2, f32x4.mul(v128.load(x2 + q, 16), wu));
    c3 = f32x4.add(c3, f32x4.mul(v128.load(x3 + q, 16), wu));
  }
  if (j + 4 <= d) {
    const q = <usize>j << 2;
    const wv = v128.load(w + q);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x0 + q), wv));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x1 + q), wv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x2 + q), wv));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x3 + q), wv));
    j += 4;
  }
  // Lane l of the result is the sum of a_l's lanes: a 4×4 transpose folded into three adds.
  a0 = f32x4.add(a0, c0);
  a1 = f32x4.add(a1, c1);
  a2 = f32x4.add(a2, c2);
  a3 = f32x4.add(a3, c3);
  const h01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const h23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  let s = f32x4.add(v128.shuffle<f32>(h01, h23, 0, 1, 4, 5), v128.shuffle<f32>(h01, h23, 2, 3, 6, 7));
  for (; j < d; j++) {
    const q = <usize>j << 2;
    let xv = f32x4.splat(load<f32>(x0 + q));
    xv = f32x4.replace_lane(xv, 1, load<f32>(x1 + q));
    xv = f32x4.replace_lane(xv, 2, load<f32>(x2 + q));
    xv = f32x4.replace_lane(xv, 3, load<f32>(x3 + q));
    s = f32x4.add(s, f32x4.mul(xv, f32x4.splat(load<f32>(w + q))));
  }
  return s;
}

/** S_t(v) = sign(v)·max(|v| − t, 0), exact +0 where |v| ≤ t. */
@inline
function soft(v: f32, t: f32): f32 {
  return v > t ? v - t : v < -t ? v + t : 0;
}

/** -1 when order[offset .. offset+count) are all in [0, n), else the first bad position. */
function rowsBad(order: usize, offset: i32, count: i32, n: i32): i32 {
  for (let t = 0; t < count; t++) {
    const row = load<i32>(order + ((<usize>(offset + t)) << 2));
    if (<u32>row >= <u32>n) return t;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Minibatch SGD, one weight column (the chapter, big1, big2)

/**
 * One fused SGD step for L = 1: gather, forward, gradient, decay, update (and the L1 proximal
 * step when `l1t` = lr·λ₁ > 0) for the rows order[offset .. offset+count). `g` is max(d, FEW)
 * floats of scratch. A batch of up to FEW rows (the chapter's 5) takes `stepFew`, which needs no
 * gradient buffer; a larger one sums g over four-row blocks (`accumulate1`, which the threads'
 * parts also run), then updates. Each row is read twice (forward, then gradient) while it is
 * still in L1 cache.
 */
export function sgdStep1(
  X: usize,
  y: usize,
  order: usize,
  w: usize,
  b: usize,
  g: usize,
  n: i32,
  d: i32,
  offset: i32,
  count: i32,
  lr: f32,
  penalty: f32,
  decay: f32,
  biasDecay: f32,
  l1t: f32,
): i32 {
  const bad = rowsBad(order, offset, count, n);
  if (bad >= 0) return bad;
  const b0 = load<f32>(b);
  if (count <= FEW) {
    const rSum = stepFew(X, y, order, w, b0, g, d, offset, count, lr, penalty, decay);
    finish1(w, b, d, count, lr, biasDecay, l1t, b0, rSum);
  } else {
    const rSum = accumulate1(X, y, order, w, b0, g, d, offset, count);
    update1(w, b, g, d, count, lr, penalty, decay, biasDecay, l1t, b0, rSum);
  }
  return -1;
}

/** The largest batch `stepFew` takes: two four-row blocks. */
const FEW: i32 = 8;

/** Row t of the batch whose row order starts at `o`, or X itself past its `count` rows. */
@inline
function batchRow(X: usize, o: usize, t: i32, count: i32, rowBytes: usize): usize {
  return t < count ? X + <usize>load<i32>(o + ((<usize>t) << 2)) * rowBytes : X;
}

/**
 * The weights' update of a step of at most FEW rows, without a gradient buffer: the residuals rₜ
 * first (into `r`, FEW floats), then one pass over w in which each 4-wide slice of g = Σₜ rₜ·xₜ is
 * summed in registers and w updated at once, so w is read and written once and g is never
 * stored. Rows past the batch are skipped by tests on `count` inside the loop: they branch the
 * same way every time, and padding the batch to 4 or 8 rows cost more (measured: 8 rows for 5
 * took 30% longer). Returns Σ rₜ.
 */
@inline
function stepFew(
  X: usize,
  y: usize,
  order: usize,
  w: usize,
  b0: f32,
  r: usize,
  d: i32,
  offset: i32,
  count: i32,
  lr: f32,
  penalty: f32,
  decay: f32,
): f32 {
  const rowBytes = <usize>d << 2;
  const o = order + ((<usize>offset) << 2);
  let rSum: f32 = 0;
  let t = 0;
  for (; t + 4 <= count; t += 4) {
    const ot = o + ((<usize>t) << 2);
    const i0 = load<i32>(ot);
    const i1 = load<i32>(ot, 4);
    const i2 = load<i32>(ot, 8);
    const i3 = load<i32>(ot, 12);
    const s = dot4(
      X + <usize>i0 * rowBytes,
      X + <usize>i1 * rowBytes,
      X + <usize>i2 * rowBytes,
      X + <usize>i3 * rowBytes,
      w,
      d,
    );
    const r0 = b0 + f32x4.extract_lane(s, 0) - load<f32>(y + ((<usize>i0) << 2));
    const r1 = b0 + f32x4.extract_lane(s, 1) - load<f32>(y + ((<usize>i1) << 2));
    const r2 = b0 + f32x4.extract_lane(s, 2) - load<f32>(y + ((<usize>i2) << 2));
    const r3 = b0 + f32x4.extract_lane(s, 3) - load<f32>(y + ((<usize>i3) << 2));
    rSum += r0 + r1 + r2 + r3;
    const rt = r + ((<usize>t) << 2);
    store<f32>(rt, r0);
    store<f32>(rt, r1, 4);
    store<f32>(rt, r2, 8);
    store<f32>(rt, r3, 12);
  }
  for (; t < count; t++) {
    const row = load<i32>(o + ((<usize>t) << 2));
    const rv = b0 + dot(X + <usize>row * rowBytes, w, d) - load<f32>(y + ((<usize>row) << 2));
    rSum += rv;
    store<f32>(r + ((<usize>t) << 2), rv);
  }

  const inv: f32 = 1 / <f32>count;
  const shrink = f32x4.splat(1 - lr * decay);
  const lp = f32x4.splat(lr * penalty);
  const li = f32x4.splat(lr * inv);
  const x0 = batchRow(X, o, 0, count, rowBytes);
  const x1 = batchRow(X, o, 1, count, rowBytes);
  const x2 = batchRow(X, o, 2, count, rowBytes);
  const x3 = batchRow(X, o, 3, count, rowBytes);
  const x4 = batchRow(X, o, 4, count, rowBytes);
  const x5 = batchRow(X, o, 5, count, rowBytes);
  const x6 = batchRow(X, o, 6, count, rowBytes);
  const x7 = batchRow(X, o, 7, count, rowBytes);
  const q0 = v128.load32_splat(r);
  const q1 = v128.load32_splat(r, 4);
  const q2 = v128.load32_splat(r, 8);
  const q3 = v128.load32_splat(r, 12);
  const d4 = d & ~3;
  if (count <= 4) {
    for (let j = 0; j < d4; j += 4) {
      const q = <usize>j << 2;
      let g = f32x4.mul(q0, v128.load(x0 + q));
      if (count > 1) g = f32x4.add(g, f32x4.mul(q1, v128.load(x1 + q)));
      if (count > 2) {
        let h = f32x4.mul(q2, v128.load(x2 + q));
        if (count > 3) h = f32x4.add(h, f32x4.mul(q3, v128.load(x3 + q)));
        g = f32x4.add(g, h);
      }
      v128.store(w + q, updated(v128.load(w + q), g, shrink, li, lp));
    }
  } else {
    for (let j = 0; j < d4; j += 4) {
      const q = <usize>j << 2;
      let g = f32x4.add(
        f32x4.add(f32x4.mul(q0, v128.load(x0 + q)), f32x4.mul(q1, v128.load(x1 + q))),
        f32x4.add(f32x4.mul(q2, v128.load(x2 + q)), f32x4.mul(q3, v128.load(x3 + q))),
      );
      // Rows 4..7's coefficients load inside the loop: in registers they would spill.
      g = f32x4.add(g, f32x4.mul(v128.load32_splat(r, 16), v128.load(x4 + q)));
      if (count > 5) {
        g = f32x4.add(g, f32x4.mul(v128.load32_splat(r, 20), v128.load(x5 + q)));
        if (count > 6) {
          g = f32x4.add(g, f32x4.mul(v128.load32_splat(r, 24), v128.load(x6 + q)));
          if (count > 7) g = f32x4.add(g, f32x4.mul(v128.load32_splat(r, 28), v128.load(x7 + q)));
        }
      }
      v128.store(w + q, updated(v128.load(w + q), g, shrink, li, lp));
    }
  }
  // The last d mod 4 weights, one at a time, each summing the batch's rows in order.
  for (let j = d4; j < d; j++) {
    const q = <usize>j << 2;
    let gj: f32 = 0;
    for (let k = 0; k < count; k++) {
      gj += load<f32>(r + ((<usize>k) << 2)) * load<f32>(batchRow(X, o, k, count, rowBytes) + q);
    }
    store<f32>(w + q, updatedOne(load<f32>(w + q), gj, lr, inv, penalty, decay));
  }
  return rSum;
}

/** The same update of one weight: (1 − lr·decay)·w − (lr·inv·g + lr·penalty·w). */
@inline
function updatedOne(wj: f32, g: f32, lr: f32, inv: f32, penalty: f32, decay: f32): f32 {
  return (1 - lr * decay) * wj - (lr * inv * g + lr * penalty * wj);
}

/** shrink·w − (li·g + lp·w): a step's update of four weights from their gradient g. */
@inline
function updated(wj: v128, g: v128, shrink: v128, li: v128, lp: v128): v128 {
  return f32x4.sub(f32x4.mul(shrink, wj), f32x4.add(f32x4.mul(li, g), f32x4.mul(lp, wj)));
}

/**
 * g = Σ rᵢ·xᵢ over the rows order[offset .. offset+count), rᵢ = xᵢ·w + b0 − yᵢ; returns Σ rᵢ.
 */
@inline
function accumulate1(
  X: usize,
  y: usize,
  order: usize,
  w: usize,
  b0: f32,
  g: usize,
  d: i32,
  offset: i32,
  count: i32,
): f32 {
  memory.fill(g, 0, <usize>d << 2);
  let rSum: f32 = 0;
  const rowBytes = <usize>d << 2;
  const y0 = y;
  // Four rows at a time: four independent dot products share each load of w and keep four rows'
  // cache misses in flight together (the rows are scattered over X: the gather is the cost on
  // tall data), then one pass adds all four into g, so g is loaded and stored once per four rows.
  let t = 0;
  for (; t + 4 <= count; t += 4) {
    const o = order + ((<usize>(offset + t)) << 2);
    const i0 = load<i32>(o);
    const i1 = load<i32>(o, 4);
    const i2 = load<i32>(o, 8);
    const i3 = load<i32>(o, 12);
    const x0 = X + <usize>i0 * rowBytes;
    const x1 = X + <usize>i1 * rowBytes;
    const x2 = X + <usize>i2 * rowBytes;
    const x3 = X + <usize>i3 * rowBytes;
    const s = dot4(x0, x1, x2, x3, w, d);
    const s0 = f32x4.extract_lane(s, 0);
    const s1 = f32x4.extract_lane(s, 1);
    const s2 = f32x4.extract_lane(s, 2);
    const s3 = f32x4.extract_lane(s, 3);
    const r0 = b0 + s0 - load<f32>(y0 + ((<usize>i0) << 2));
    const r1 = b0 + s1 - load<f32>(y0 + ((<usize>i1) << 2));
    const r2 = b0 + s2 - load<f32>(y0 + ((<usize>i2) << 2));
    const r3 = b0 + s3 - load<f32>(y0 + ((<usize>i3) << 2));
    rSum += r0 + r1 + r2 + r3;
    const v0 = f32x4.splat(r0);
    const v1 = f32x4.splat(r1);
    const v2 = f32x4.splat(r2);
    const v3 = f32x4.splat(r3);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const q = <usize>j << 2;
      const sum01 = f32x4.add(f32x4.mul(v0, v128.load(x0 + q)), f32x4.mul(v1, v128.load(x1 + q)));
      const sum23 = f32x4.add(f32x4.mul(v2, v128.load(x2 + q)), f32x4.mul(v3, v128.load(x3 + q)));
      v128.store(g + q, f32x4.add(v128.load(g + q), f32x4.add(sum01, sum23)));
    }
    for (; j < d; j++) {
      const q = <usize>j << 2;
      const add =
        r0 * load<f32>(x0 + q) +
        r1 * load<f32>(x1 + q) +
        r2 * load<f32>(x2 + q) +
        r3 * load<f32>(x3 + q);
      store<f32>(g + q, load<f32>(g + q) + add);
    }
  }
  for (; t < count; t++) {
    const row = load<i32>(order + ((<usize>(offset + t)) << 2));
    const x = X + <usize>row * rowBytes;
    const r = b0 + dot(x, w, d) - load<f32>(y + ((<usize>row) << 2));
    rSum += r;
    axpy(g, r, x, d);
  }
  return rSum;
}

/** The update of a step from its summed gradient g and residual sum (see sgdStep1). */
@inline
function update1(
  w: usize,
  b: usize,
  g: usize,
  d: i32,
  count: i32,
  lr: f32,
  penalty: f32,
  decay: f32,
  biasDecay: f32,
  l1t: f32,
  b0: f32,
  rSum: f32,
): void {
  const inv: f32 = 1 / <f32>count;
  // w ← shrink·w − lr·(g/count + penalty·w) = shrink·w − ((lr/count)·g + lr·penalty·w)
  const shrink = f32x4.splat(1 - lr * decay);
  const lp = f32x4.splat(lr * penalty);
  const li = f32x4.splat(lr * inv);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 2;
    v128.store(w + o, updated(v128.load(w + o), v128.load(g + o), shrink, li, lp));
  }
  for (; j < d; j++) {
    const o = <usize>j << 2;
    store<f32>(w + o, updatedOne(load<f32>(w + o), load<f32>(g + o), lr, inv, penalty, decay));
  }
  finish1(w, b, d, count, lr, biasDecay, l1t, b0, rSum);
}

/** The end of a step, once w has its smooth update: the L1 proximal step, then the bias. */
@inline
function finish1(
  w: usize,
  b: usize,
  d: i32,
  count: i32,
  lr: f32,
  biasDecay: f32,
  l1t: f32,
  b0: f32,
  rSum: f32,
): void {
  if (l1t > 0) {
    for (let k = 0; k < d; k++) {
      const o = <usize>k << 2;
      store<f32>(w + o, soft(load<f32>(w + o), l1t));
    }
  }
  const inv: f32 = 1 / <f32>count;
  store<f32>(b, (1 - lr * biasDecay) * b0 - lr * rSum * inv);
}

// ---------------------------------------------------------------------------------------------
// Minibatch SGD, L weight columns (λ grids, multi-output), primal form

/**
 * One SGD step for L columns side by side, SIMD across the columns. `y` has `yCols` columns: 1
 * (shared by every weight column) or L (column l reads y[:, l]). `coef` holds 4·L f32 per-column
 * values: penalty, decay, biasDecay, λ₁. `r` (count·L f32) and `g` (d·L f32) are scratch.
 */
export function sgdStepL(
  X: usize,
  y: usize,
  yCols: i32,
  order: usize,
  w: usize,
  b: usize,
  r: usize,
  g: usize,
  coef: usize,
  n: i32,
  d: i32,
  L: i32,
  offset: i32,
  count: i32,
  lr: f32,
  hasL1: i32,
): i32 {
  const bad = rowsBad(order, offset, count, n);
  if (bad >= 0) return bad;
  forwardL(X, y, yCols, order, w, b, r, d, L, offset, 0, count);
  gradientL(X, order, r, g, d, L, offset, 0, count);
  updateL(w, b, r, g, coef, d, L, count, lr, hasL1);
  return -1;
}

/** r[t, :] = x_{order[offset+t]}·w + b − y for batch positions t in [lo, hi) (see sgdStepL). */
@inline
function forwardL(
  X: usize,
  y: usize,
  yCols: i32,
  order: usize,
  w: usize,
  b: usize,
  r: usize,
  d: i32,
  L: i32,
  offset: i32,
  lo: i32,
  hi: i32,
): void {
  const rowBytes = <usize>d << 2;
  const colBytes = <usize>L << 2;
  for (let t = lo; t < hi; t++) {
    const row = load<i32>(order + ((<usize>(offset + t)) << 2));
    const x = X + <usize>row * rowBytes;
    const rt = r + <usize>t * colBytes;
    const yr = y + <usize>row * (<usize>yCols << 2);
    for (let l = 0; l < L; l++) {
      const yv = load<f32>(yr + (yCols == 1 ? 0 : (<usize>l) << 2));
      store<f32>(rt + ((<usize>l) << 2), load<f32>(b + ((<usize>l) << 2)) - yv);
    }
    for (let j = 0; j < d; j++) {
      const xv = load<f32>(x + ((<usize>j) << 2));
      axpy(rt, xv, w + <usize>j * colBytes, L);
    }
  }
}

/** g = Σ_t x_{order[offset+t]} ⊗ r[t, :] over batch positions t in [lo, hi). */
@inline
function gradientL(
  X: usize,
  order: usize,
  r: usize,
  g: usize,
  d: i32,
  L: i32,
  offset: i32,
  lo: i32,
  hi: i32,
): void {
  const rowBytes = <usize>d << 2;
  const colBytes = <usize>L << 2;
  memory.fill(g, 0, <usize>d * colBytes);
  for (let t = lo; t < hi; t++) {
    const row = load<i32>(order + ((<usize>(offset + t)) << 2));
    const x = X + <usize>row * rowBytes;
    const rt = r + <usize>t * colBytes;
    for (let j = 0; j < d; j++) {
      axpy(g + <usize>j * colBytes, load<f32>(x + ((<usize>j) << 2)), rt, L);
    }
  }
}

/** The update of an L-column step from its summed gradient g and residuals r (see sgdStepL). */
@inline
function updateL(
  w: usize,
  b: usize,
  r: usize,
  g: usize,
  coef: usize,
  d: i32,
  L: i32,
  count: i32,
  lr: f32,
  hasL1: i32,
): void {
  const colBytes = <usize>L << 2;
  const inv: f32 = 1 / <f32>count;
  const pen = coef;
  const dec = coef + colBytes;
  const bdec = coef + 2 * colBytes;
  const l1 = coef + 3 * colBytes;
  const lrv = f32x4.splat(lr);
  const one = f32x4.splat(1);
  const li = f32x4.splat(lr * inv);
  for (let j = 0; j < d; j++) {
    const wj = w + <usize>j * colBytes;
    const gj = g + <usize>j * colBytes;
    let l = 0;
    for (; l + 4 <= L; l += 4) {
      const o = <usize>l << 2;
      const wv = v128.load(wj + o);
      const shrink = f32x4.sub(one, f32x4.mul(lrv, v128.load(dec + o)));
      const lp = f32x4.mul(lrv, v128.load(pen + o));
      v128.store(
        wj + o,
        f32x4.sub(f32x4.mul(shrink, wv), f32x4.add(f32x4.mul(li, v128.load(gj + o)), f32x4.mul(lp, wv))),
      );
    }
    for (; l < L; l++) {
      const o = <usize>l << 2;
      const wv = load<f32>(wj + o);
      const shrink: f32 = 1 - lr * load<f32>(dec + o);
      store<f32>(wj + o, shrink * wv - (lr * inv * load<f32>(gj + o) + lr * load<f32>(pen + o) * wv));
    }
  }
  if (hasL1) {
    for (let l = 0; l < L; l++) {
      const t: f32 = lr * load<f32>(l1 + ((<usize>l) << 2));
      if (t == 0) continue;
      for (let j = 0; j < d; j++) {
        const p = w + <usize>j * colBytes + ((<usize>l) << 2);
        store<f32>(p, soft(load<f32>(p), t));
      }
    }
  }
  for (let l = 0; l < L; l++) {
    let rSum: f32 = 0;
    for (let t = 0; t < count; t++) rSum += load<f32>(r + <usize>t * colBytes + ((<usize>l) << 2));
    const o = <usize>l << 2;
    store<f32>(b + o, (1 - lr * load<f32>(bdec + o)) * load<f32>(b + o) - lr * rSum * inv);
  }
}

// ---------------------------------------------------------------------------------------------
// Loss

/**
 * Mean ½(Xw + b − y)² over n rows for one column; rows four at a time (four independent dot
 * products per load of w), squares accumulated in f64.
 */
export function loss1(X: usize, y: usize, w: usize, b: f32, n: i32, d: i32): f64 {
  return (0.5 * squares1(X, y, w, b, d, 0, n)) / <f64>n;
}

/** Σ (xᵢ·w + b − yᵢ)² over rows i in [lo, hi), four rows at a time, in f64. */
@inline
function squares1(X: usize, y: usize, w: usize, b: f32, d: i32, lo: i32, hi: i32): f64 {
  const rowBytes = <usize>d << 2;
  let acc: f64 = 0;
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const x0 = X + <usize>i * rowBytes;
    const x1 = x0 + rowBytes;
    const x2 = x1 + rowBytes;
    const x3 = x2 + rowBytes;
    const s = dot4(x0, x1, x2, x3, w, d);
    const s0 = f32x4.extract_lane(s, 0);
    const s1 = f32x4.extract_lane(s, 1);
    const s2 = f32x4.extract_lane(s, 2);
    const s3 = f32x4.extract_lane(s, 3);
    const yi = y + ((<usize>i) << 2);
    const r0 = <f64>(b + s0 - load<f32>(yi));
    const r1 = <f64>(b + s1 - load<f32>(yi, 4));
    const r2 = <f64>(b + s2 - load<f32>(yi, 8));
    const r3 = <f64>(b + s3 - load<f32>(yi, 12));
    acc += r0 * r0 + r1 * r1 + r2 * r2 + r3 * r3;
  }
  for (; i < hi; i++) {
    const r = <f64>(b + dot(X + <usize>i * rowBytes, w, d) - load<f32>(y + ((<usize>i) << 2)));
    acc += r * r;
  }
  return acc;
}

/**
 * Mean ½(Xw + b − y)² per column into `out` (L f32). `z` is L f32 scratch, `acc` L f64 scratch.
 */
export function lossL(
  out: usize,
  X: usize,
  y: usize,
  yCols: i32,
  w: usize,
  b: usize,
  z: usize,
  acc: usize,
  n: i32,
  d: i32,
  L: i32,
): void {
  memory.fill(acc, 0, <usize>L << 3);
  squaresL(acc, z, X, y, yCols, w, b, d, L, 0, n);
  for (let l = 0; l < L; l++) {
    store<f32>(out + ((<usize>l) << 2), <f32>((0.5 * load<f64>(acc + ((<usize>l) << 3))) / <f64>n));
  }
}

/** acc[l] += Σ (xᵢ·w[:, l] + b[l] − yᵢ)² over rows i in [lo, hi); z is L f32 scratch. */
@inline
function squaresL(
  acc: usize,
  z: usize,
  X: usize,
  y: usize,
  yCols: i32,
  w: usize,
  b: usize,
  d: i32,
  L: i32,
  lo: i32,
  hi: i32,
): void {
  const rowBytes = <usize>d << 2;
  const colBytes = <usize>L << 2;
  for (let i = lo; i < hi; i++) {
    const x = X + <usize>i * rowBytes;
    const yr = y + <usize>i * (<usize>yCols << 2);
    for (let l = 0; l < L; l++) {
      const yv = load<f32>(yr + (yCols == 1 ? 0 : (<usize>l) << 2));
      store<f32>(z + ((<usize>l) << 2), load<f32>(b + ((<usize>l) << 2)) - yv);
    }
    for (let j = 0; j < d; j++) axpy(z, load<f32>(x + ((<usize>j) << 2)), w + <usize>j * colBytes, L);
    for (let l = 0; l < L; l++) {
      const v = <f64>load<f32>(z + ((<usize>l) << 2));
      const p = acc + ((<usize>l) << 3);
      store<f64>(p, load<f64>(p) + v * v);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Matrix products up to 2²⁶ multiply-adds (larger ones go to tfjs-backend-wasm's XNNPACK GEMM)

/**
 * Rows [lo, hi) and columns [jlo, jhi) of C (m×n) = op(A)·B, B k×n row-major; op(A) is A (m×k)
 * or, with `tA`, Aᵀ (A stored k×m). Every C[i][j] is Σ over p = 0, 1, … k−1 of
 * op(A)[i][p]·B[p][j], added in that order from 0 in f32 (a product rounded, then the sum):
 * whatever the blocking below and however rows or columns are split over threads, each entry
 * gets the same bits.
 *
 * Register-blocked in the broadcast form: 4 rows × 8 columns of C are 8 f32x4 accumulators; each
 * p loads two vectors of B's row p and broadcasts one value of op(A) per row. Nothing is packed
 * or transposed: training's operands change every step, and packing them (XNNPACK's GEMM) cost
 * as much as the product. Column panels run outermost, so a panel of B (k × 32 bytes) stays in
 * cache across the row blocks.
 */
export function gemmRows(
  C: usize,
  A: usize,
  B: usize,
  m: i32,
  k: i32,
  n: i32,
  tA: i32,
  lo: i32,
  hi: i32,
  jlo: i32,
  jhi: i32,
): void {
  if (tA) gemmPanels(C, A, B, m, k, n, true, lo, hi, jlo, jhi);
  else gemmPanels(C, A, B, m, k, n, false, lo, hi, jlo, jhi);
}

@inline
function gemmPanels(
  C: usize,
  A: usize,
  B: usize,
  m: i32,
  k: i32,
  n: i32,
  tA: bool,
  lo: i32,
  hi: i32,
  jlo: i32,
  jhi: i32,
): void {
  let j = jlo;
  for (; j + 8 <= jhi; j += 8) gemmColumns(C, A, B, m, k, n, tA, lo, hi, j, 2);
  if (j + 4 <= jhi) {
    gemmColumns(C, A, B, m, k, n, tA, lo, hi, j, 1);
    j += 4;
  }
  for (; j < jhi; j++) gemmColumns(C, A, B, m, k, n, tA, lo, hi, j, 0);
}

/** Rows [lo, hi) of one panel of columns from j (`vectors` as in gemmBlock): 4 rows at a time. */
@inline
function gemmColumns(
  C: usize,
  A: usize,
  B: usize,
  m: i32,
  k: i32,
  n: i32,
  tA: bool,
  lo: i32,
  hi: i32,
  j: i32,
  vectors: i32,
): void {
  let i = lo;
  for (; i + 4 <= hi; i += 4) gemmBlock(C, A, B, m, k, n, tA, i, j, 4, vectors);
  for (; i < hi; i++) gemmBlock(C, A, B, m, k, n, tA, i, j, 1, vectors);
}

/**
 * C[i .. i+rows)[j .. j+width) for rows 4 or 1 and `vectors` 2 (8 columns), 1 (4) or 0 (one
 * column, in lane 0). Constant `rows`, `vectors` and `tA` at every call: each compiles to its own
 * straight loop. op(A)'s values are broadcast as they load (`v128.load32_splat`, one load
 * instruction on x86 with AVX): a shuffle per value would compete with the multiplies and adds
 * for the same execution ports (1.4× slower, measured).
 */
@inline
function gemmBlock(
  C: usize,
  A: usize,
  B: usize,
  m: i32,
  k: i32,
  n: i32,
  tA: bool,
  i: i32,
  j: i32,
  rows: i32,
  vectors: i32,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  const rowBytes = <usize>n << 2;
  // op(A)[i+r][p] at a + r·rowStep + p·pStep.
  const a = tA ? A + ((<usize>i) << 2) : A + ((<usize>i * <usize>k) << 2);
  const rowStep: usize = tA ? 4 : (<usize>k) << 2;
  const pStep: usize = tA ? (<usize>m) << 2 : 4;
  let ap = a;
  let bp = B + ((<usize>j) << 2);
  for (let p = 0; p < k; p++) {
    const b0 = vectors > 0 ? v128.load(bp) : v128.load32_splat(bp);
    const b1 = vectors > 1 ? v128.load(bp, 16) : b0;
    const a0 = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    if (vectors > 1) c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    if (rows > 1) {
      const a1 = v128.load32_splat(ap + rowStep);
      const a2 = v128.load32_splat(ap + 2 * rowStep);
      const a3 = v128.load32_splat(ap + 3 * rowStep);
      c10 = f32x4.add(c10, f32x4.mul(a1, b0));
      c20 = f32x4.add(c20, f32x4.mul(a2, b0));
      c30 = f32x4.add(c30, f32x4.mul(a3, b0));
      if (vectors > 1) {
        c11 = f32x4.add(c11, f32x4.mul(a1, b1));
        c21 = f32x4.add(c21, f32x4.mul(a2, b1));
        c31 = f32x4.add(c31, f32x4.mul(a3, b1));
      }
    }
    ap += pStep;
    bp += rowBytes;
  }
  const c = C + ((<usize>i * <usize>n + <usize>j) << 2);
  gemmStore(c, c00, c01, vectors);
  if (rows > 1) {
    gemmStore(c + rowBytes, c10, c11, vectors);
    gemmStore(c + 2 * rowBytes, c20, c21, vectors);
    gemmStore(c + 3 * rowBytes, c30, c31, vectors);
  }
}

@inline
function gemmStore(c: usize, v0: v128, v1: v128, vectors: i32): void {
  if (vectors == 0) store<f32>(c, f32x4.extract_lane(v0, 0));
  else {
    v128.store(c, v0);
    if (vectors > 1) v128.store(c, v1, 16);
  }
}

/**
 * out (cols×rows) = Aᵀ for A (rows×cols), 32-bit elements, in 16×16 tiles so that both sides
 * stay in cache. Large products with a transposed operand are transposed first: tfjs-backend-wasm
 * sends transposed operands to a naive loop, untransposed ones to XNNPACK's GEMM.
 */
export function transpose(out: usize, A: usize, rows: i32, cols: i32): void {
  for (let i0 = 0; i0 < rows; i0 += 16) {
    const i1 = min(i0 + 16, rows);
    for (let j0 = 0; j0 < cols; j0 += 16) {
      const j1 = min(j0 + 16, cols);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<u32>(
            out + ((<usize>j * <usize>rows + <usize>i) << 2),
            load<u32>(A + ((<usize>i * <usize>cols + <usize>j) << 2)),
          );
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dual form of a λ grid (see src/dual.ts): w_l = s_l·w₀_l + Xᵀ·A[:, l], state in f64.

/** Σ a[i]·b[i] over d f64 values, f64x2 with two accumulators. */
@inline
function dot64(a: usize, b: usize, d: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 3;
    a0 = f64x2.add(a0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(a + o + 16), v128.load(b + o + 16)));
  }
  const v = f64x2.add(a0, a1);
  let acc = f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
  for (; j < d; j++) {
    const o = <usize>j << 3;
    acc += load<f64>(a + o) * load<f64>(b + o);
  }
  return acc;
}

/**
 * Rows [lo, hi) of out (m×n f64) = X₁·X₂ᵀ for f32 X₁ (m×d) and f64 X₂ (n×d): Gram and
 * cross-Gram matrices, accumulated in f64 since they enter every later step. `row` is d f64 of
 * scratch. Each entry is one thread's whole sum, so a split by rows changes no bit.
 */
export function gram(
  out: usize,
  X1: usize,
  X2: usize,
  n: i32,
  d: i32,
  row: usize,
  lo: i32,
  hi: i32,
): void {
  const rowBytes = <usize>d << 2;
  for (let i = lo; i < hi; i++) {
    widen(row, X1 + <usize>i * rowBytes, d);
    for (let k = 0; k < n; k++) {
      store<f64>(out + ((<usize>i * <usize>n + <usize>k) << 3), dot64(row, X2 + <usize>k * (<usize>d << 3), d));
    }
  }
}

/**
 * Rows [lo, hi) of out (m×L f64) = X·W₀ for f32 X (m×d) and f64 W₀ (d×L), over blocks of 8
 * columns held in four SIMD accumulators.
 */
export function xw64(out: usize, X: usize, d: i32, W0: usize, L: i32, lo: i32, hi: i32): void {
  const colBytes = <usize>L << 3;
  for (let i = lo; i < hi; i++) {
    const o = out + <usize>i * colBytes;
    const x = X + <usize>i * (<usize>d << 2);
    let l = 0;
    for (; l + 8 <= L; l += 8) {
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let a2 = f64x2.splat(0);
      let a3 = f64x2.splat(0);
      let wj = W0 + ((<usize>l) << 3);
      for (let j = 0; j < d; j++) {
        const v = f64x2.splat(<f64>load<f32>(x + ((<usize>j) << 2)));
        a0 = f64x2.add(a0, f64x2.mul(v, v128.load(wj)));
        a1 = f64x2.add(a1, f64x2.mul(v, v128.load(wj + 16)));
        a2 = f64x2.add(a2, f64x2.mul(v, v128.load(wj + 32)));
        a3 = f64x2.add(a3, f64x2.mul(v, v128.load(wj + 48)));
        wj += colBytes;
      }
      const p = o + ((<usize>l) << 3);
      v128.store(p, a0);
      v128.store(p + 16, a1);
      v128.store(p + 32, a2);
      v128.store(p + 48, a3);
    }
    if (l < L) {
      const p = o + ((<usize>l) << 3);
      memory.fill(p, 0, <usize>(L - l) << 3);
      for (let j = 0; j < d; j++) {
        const v = <f64>load<f32>(x + ((<usize>j) << 2));
        axpy64(p, v, W0 + <usize>j * colBytes + ((<usize>l) << 3), L - l);
      }
    }
  }
}

/**
 * out = α·x + β·y over `count` f32: each element in f64 and rounded to f32 once, as the host
 * loop computes it (Float32Array stores round a double once), two at a time in f64x2.
 */
export function axpby(out: usize, x: usize, y: usize, alpha: f64, beta: f64, count: i32): void {
  const a = f64x2.splat(alpha);
  const b = f64x2.splat(beta);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const xv = v128.load(x + o);
    const yv = v128.load(y + o);
    const xh = v128.shuffle<u32>(xv, xv, 2, 3, 0, 1);
    const yh = v128.shuffle<u32>(yv, yv, 2, 3, 0, 1);
    const lo = f64x2.add(
      f64x2.mul(a, f64x2.promote_low_f32x4(xv)),
      f64x2.mul(b, f64x2.promote_low_f32x4(yv)),
    );
    const hi = f64x2.add(
      f64x2.mul(a, f64x2.promote_low_f32x4(xh)),
      f64x2.mul(b, f64x2.promote_low_f32x4(yh)),
    );
    v128.store(
      out + o,
      v128.shuffle<u32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5),
    );
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>(alpha * <f64>load<f32>(x + o) + beta * <f64>load<f32>(y + o)));
  }
}

/**
 * A dense layer's bias and ReLU, in place on Z = A·W (rows×cols): z ← z + b[col], then
 * max(z, 0) when `relu` ≠ 0. One f32 add (the composition's broadcast add rounds the same) and
 * f32x4.max, which gives NaN for NaN and +0 for −0, as the relu primitive does.
 */
export function biasRelu(z: usize, b: usize, rows: i32, cols: i32, relu: i32): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    const row = z + ((<usize>i * <usize>cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      let v = f32x4.add(v128.load(row + o), v128.load(b + o));
      if (relu) v = f32x4.max(v, zero);
      v128.store(row + o, v);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      let v: f32 = load<f32>(row + o) + load<f32>(b + o);
      if (relu) v = v > 0 ? v : v != v ? v : 0;
      store<f32>(row + o, v);
    }
  }
}

/**
 * ReLU's mask applied in place: g ← g·1[a > 0] over `count` elements, as a product (a masked
 * −x is −0, a masked NaN or ∞ is NaN), which is what the composition's multiply by the mask gives.
 */
export function maskByStep(g: usize, a: usize, count: i32): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const o = <usize>i << 2;
    const m = v128.and(f32x4.gt(v128.load(a + o), zero), one);
    v128.store(g + o, f32x4.mul(v128.load(g + o), m));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    store<f32>(g + o, load<f32>(g + o) * (load<f32>(a + o) > 0 ? <f32>1 : <f32>0));
  }
}

/**
 * Rounds `count` f64 from `src` to f32 at `out` (round to nearest even, as a JavaScript
 * Float32Array store rounds): host uploads of float64 data. V8 converts element by element, at
 * about 1.4 ns each into a shared heap; a copy of the f64 bytes and this SIMD pass take a third.
 */
export function narrow(out: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const lo = v128.load(src + ((<usize>i) << 3));
    const hi = v128.load(src + ((<usize>i) << 3), 16);
    v128.store(
      out + ((<usize>i) << 2),
      v128.shuffle<u32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5),
    );
  }
  for (; i < count; i++) {
    store<f32>(out + ((<usize>i) << 2), <f32>load<f64>(src + ((<usize>i) << 3)));
  }
}

/**
 * `bytes` (a multiple of 4: whole 32-bit values) from src to out, which do not overlap, 64 at a
 * time in v128 loads and stores.
 * Not `memory.copy`: V8 runs it as the C library's memmove, which on the bench's machine (AMD
 * EPYC) took 229 µs for 800 KB where the destination began 8 bytes past a multiple of 4 KiB
 * after the source (a layer's weights and the next block of the heap), and 18 µs the other way
 * round; this loop takes 19–20 µs both ways.
 */
@inline
function copyBytes(out: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 64 <= bytes; i += 64) {
    const a = v128.load(src + i);
    const b = v128.load(src + i, 16);
    const c = v128.load(src + i, 32);
    const d = v128.load(src + i, 48);
    v128.store(out + i, a);
    v128.store(out + i, b, 16);
    v128.store(out + i, c, 32);
    v128.store(out + i, d, 48);
  }
  for (; i < bytes; i += 4) store<u32>(out + i, load<u32>(src + i));
}

/**
 * out (count × d 32-bit values) = the rows order[offset .. offset+count) of X, indices already
 * checked. In the kernel because a copy inside a shared heap from JavaScript (`copyWithin` on a
 * SharedArrayBuffer) took 5× as long: 0.1 ms for a 64 × 784 batch.
 */
export function gatherRows(out: usize, X: usize, order: usize, offset: i32, count: i32, d: i32): void {
  const rowBytes = <usize>d << 2;
  for (let t = 0; t < count; t++) {
    const row = load<i32>(order + ((<usize>(offset + t)) << 2));
    copyBytes(out + <usize>t * rowBytes, X + <usize>row * rowBytes, rowBytes);
  }
}

/** `bytes` bytes from src to out, distinct tensors (a whole tensor's `assign`). */
export function copy(out: usize, src: usize, bytes: usize): void {
  copyBytes(out, src, bytes);
}

/**
 * out (cols f32) = the column sums of x (rows × cols f32): each column summed in f64 from row 0
 * on, in order, and rounded once on the store (a layer's bias gradient). Four columns at a time,
 * in two f64x2 sums kept in `acc` (cols f64 of scratch): each column's additions are the same,
 * in the same order, as a scalar loop's.
 */
export function sumRows(out: usize, x: usize, rows: i32, cols: i32, acc: usize): void {
  memory.fill(acc, 0, <usize>cols << 3);
  const rowBytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) {
    const row = x + <usize>i * rowBytes;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v = v128.load(row + ((<usize>j) << 2));
      const a = acc + ((<usize>j) << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
      v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1))), 16);
    }
    for (; j < cols; j++) {
      const a = acc + ((<usize>j) << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(row + ((<usize>j) << 2)));
    }
  }
  for (let j = 0; j < cols; j++) {
    store<f32>(out + ((<usize>j) << 2), <f32>load<f64>(acc + ((<usize>j) << 3)));
  }
}

/** Copies f32 w (d×L) to f64 W₀. */
export function widen(W0: usize, w: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    store<f64>(W0 + ((<usize>i) << 3), <f64>load<f32>(w + ((<usize>i) << 2)));
  }
}

/** Rows [lo, hi) of w (f32 d×L) = W₀∘s + Xᵀ·A, with `tmp` L f64 scratch. */
export function materialize(
  w: usize,
  X: usize,
  n: i32,
  d: i32,
  W0: usize,
  s: usize,
  A: usize,
  L: i32,
  tmp: usize,
  lo: i32,
  hi: i32,
): void {
  const colBytes = <usize>L << 3;
  for (let j = lo; j < hi; j++) {
    for (let l = 0; l < L; l++) {
      const o = <usize>l << 3;
      store<f64>(tmp + o, load<f64>(W0 + <usize>j * colBytes + o) * load<f64>(s + o));
    }
    for (let i = 0; i < n; i++) {
      const x = <f64>load<f32>(X + ((<usize>i * <usize>d + <usize>j) << 2));
      if (x == 0) continue;
      axpy64(tmp, x, A + <usize>i * colBytes, L);
    }
    for (let l = 0; l < L; l++) {
      store<f32>(w + ((<usize>j * <usize>L + <usize>l) << 2), <f32>load<f64>(tmp + ((<usize>l) << 3)));
    }
  }
}

/**
 * Residuals of `count` rows in dual form into `r` (count×L f64): for row e = rows[t] (or t when
 * `rows` is 0), r = s∘P[e] + b − y[e] + G[e]·A, with G (· × n) and P (· × L) f64. The product
 * runs over blocks of 8 columns held in four SIMD accumulators, so A is only loaded.
 */
function dualResiduals(
  r: usize,
  rows: usize,
  offset: i32,
  count: i32,
  G: usize,
  P: usize,
  A: usize,
  s: usize,
  b: usize,
  y: usize,
  yCols: i32,
  n: i32,
  L: i32,
): void {
  const colBytes = <usize>L << 3;
  for (let t = 0; t < count; t++) {
    const e = rows ? load<i32>(rows + ((<usize>(offset + t)) << 2)) : t;
    const rt = r + <usize>t * colBytes;
    const pe = P + <usize>e * colBytes;
    const yr = y + <usize>e * (<usize>yCols << 2);
    const y0 = <f64>load<f32>(yr);
    for (let l = 0; l < L; l++) {
      const o = <usize>l << 3;
      const yv = yCols == 1 ? y0 : <f64>load<f32>(yr + ((<usize>l) << 2));
      store<f64>(
        rt + o,
        load<f64>(s + o) * load<f64>(pe + o) + <f64>load<f32>(b + ((<usize>l) << 2)) - yv,
      );
    }
    const ge = G + <usize>e * (<usize>n << 3);
    let l = 0;
    for (; l + 8 <= L; l += 8) {
      const o = <usize>l << 3;
      let a0 = v128.load(rt + o);
      let a1 = v128.load(rt + o + 16);
      let a2 = v128.load(rt + o + 32);
      let a3 = v128.load(rt + o + 48);
      let ai = A + o;
      for (let i = 0; i < n; i++) {
        const k = f64x2.splat(load<f64>(ge + ((<usize>i) << 3)));
        a0 = f64x2.add(a0, f64x2.mul(k, v128.load(ai)));
        a1 = f64x2.add(a1, f64x2.mul(k, v128.load(ai + 16)));
        a2 = f64x2.add(a2, f64x2.mul(k, v128.load(ai + 32)));
        a3 = f64x2.add(a3, f64x2.mul(k, v128.load(ai + 48)));
        ai += colBytes;
      }
      v128.store(rt + o, a0);
      v128.store(rt + o + 16, a1);
      v128.store(rt + o + 32, a2);
      v128.store(rt + o + 48, a3);
    }
    if (l < L) {
      for (let i = 0; i < n; i++) {
        const k = load<f64>(ge + ((<usize>i) << 3));
        axpy64(rt + ((<usize>l) << 3), k, A + <usize>i * colBytes + ((<usize>l) << 3), L - l);
      }
    }
  }
}

/**
 * One SGD step in dual form. `coef` holds 4·L f64: penalty, decay, biasDecay, then L of scratch
 * for the step's scale factors. `r` is n·L f64 scratch (count ≤ n). b is the f32 bias tensor,
 * updated in place.
 */
export function dualStep(
  order: usize,
  offset: i32,
  count: i32,
  K: usize,
  P: usize,
  A: usize,
  s: usize,
  b: usize,
  y: usize,
  yCols: i32,
  coef: usize,
  r: usize,
  n: i32,
  L: i32,
  lr: f64,
): i32 {
  const bad = rowsBad(order, offset, count, n);
  if (bad >= 0) return bad;
  dualResiduals(r, order, offset, count, K, P, A, s, b, y, yCols, n, L);
  const colBytes = <usize>L << 3;
  const pen = coef;
  const dec = coef + colBytes;
  const bdec = coef + 2 * colBytes;
  const cbuf = coef + 3 * colBytes;
  const inv: f64 = 1 / <f64>count;
  // c_l = 1 − lr·decay_l − lr·penalty_l scales s and every row of A (c kept in `cbuf`).
  for (let l = 0; l < L; l++) {
    const o = <usize>l << 3;
    const c = 1 - lr * load<f64>(dec + o) - lr * load<f64>(pen + o);
    store<f64>(cbuf + o, c);
    store<f64>(s + o, load<f64>(s + o) * c);
  }
  for (let i = 0; i < n; i++) {
    const ai = A + <usize>i * colBytes;
    let l = 0;
    for (; l + 2 <= L; l += 2) {
      const o = <usize>l << 3;
      v128.store(ai + o, f64x2.mul(v128.load(ai + o), v128.load(cbuf + o)));
    }
    for (; l < L; l++) {
      const o = <usize>l << 3;
      store<f64>(ai + o, load<f64>(ai + o) * load<f64>(cbuf + o));
    }
  }
  const eta = -lr * inv;
  for (let t = 0; t < count; t++) {
    const row = load<i32>(order + ((<usize>(offset + t)) << 2));
    axpy64(A + <usize>row * colBytes, eta, r + <usize>t * colBytes, L);
  }
  for (let l = 0; l < L; l++) {
    let rSum: f64 = 0;
    for (let t = 0; t < count; t++) rSum += load<f64>(r + <usize>t * colBytes + ((<usize>l) << 3));
    const o = <usize>l << 3;
    const bo = b + ((<usize>l) << 2);
    store<f32>(bo, <f32>((1 - lr * load<f64>(bdec + o)) * <f64>load<f32>(bo) - lr * rSum * inv));
  }
  return -1;
}

/**
 * Mean ½(X_e·w + b − y_e)² per column of a w held in dual form, into `out` (L f32), from the
 * cached cross-Grams G = X_e·Xᵀ (ne×n) and Pe = X_e·W₀ (ne×L). `r` is L f64 scratch, `acc` L f64.
 */
export function dualLoss(
  out: usize,
  G: usize,
  Pe: usize,
  A: usize,
  s: usize,
  b: usize,
  y: usize,
  yCols: i32,
  ne: i32,
  n: i32,
  L: i32,
  r: usize,
  acc: usize,
): void {
  memory.fill(acc, 0, <usize>L << 3);
  for (let e = 0; e < ne; e++) {
    // One row at a time (rows = 0 means "row t" in dualResiduals), reusing one row of scratch.
    dualResiduals(r, 0, 0, 1, G + <usize>e * (<usize>n << 3), Pe + <usize>e * (<usize>L << 3), A, s, b, y + <usize>e * (<usize>yCols << 2), yCols, n, L);
    for (let l = 0; l < L; l++) {
      const o = <usize>l << 3;
      const v = load<f64>(r + o);
      store<f64>(acc + o, load<f64>(acc + o) + v * v);
    }
  }
  for (let l = 0; l < L; l++) {
    store<f32>(out + ((<usize>l) << 2), <f32>((0.5 * load<f64>(acc + ((<usize>l) << 3))) / <f64>ne));
  }
}

/** Returns 1: a probe the loader calls after instantiation. */
// ---------------------------------------------------------------------------------------------
// Threads: the same work split over parts (see src/threads.ts)
//
// A job is a block in the shared heap: i32 control words (src/threads.ts owns them; `JOB_OP`
// and `JOB_PARTS` are read here) and from byte 64 on, f64 arguments. Every thread instantiates
// this module on the same memory and calls `work(job, part)` for its part; the main thread runs
// part 0, waits for the others, then calls the job's `…Finish` kernel, which adds the parts'
// partial sums in part order. The split depends only on the sizes and the number of parts,
// never on timing, so a run is bit-identical to any other with the same number of parts.

const JOB_OP: usize = 8;
const JOB_PARTS: usize = 12;
const JOB_ARGS: usize = 64;

/** The SGD step, L = 1: partial gradient of its part's rows (`sgdFinish1` completes it). */
const OP_SGD1: i32 = 1;
/** Σ squared residuals, L = 1, of its part's rows. */
const OP_SQUARES1: i32 = 2;
/** The SGD step, L columns: residuals and partial gradient of its part's rows. */
const OP_SGDL: i32 = 3;
/** Σ squared residuals per column, L columns, of its part's rows. */
const OP_SQUARESL: i32 = 4;
/** Rows of a matrix product (`gemmRows`); nothing to finish. */
const OP_GEMM: i32 = 5;
/** Rows of a Gram matrix (`gram`), each part with its own row of scratch. */
const OP_GRAM: i32 = 6;
/** Rows of X·W₀ (`xw64`). */
const OP_XW64: i32 = 7;
/** Rows of the dual form's weights (`materialize`), each part with its own scratch. */
const OP_MATERIALIZE: i32 = 8;
/** Rows of `axpby` over a matrix. */
const OP_AXPBY: i32 = 9;
/** Rows of a whole tensor's copy (`assign`). */
const OP_COPY: i32 = 10;

@inline
function arg(job: usize, i: i32): f64 {
  return load<f64>(job + JOB_ARGS + ((<usize>i) << 3));
}

@inline
function ptr(job: usize, i: i32): usize {
  return <usize>arg(job, i);
}

@inline
function int(job: usize, i: i32): i32 {
  return <i32>arg(job, i);
}

/** As `partStart`, in 8s (a product's columns: whole 8-wide panels). */
@inline
function partStart8(count: i32, parts: i32, part: i32): i32 {
  const chunk = ((count + parts * 8 - 1) / (parts * 8)) * 8;
  const at = part * chunk;
  return at < count ? at : count;
}

/** Part `part` of `parts` covers [partStart(part), partStart(part + 1)) of `count`, in 4s. */
@inline
function partStart(count: i32, parts: i32, part: i32): i32 {
  const chunk = ((count + parts * 4 - 1) / (parts * 4)) * 4;
  const at = part * chunk;
  return at < count ? at : count;
}

/** Runs part `part` of the job at `job` (every thread, main included, calls this). */
export function work(job: usize, part: i32): void {
  const op = load<i32>(job + JOB_OP);
  const parts = load<i32>(job + JOB_PARTS);
  if (op == OP_SGD1) {
    // X, y, order, w, b0, gParts, stride, sums, d, offset, count
    const count = int(job, 10);
    const lo = partStart(count, parts, part);
    const hi = partStart(count, parts, part + 1);
    const g = ptr(job, 5) + <usize>part * ptr(job, 6);
    const d = int(job, 8);
    const rSum = accumulate1(
      ptr(job, 0),
      ptr(job, 1),
      ptr(job, 2),
      ptr(job, 3),
      <f32>arg(job, 4),
      g,
      d,
      int(job, 9) + lo,
      hi - lo,
    );
    store<f32>(ptr(job, 7) + ((<usize>part) << 2), rSum);
  } else if (op == OP_SQUARES1) {
    // X, y, w, b, d, n, sums (f64 per part)
    const n = int(job, 5);
    const lo = partStart(n, parts, part);
    const hi = partStart(n, parts, part + 1);
    const acc = squares1(ptr(job, 0), ptr(job, 1), ptr(job, 2), <f32>arg(job, 3), int(job, 4), lo, hi);
    store<f64>(ptr(job, 6) + ((<usize>part) << 3), acc);
  } else if (op == OP_SGDL) {
    // X, y, yCols, order, w, b, r, gParts, stride, d, L, offset, count
    const count = int(job, 12);
    const lo = partStart(count, parts, part);
    const hi = partStart(count, parts, part + 1);
    const d = int(job, 9);
    const L = int(job, 10);
    const offset = int(job, 11);
    const X = ptr(job, 0);
    const order = ptr(job, 3);
    const r = ptr(job, 6);
    forwardL(X, ptr(job, 1), int(job, 2), order, ptr(job, 4), ptr(job, 5), r, d, L, offset, lo, hi);
    gradientL(X, order, r, ptr(job, 7) + <usize>part * ptr(job, 8), d, L, offset, lo, hi);
  } else if (op == OP_GEMM) {
    // C, A, B, m, k, n, tA. Split by rows, or by columns (in 8s) where the result has fewer
    // rows than columns: then each thread reads only its columns of B (a batch's forward
    // product, whose B, the weights, is the large operand).
    const m = int(job, 3);
    const n = int(job, 5);
    const byColumns = m < n;
    const c0 = byColumns ? partStart8(n, parts, part) : 0;
    const c1 = byColumns ? partStart8(n, parts, part + 1) : n;
    gemmRows(
      ptr(job, 0),
      ptr(job, 1),
      ptr(job, 2),
      m,
      int(job, 4),
      n,
      int(job, 6),
      byColumns ? 0 : partStart(m, parts, part),
      byColumns ? m : partStart(m, parts, part + 1),
      c0,
      c1,
    );
  } else if (op == OP_GRAM) {
    // out, X1, m, X2, n, d, rows (d f64 per part)
    const m = int(job, 2);
    const d = int(job, 5);
    const row = ptr(job, 6) + ((<usize>part * <usize>d) << 3);
    const lo = partStart(m, parts, part);
    const hi = partStart(m, parts, part + 1);
    gram(ptr(job, 0), ptr(job, 1), ptr(job, 3), int(job, 4), d, row, lo, hi);
  } else if (op == OP_XW64) {
    // out, X, m, d, W0, L
    const m = int(job, 2);
    const lo = partStart(m, parts, part);
    const hi = partStart(m, parts, part + 1);
    xw64(ptr(job, 0), ptr(job, 1), int(job, 3), ptr(job, 4), int(job, 5), lo, hi);
  } else if (op == OP_MATERIALIZE) {
    // w, X, n, d, W0, s, A, L, tmps (L f64 per part)
    const d = int(job, 3);
    const L = int(job, 7);
    const tmp = ptr(job, 8) + ((<usize>part * <usize>L) << 3);
    const lo = partStart(d, parts, part);
    const hi = partStart(d, parts, part + 1);
    materialize(ptr(job, 0), ptr(job, 1), int(job, 2), d, ptr(job, 4), ptr(job, 5), ptr(job, 6), L, tmp, lo, hi);
  } else if (op == OP_AXPBY || op == OP_COPY) {
    // out, x, y, alpha, beta, rows, cols (OP_COPY: out, src, -, -, -, rows, cols). By rows, as a
    // product splits a result with rows ≥ columns (a layer's weights and their gradient): the
    // optimizer's update of each row then runs on the thread whose core's cache holds it.
    const cols = int(job, 6);
    const rows = int(job, 5);
    const r0 = partStart(rows, parts, part);
    const r1 = partStart(rows, parts, part + 1);
    const o = (<usize>r0 * <usize>cols) << 2;
    const count = (r1 - r0) * cols;
    if (op == OP_COPY) copyBytes(ptr(job, 0) + o, ptr(job, 1) + o, <usize>count << 2);
    else axpby(ptr(job, 0) + o, ptr(job, 1) + o, ptr(job, 2) + o, arg(job, 3), arg(job, 4), count);
  } else if (op == OP_SQUARESL) {
    // X, y, yCols, w, b, zParts, accParts, d, L, n
    const n = int(job, 9);
    const L = int(job, 8);
    const lo = partStart(n, parts, part);
    const hi = partStart(n, parts, part + 1);
    const acc = ptr(job, 6) + ((<usize>part * <usize>L) << 3);
    memory.fill(acc, 0, <usize>L << 3);
    const z = ptr(job, 5) + ((<usize>part * <usize>L) << 2);
    squaresL(acc, z, ptr(job, 0), ptr(job, 1), int(job, 2), ptr(job, 3), ptr(job, 4), int(job, 7), L, lo, hi);
  }
}

/** part 0's `count` floats at `to` += each later part's (at `stride` bytes apart), in order. */
@inline
function addParts(to: usize, stride: usize, parts: i32, count: i32): void {
  for (let p = 1; p < parts; p++) {
    const from = to + <usize>p * stride;
    let j = 0;
    for (; j + 4 <= count; j += 4) {
      const o = <usize>j << 2;
      v128.store(to + o, f32x4.add(v128.load(to + o), v128.load(from + o)));
    }
    for (; j < count; j++) {
      const o = <usize>j << 2;
      store<f32>(to + o, load<f32>(to + o) + load<f32>(from + o));
    }
  }
}

/** Completes an OP_SGD1 job: adds the parts' gradients and residual sums, then updates. */
export function sgdFinish1(
  job: usize,
  lr: f32,
  penalty: f32,
  decay: f32,
  biasDecay: f32,
  l1t: f32,
  b: usize,
): void {
  const parts = load<i32>(job + JOB_PARTS);
  const g = ptr(job, 5);
  const d = int(job, 8);
  const sums = ptr(job, 7);
  addParts(g, ptr(job, 6), parts, d);
  let rSum: f32 = load<f32>(sums);
  for (let p = 1; p < parts; p++) rSum += load<f32>(sums + ((<usize>p) << 2));
  update1(ptr(job, 3), b, g, d, int(job, 10), lr, penalty, decay, biasDecay, l1t, <f32>arg(job, 4), rSum);
}

/** Completes an OP_SGDL job: adds the parts' gradients, then updates. */
export function sgdFinishL(job: usize, coef: usize, lr: f32, hasL1: i32): void {
  const parts = load<i32>(job + JOB_PARTS);
  const g = ptr(job, 7);
  const d = int(job, 9);
  const L = int(job, 10);
  addParts(g, ptr(job, 8), parts, d * L);
  updateL(ptr(job, 4), ptr(job, 5), ptr(job, 6), g, coef, d, L, int(job, 12), lr, hasL1);
}

/** Completes an OP_SQUARESL job: the mean ½r² per column into `out` (L f32). */
export function squaresFinishL(job: usize, out: usize): void {
  const parts = load<i32>(job + JOB_PARTS);
  const L = int(job, 8);
  const n = int(job, 9);
  const acc = ptr(job, 6);
  for (let l = 0; l < L; l++) {
    let s: f64 = load<f64>(acc + ((<usize>l) << 3));
    for (let p = 1; p < parts; p++) s += load<f64>(acc + ((<usize>(p * L + l)) << 3));
    store<f32>(out + ((<usize>l) << 2), <f32>((0.5 * s) / <f64>n));
  }
}

/** -1 when order[offset .. offset+count) are all in [0, n), else the first bad position. */
export function checkRows(order: usize, offset: i32, count: i32, n: i32): i32 {
  return rowsBad(order, offset, count, n);
}

export function ready(): i32 {
  return 1;
}
