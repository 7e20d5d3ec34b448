/**
 * The Backend interface: the only thing a compute backend implements.
 *
 * Everything is a 2-D tensor (a vector is n×1 or 1×n, a scalar 1×1), held behind an opaque
 * handle that only the backend that made it can look inside. Parameters live on the backend
 * between steps and are updated in place, so a training step needs no upload, no read and,
 * with a fused kernel, no allocation.
 */

/** Float precision a backend computes in; conformance tolerances derive from it. */
export type Precision = "float32" | "float64";

/** Element type of a tensor: floats at the backend's precision, or 32-bit indices. */
export type DType = "float" | "int32";

/** `[rows, cols]`. */
export type Shape = readonly [rows: number, cols: number];

/**
 * An opaque handle to data held by one backend. Consumers see its shape and element type only;
 * the contents come back through {@link Backend.read}.
 */
export interface Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Elementwise maps on one tensor. */
export type UnaryOp = "neg" | "abs" | "sign" | "square" | "sqrt";

/**
 * Elementwise maps a network needs beyond {@link UnaryOp}: `exp`, `log` (of values > 0; −∞ at 0,
 * NaN below), `relu` = max(x, 0) (+0 for x ≤ 0, NaN for NaN) and its derivative mask `step`
 * (1 where x > 0, else 0; 0 for NaN).
 */
export type NetworkUnaryOp = "exp" | "log" | "relu" | "step";

/**
 * The primitives of networks and classifiers, optional so that a backend with only the linear
 * primitives keeps working: core composes ReLU and its mask from `abs`, `sign` and `axpby` when
 * they are absent, so linear regression and networks with a squared-loss head still train; a
 * logistic or softmax head (exp, log and a row maximum for stability) needs them.
 */
export interface NetworkPrimitives {
  /** `op(a)` elementwise. */
  unary(op: NetworkUnaryOp, a: Tensor): Tensor;
  /** Maximum over an axis: 0 gives 1×c, 1 gives r×1. NaN if any term is NaN. */
  max(a: Tensor, axis: Axis): Tensor;
}

/** Elementwise maps on two tensors; the second operand broadcasts (see {@link Backend.binary}). */
export type BinaryOp = "add" | "sub" | "mul" | "div";

/** 0 reduces over rows (r×c → 1×c), 1 over columns (r×c → r×1). */
export type Axis = 0 | 1;

/** What a backend can do beyond the required primitives. */
export interface BackendCapabilities {
  /** Where the data lives; tells a caller whether a read crosses a device boundary. */
  readonly device: "cpu" | "wasm" | "gpu";
  /** The largest tensor, in elements, the backend accepts (a GPU binding limit, say). */
  readonly maxTensorElements: number;
  /**
   * Sizes (element counts or dimensions) where this backend switches code path beyond the
   * usual ones (SIMD widths, 256-wide workgroups, powers of two up to 1025): a dispatch limit,
   * a buffer size class. The conformance suite draws sizes just below, at and above each.
   */
  readonly sizeBoundaries?: readonly number[];
  /**
   * The threads it computes on, where it can use more than one (absent: one), with the reason
   * when it uses one only on a machine with more cores (a page that is not cross-origin
   * isolated has no shared memory, say).
   */
  readonly threads?: { readonly count: number; readonly note?: string };
}

/**
 * One minibatch-SGD problem for a linear model, fixed for a whole run so a backend can prepare
 * it once (scratch buffers, pipelines, bind groups). L columns of weights train side by side,
 * each with its own regularization; the chapter's runs use L = 1, a λ grid uses L > 1.
 *
 * Per step, for the rows `order[offset .. offset + count)` of X and y, with r = Xᵦw + b − yᵦ
 * (yᵦ the batch's rows of y: one shared column, or column l for weight column l):
 * ```
 * g_w = Xᵦᵀr / count + weightPenalty ⊙ w      (coupled L2: the penalty's gradient)
 * g_b = mean(r)
 * w  ← (1 − lr·weightDecay) ⊙ w − lr·g_w     (decoupled decay, lr-scaled, per column)
 * w  ← S_{lr·weightL1}(w)                     (L1 proximal step, per column; skipped where 0)
 * b  ← (1 − lr·biasDecay) ⊙ b − lr·g_b
 * ```
 * S_t(v) = sign(v)·max(|v| − t, 0) is the soft threshold: it gives exact zeros (+0 where
 * |v| ≤ t), so an L1 penalty λ₁‖w‖₁ trains by proximal SGD (the L1 term contributes no gradient).
 * The bias is never thresholded. With every `weightL1` 0 (the default) the update is the smooth
 * one above, bit for bit.
 */
