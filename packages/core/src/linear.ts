/**
 * Linear regression with the squared loss, its analytic gradients, and the compositions of the
 * fused kernels from primitives. The math is written here once; backends only supply primitives
 * (and, optionally, fused versions that the conformance suite checks against these).
 *
 * Loss over n rows, per column l of W (d×L): L(w, b) = (1/n) Σᵢ ½(xᵢᵀw + b − yᵢ)².
 * Gradients: ∇_w = Xᵀr/n, ∂_b = mean(r), with r = Xw + b − y; the L2 penalty (λ/2)‖w‖² adds λw.
 */
import type { Backend, LinearSgdProgram, LinearSgdSpec, Tensor } from "./backend.js";
import { describeShape } from "./shapes.js";

/** Disposes every tensor in the list (skipping undefined). */
export function disposeAll(backend: Backend, tensors: ReadonlyArray<Tensor | undefined>): void {
  for (const t of tensors) if (t) backend.dispose(t);
}

/** Residuals r = Xw + b − y (n×L); `b` is 1×L, `y` n×1 (shared by every column) or n×L. */
export function linearResidual(
  backend: Backend,
  X: Tensor,
  y: Tensor,
  w: Tensor,
  b: Tensor,
): Tensor {
  checkLinearShapes("linear model", X, y, w, b);
  const xw = backend.matmul(X, w);
  const z = backend.binary("add", xw, b);
  backend.dispose(xw);
  const r = backend.binary("sub", z, y);
  backend.dispose(z);
  return r;
}

/** Gradients of the mean squared loss plus an optional L2 penalty on w. */
export interface LinearGradient {
  /** d×L */
  readonly gw: Tensor;
  /** 1×L */
  readonly gb: Tensor;
}

/**
 * Analytic gradient of `L(w, b) + (λ/2)‖w‖²` over the rows of X: `gw = Xᵀr/n + λw`,
 * `gb = mean(r)`. `penalty` is one λ for every column, a 1×L row of λ per column, or a d×L
 * matrix of λ per weight (a masked penalty).
 */
export function linearGradient(
  backend: Backend,
  X: Tensor,
  y: Tensor,
  w: Tensor,
  b: Tensor,
  penalty: number | Tensor = 0,
): LinearGradient {
  const n = X.shape[0];
  const r = linearResidual(backend, X, y, w, b);
  const xtr = backend.matmul(X, r, true, false);
  let gw: Tensor;
  if (typeof penalty === "number") {
    gw = backend.axpby(1 / n, xtr, penalty, w);
  } else {
    const lw = backend.binary("mul", w, penalty);
    gw = backend.axpby(1 / n, xtr, 1, lw);
    backend.dispose(lw);
  }
  const rSum = backend.sum(r, 0);
  const gb = backend.axpby(1 / n, rSum, 0, rSum);
  disposeAll(backend, [r, xtr, rSum]);
  return { gw, gb };
}

/** Mean squared loss ½(Xw + b − y)² per column (1×L), composed from primitives. */
export function composeLinearLoss(
  backend: Backend,
  X: Tensor,
  y: Tensor,
  w: Tensor,
  b: Tensor,
): Tensor {
  const r = linearResidual(backend, X, y, w, b);
  const sq = backend.unary("square", r);
  const total = backend.sum(sq, 0);
  const loss = backend.axpby(0.5 / X.shape[0], total, 0, total);
  disposeAll(backend, [r, sq, total]);
  return loss;
}

/** The backend's fused loss kernel, or its composition from primitives. */
export function linearLoss(backend: Backend, X: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor {
  return backend.fused.linearLoss
    ? backend.fused.linearLoss(X, y, w, b)
    : composeLinearLoss(backend, X, y, w, b);
}

function uniform(values: readonly number[]): number | undefined {
  const first = values[0] ?? 0;
  return values.every((v) => v === first) ? first : undefined;
}

/**
 * Checks the shapes of a linear model's operands (X n×d, y n×1 or n×L, w d×L, b 1×L) before any
 * work, so that a wrong call throws without leaving intermediate tensors behind.
 */
export function checkLinearShapes(op: string, X: Tensor, y: Tensor, w: Tensor, b: Tensor): void {
  const [n, d] = X.shape;
  const L = w.shape[1];
  const yCols = y.shape[1];
  if (
    y.shape[0] !== n ||
    !(yCols === 1 || yCols === L) ||
    w.shape[0] !== d ||
    b.shape[0] !== 1 ||
    b.shape[1] !== L
  ) {
    throw new RangeError(
      `${op}: shapes X ${describeShape(X.shape)}, y ${describeShape(y.shape)}, w ${describeShape(w.shape)}, b ${describeShape(b.shape)} do not fit`,
    );
  }
}

/** Checks a spec's shapes so that a wrong call fails with a message, not wrong numbers. */
export function checkLinearSgdSpec(spec: LinearSgdSpec): void {
  const [n, d] = spec.X.shape;
  const L = spec.w.shape[1];
  const expect = (what: string, ok: boolean, detail: string) => {
    if (!ok) throw new RangeError(`linearSgd: ${what} ${detail}`);
  };
  expect(
    "y",
    spec.y.shape[0] === n && (spec.y.shape[1] === 1 || spec.y.shape[1] === L),
    `must be ${n}×1 or ${n}×${L}`,
  );
  expect(
    "order",
    spec.order.shape[0] === n && spec.order.dtype === "int32",
    `must be int32 ${n}×1`,
  );
  expect("w", spec.w.shape[0] === d, `must have ${d} rows`);
  expect("b", spec.b.shape[0] === 1 && spec.b.shape[1] === L, `must be 1×${L}`);
  for (const key of ["weightPenalty", "weightDecay", "biasDecay"] as const) {
    expect(key, spec[key].length === L, `must have ${L} entries`);
  }
  if (spec.weightL1 !== undefined) {
    expect("weightL1", spec.weightL1.length === L, `must have ${L} entries`);
    for (const v of spec.weightL1) {
      expect("weightL1", Number.isFinite(v) && v >= 0, `entries must be finite and ≥ 0, got ${v}`);
    }
  }
}

/**
 * Minibatch SGD for a linear model composed from primitives: the fallback for backends without
 * a fused `linearSgd`, and the reference the fused kernels are checked against.
 */
export function composeLinearSgd(backend: Backend, spec: LinearSgdSpec): LinearSgdProgram {
  checkLinearSgdSpec(spec);
  const L = spec.w.shape[1];
  const scalarPenalty = uniform(spec.weightPenalty);
  const scalarDecay = uniform(spec.weightDecay);
  const scalarBiasDecay = uniform(spec.biasDecay);
  const penaltyRow =
    scalarPenalty === undefined ? backend.upload(spec.weightPenalty, [1, L]) : undefined;
  const decayRow = scalarDecay === undefined ? backend.upload(spec.weightDecay, [1, L]) : undefined;
  const biasDecayRow =
    scalarBiasDecay === undefined ? backend.upload(spec.biasDecay, [1, L]) : undefined;
  // L1 prox: one softThreshold of w when every column has the same λ₁ (the common case).
  // Otherwise, per distinct λ₁ > 0, S_{lr·λ₁}(w) masked to the columns that have it, plus w
  // masked to the columns without L1: products with 0/1 and sums with zeros are exact, so each
  // column equals its own softThreshold bit for bit.
  const l1 = spec.weightL1 ?? [];
  const scalarL1 = l1.length === 0 ? 0 : uniform(l1);
  const l1Masks: { t: number; mask: Tensor }[] = [];
  let keepMask: Tensor | undefined;
  if (scalarL1 === undefined) {
    for (const t of new Set(l1)) {
      const mask = backend.upload(
        l1.map((v) => (v === t ? 1 : 0)),
        [1, L],
      );
      if (t === 0) keepMask = mask;
      else l1Masks.push({ t, mask });
    }
  }
  // p ← (1 − lr·δ)·p − lr·g, with δ one number or a 1×L row.
  const update = (p: Tensor, g: Tensor, lr: number, delta: number | undefined, row?: Tensor) => {
    let next: Tensor;
    if (delta !== undefined) {
      next = backend.axpby(1 - lr * delta, p, -lr, g);
    } else {
      const decayed = backend.binary("mul", p, row as Tensor);
      const shrunk = backend.axpby(1, p, -lr, decayed);
      next = backend.axpby(1, shrunk, -lr, g);
      disposeAll(backend, [decayed, shrunk]);
    }
    backend.assign(p, next);
    backend.dispose(next);
  };

  // w ← S_{lr·λ₁}(w) per column (nothing without L1).
  const prox = (lr: number) => {
    if (scalarL1 === 0) return;
    if (scalarL1 !== undefined) {
      const next = backend.softThreshold(spec.w, lr * scalarL1);
      backend.assign(spec.w, next);
      backend.dispose(next);
      return;
    }
    let acc = keepMask ? backend.binary("mul", spec.w, keepMask) : undefined;
    for (const { t, mask } of l1Masks) {
      const shrunk = backend.softThreshold(spec.w, lr * t);
      const part = backend.binary("mul", shrunk, mask);
      backend.dispose(shrunk);
      if (acc === undefined) {
        acc = part;
      } else {
        const sum = backend.binary("add", acc, part);
        disposeAll(backend, [acc, part]);
        acc = sum;
      }
    }
    backend.assign(spec.w, acc as Tensor);
    backend.dispose(acc as Tensor);
  };

  let disposed = false;
  return {
    step(offset, count, lr) {
      // Like a disposed tensor, a disposed program is an error to use (its λ rows are gone).
      if (disposed) throw new Error("linearSgd: the program was disposed");
      const Xb = backend.gatherRows(spec.X, spec.order, offset, count);
      const yb = backend.gatherRows(spec.y, spec.order, offset, count);
      const { gw, gb } = linearGradient(
        backend,
        Xb,
        yb,
        spec.w,
        spec.b,
        scalarPenalty ?? (penaltyRow as Tensor),
      );
      update(spec.w, gw, lr, scalarDecay, decayRow);
      prox(lr);
      update(spec.b, gb, lr, scalarBiasDecay, biasDecayRow);
      disposeAll(backend, [Xb, yb, gw, gb]);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      disposeAll(backend, [penaltyRow, decayRow, biasDecayRow]);
      disposeAll(backend, [keepMask, ...l1Masks.map((m) => m.mask)]);
    },
  };
}

/** The backend's fused SGD program, or its composition from primitives. */
export function linearSgd(backend: Backend, spec: LinearSgdSpec): LinearSgdProgram {
  if (backend.fused.linearSgd) {
    checkLinearSgdSpec(spec);
    return backend.fused.linearSgd(spec);
  }
  return composeLinearSgd(backend, spec);
}