export interface LinearSgdSpec {
  /** n×d features, resident for the whole run. */
  readonly X: Tensor;
  /**
   * n×1 targets shared by every weight column (one model, or a λ grid), or n×L targets, one
   * column per weight column: multi-output regression, where the per-column penalties sum to
   * the Frobenius penalty (λ/2)‖W‖²_F (exercise 4). Column l then reads y[:, l].
   */
  readonly y: Tensor;
  /** n×1 int32 row order; the caller rewrites it each epoch with {@link Backend.write}. */
  readonly order: Tensor;
  /** d×L weights, updated in place. */
  readonly w: Tensor;
  /** 1×L biases, updated in place. */
  readonly b: Tensor;
  /** Length L: λ of the penalty (λ/2)‖w‖² added to the loss (the chapter's "from scratch"). */
  readonly weightPenalty: readonly number[];
  /** Length L: decay applied by the optimizer to the weights (the chapter's "concise"). */
  readonly weightDecay: readonly number[];
  /** Length L: decay applied by the optimizer to the bias (0 unless asked). */
  readonly biasDecay: readonly number[];
  /**
   * Length L, each ≥ 0: weight λ₁ of an L1 penalty λ₁‖w‖₁, applied as the proximal step
   * w ← S_{lr·λ₁}(w) after the smooth update (never to the bias). Omitted: all 0.
   */
  readonly weightL1?: readonly number[];
}

/** A prepared {@link LinearSgdSpec}: one call per minibatch, no allocation, no read. */
export interface LinearSgdProgram {
  /**
   * One SGD step on the rows `order[offset .. offset + count)`.
   * A row index outside [0, n) (X's rows, even for y n×L) throws a RangeError, w and b unchanged.
   */
  step(offset: number, count: number, lr: number): void;
  /** Releases what the program holds (not the tensors of its spec). */
  dispose(): void;
}

/** The gradients of one dense layer (see {@link FusedKernels.denseBackward}). */
export interface DenseGradient {
  /** ∂loss/∂W = Aᵀ·G (fanIn × units). */
  readonly dW: Tensor;
  /** ∂loss/∂b = Σ over rows of G (1 × units). */
  readonly db: Tensor;
  /** (G·Wᵀ) ⊙ 1[A > 0] (n × fanIn), when asked to propagate: the previous layer's G. */
  readonly dA?: Tensor;
}

/**
 * Optional fused kernels. A backend implements the ones it can make fast; core composes the
 * others from primitives (`composeLinearSgd`, `composeLinearLoss`, `composeDense`,
 * `composeDenseBackward`), and the conformance suite checks every fused kernel against its
 * composition.
 */
export interface FusedKernels {
  /** Prepares minibatch SGD for a linear model. */
  linearSgd(spec: LinearSgdSpec): LinearSgdProgram;
  /**
   * Mean squared loss ½(Xw + b − y)² over all rows, per column: a 1×L tensor, left on the
   * device. `y` is n×1 (shared) or n×L (one target column per weight column).
   */
  linearLoss(X: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor;
  /**
   * One dense layer forward: Z = A·W + b (A n×fanIn, W fanIn×units, b 1×units broadcast over
   * rows), then relu(Z) when `relu`. Only the result is kept: the backward pass takes ReLU's
   * mask from it (relu(z) > 0 exactly where z > 0).
   */
  dense(A: Tensor, W: Tensor, b: Tensor, relu: boolean): Tensor;
  /**
   * One dense layer backward, from G = ∂loss/∂Z (n×units) and the layer's input A (n×fanIn):
   * dW = Aᵀ·G and db = Σ_rows G; with `propagate`, also dA = (G·Wᵀ) ⊙ 1[A > 0], the G of the
   * layer before, A being that layer's ReLU output. The product by the 0/1 mask is a product
   * (a masked −x is −0, a masked NaN stays NaN), as the composition computes it.
   */
  denseBackward(A: Tensor, W: Tensor, G: Tensor, propagate: boolean): DenseGradient;
}

/**
 * A compute backend. Every op returns a new tensor the caller owns and must dispose, except
 * `write` and `assign`, which change their target in place.
 *
 * The contract `@wdecay/conformance` holds every backend to:
 * - `upload` and `write` copy the host array, whatever its type; `read` resolves with an array
 *   the caller owns. Calls take effect in the order they are made, whatever work is queued.
 * - Data movement (`upload`/`read`, `write`, `gatherRows`, `assign`) is exact at the declared
 *   precision; int32 tensors hold every 32-bit integer exactly.
 * - Arithmetic is that of the declared precision: each result within the suite's rounding
 *   bounds, and typically no less accurate than honest arithmetic of that precision. Host
 *   scalars (α, β, t, learning rates, λ) are used at float64 range. Underflow is gradual: a
 *   result below the smallest normal is rounded onto the subnormal grid, never flushed to zero.
 * - A disposed tensor, another backend's tensor or a bad shape is an error, thrown at the call.
 */
export interface Backend {
  /** The name it is registered under, e.g. `cpu`. */
  readonly name: string;
  readonly precision: Precision;
  readonly capabilities: BackendCapabilities;
  /** The fused kernels this backend provides; the missing ones are composed in core. */
  readonly fused: Partial<FusedKernels>;
  /** The network primitives ({@link NetworkPrimitives}), where the backend has them. */
  readonly network?: NetworkPrimitives;

  /** Copies host data (row-major) to a new tensor. */
  upload(data: ArrayLike<number>, shape: Shape, dtype?: DType): Tensor;
  /** Overwrites a tensor's contents from the host without reallocating it. */
  write(target: Tensor, data: ArrayLike<number>): void;
  /** Reads a tensor back to the host (row-major). The only way data leaves the backend. */
  read(tensor: Tensor): Promise<Float64Array>;
  /** Frees a tensor; using it afterwards is an error. */
  dispose(tensor: Tensor): void;
  /** How many tensors are allocated and not yet disposed. */
  liveTensors(): number;

  /** A new tensor of zeros. */
  zeros(shape: Shape, dtype?: DType): Tensor;
  /** `op(a)·op(b)` where `op` transposes when asked. */
  matmul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  /** `a op b`; `b` has the shape of `a`, or is a 1×c row, an r×1 column or a 1×1 scalar. */
  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor;
  /** `op(a)` elementwise. */
  unary(op: UnaryOp, a: Tensor): Tensor;
  /** `alpha·x + beta·y` for host scalars; x and y have the same shape. */
  axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor;
  /** Soft threshold `sign(a)·max(|a| − t, 0)` with a host scalar t ≥ 0. */
  softThreshold(a: Tensor, t: number): Tensor;
  /** Sum over an axis, or of every element (1×1) when no axis is given. */
  sum(a: Tensor, axis?: Axis): Tensor;
  /** Rows `indices[offset .. offset + count)` of `a`, in that order; `indices` is int32 n×1. */
  gatherRows(a: Tensor, indices: Tensor, offset: number, count: number): Tensor;
  /** Copies `source` into `target` (same shape) in place. */
  assign(target: Tensor, source: Tensor): void;

  /**
   * Frees everything the backend holds; the backend is unusable afterwards: upload, zeros and
   * every op throw. A second destroy does nothing.
   */
  destroy(): void;
}
