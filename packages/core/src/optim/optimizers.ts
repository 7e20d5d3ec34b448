/**
 * First-order optimizers over parameter tensors that live on a backend, with weight decay coupled
 * (an L2 penalty's gradient) or decoupled (a shrink applied by the optimizer), composed from the
 * backend's primitives. A step uploads nothing and reads nothing: every scalar (learning rate,
 * decay, bias corrections) is a host number passed to `axpby`, and the state buffers are created
 * once, on the first step.
 *
 * Conventions, per parameter θ with data gradient g, at step t = 0, 1, … (η = lr(t), λ the
 * group's decay `weightDecay·decayMultiplier·decaySchedule(t)`, M the mask, 1 where absent):
 * ```
 * coupled:    g ← g + λ·M⊙θ                                   (passes through momentum/Adam state)
 * sgd:        u = g
 * momentum:   b ← μ·b + g;  u = b                            (PyTorch: no dampening, b₀ = 0)
 * adam/adamw: m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
 *             u = m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵏ), v̂ = v/(1 − β₂ᵏ), k = t + 1   (bias correction)
 * decoupled:  θ ← θ − η·λ·M⊙θ − η·u   (decoupledScaling "lr": PyTorch AdamW, optax)
 *             θ ← θ − λ·M⊙θ − η·u     (decoupledScaling "none": Loshchilov & Hutter, TFA)
 * otherwise:  θ ← θ − η·u
 * ```
 * Both the decay and the update use the θ of before the step. With plain SGD the two placements
 * coincide (identity 5); with momentum or Adam they do not (identities 6 and 10).
 */
import type { Backend, Tensor } from "../backend.js";
import { disposeAll } from "../linear.js";
import { asSchedule, type Schedule } from "./schedule.js";

/** The update rule. `adamw` is Adam with decoupled decay (and requires `decay: "decoupled"`). */
export type OptimizerKind = "sgd" | "momentum" | "adam" | "adamw";

/** Where the decay enters: the gradient (an L2 penalty) or the parameter directly. */
export type DecayPlacement = "coupled" | "decoupled";

/**
 * How decoupled decay is scaled: `"lr"` multiplies it by the learning rate (θ ← θ − η·λ·θ,
 * PyTorch's `AdamW`, optax's `adamw`), `"none"` does not (θ ← θ − λ·θ, Loshchilov & Hutter's
 * and TensorFlow Addons' `AdamW`, where the decay follows its own schedule).
 */
export type DecoupledScaling = "lr" | "none";

/** Parameters that share a decay multiplier. */
export interface ParamGroup {
  /** Float tensors, updated in place. */
  readonly params: readonly Tensor[];
  /** Multiplies `weightDecay` for this group (1); 0 exempts it (the bias, identity 8). */
  readonly decayMultiplier?: number;
  /**
   * Per-element decay mask for every parameter of the group: 1 = decayed, 0 = not, the same
   * shape as each parameter. The optimizer does not own it; keep it alive while stepping.
   */
  readonly mask?: Tensor;
  /**
   * λ of this group, replacing `weightDecay × decayMultiplier` (for groups chosen by rule, each
   * with its own λ).
   */
  readonly weightDecay?: number;
  /** Multiplies the learning rate for this group (1); 0 leaves its parameters unchanged. */
  readonly lrMultiplier?: number;
  /**
   * λ₁ ≥ 0 of an L1 penalty on the group, applied after each update as the proximal step
   * θ ← S_{η·λ₁}(θ) (η the group's learning rate); exact for plain SGD (0).
   */
  readonly l1?: number;
  /** Where this group's decay enters (the optimizer's `decay` by default). */
  readonly decay?: DecayPlacement;
}

/** Options of {@link createOptimizer}. */
export interface OptimizerOptions {
  readonly kind: OptimizerKind;
  /** Learning rate η, a number (constant) or a {@link Schedule} of the step index. */
  readonly lr: Schedule | number;
  /** μ ∈ [0, 1) for `momentum` (0.9); not allowed for other kinds. */
  readonly momentum?: number;
  /** β₁ ∈ [0, 1) for Adam (0.9). */
  readonly beta1?: number;
  /** β₂ ∈ [0, 1) for Adam (0.999). */
  readonly beta2?: number;
  /** ε > 0 for Adam (1e-8), added to √v̂. */
  readonly eps?: number;
  /** λ ≥ 0: the canonical penalty (coupled) or the decay rate (decoupled). */
  readonly weightDecay: number;
  readonly decay: DecayPlacement;
  /** For decoupled decay (`"lr"`); not allowed with coupled decay. */
  readonly decoupledScaling?: DecoupledScaling;
  /** Multiplies `weightDecay` per step (constant 1); with `"none"`, the decay's own schedule. */
  readonly decaySchedule?: Schedule;
  readonly groups: readonly ParamGroup[];
}

/** An optimizer bound to its parameters. */
export interface Optimizer {
  /**
   * One step: `grads[i][j]` is the data gradient of `groups[i].params[j]` (same shape), which the
   * optimizer does not dispose. Updates every parameter in place; no upload, no read.
   *
   * @throws RangeError when the gradients do not match the groups, or after {@link dispose}
   */
  step(grads: readonly (readonly Tensor[])[]): void;
  /** Steps taken so far (the index t the next step uses). */
  readonly steps: number;
  /** Live state tensors the optimizer owns (momentum or Adam m and v). */
  readonly stateTensors: number;
  /** Frees the state buffers; the parameters and masks are the caller's. */
  dispose(): void;
}

const KINDS: readonly OptimizerKind[] = ["sgd", "momentum", "adam", "adamw"];

function unitInterval(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0 && v < 1)) {
    throw new RangeError(`${name} must be a number in [0, 1), got ${v}`);
  }
}

/**
 * Checks the options without touching a backend, so a wrong call fails before anything is
 * allocated.
 *
 * @throws RangeError naming the first bad option
 */
export function checkOptimizerOptions(options: OptimizerOptions): void {
  const { kind, lr, weightDecay, decay, decoupledScaling, groups } = options;
  if (!KINDS.includes(kind)) {
    throw new RangeError(`kind must be one of ${KINDS.join(", ")}, got ${JSON.stringify(kind)}`);
  }
  if (typeof lr === "number" && !(Number.isFinite(lr) && lr >= 0)) {
    throw new RangeError(`lr must be a finite number ≥ 0, got ${lr}`);
  }
  if (typeof lr !== "number" && typeof lr !== "function") {
    throw new RangeError("lr must be a number or a schedule");
  }
  if (options.momentum !== undefined) {
    if (kind !== "momentum") throw new RangeError(`momentum is not an option of ${kind}`);
    unitInterval("momentum", options.momentum);
  }
  const adam = kind === "adam" || kind === "adamw";
  for (const key of ["beta1", "beta2", "eps"] as const) {
    if (options[key] !== undefined && !adam) {
      throw new RangeError(`${key} is an option of adam and adamw, not of ${kind}`);
    }
  }
  if (options.beta1 !== undefined) unitInterval("beta1", options.beta1);
  if (options.beta2 !== undefined) unitInterval("beta2", options.beta2);
  if (options.eps !== undefined && !(Number.isFinite(options.eps) && options.eps > 0)) {
    throw new RangeError(`eps must be a finite number > 0, got ${options.eps}`);
  }
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0)) {
    throw new RangeError(`weightDecay must be a finite number ≥ 0, got ${weightDecay}`);
  }
  if (decay !== "coupled" && decay !== "decoupled") {
    throw new RangeError(`decay must be "coupled" or "decoupled", got ${JSON.stringify(decay)}`);
  }
  if (kind === "adamw" && decay !== "decoupled") {
    // AdamW *is* Adam with decoupled decay; coupled AdamW would silently be Adam + L2.
    throw new RangeError(
      'adamw is Adam with decoupled decay: use decay "decoupled" (or kind "adam")',
    );
  }
  if (decoupledScaling !== undefined) {
    const placements = Array.isArray(groups) ? groups.map((g) => g.decay ?? decay) : [decay];
    if (!placements.includes("decoupled")) {
      throw new RangeError("decoupledScaling applies to decoupled decay only");
    }
    if (decoupledScaling !== "lr" && decoupledScaling !== "none") {
      throw new RangeError(
        `decoupledScaling must be "lr" or "none", got ${JSON.stringify(decoupledScaling)}`,
      );
    }
  }
  if (options.decaySchedule !== undefined && typeof options.decaySchedule !== "function") {
    throw new RangeError("decaySchedule must be a schedule");
  }
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new RangeError("groups must be a non-empty array of parameter groups");
  }
  const seen = new Set<Tensor>();
  for (const [i, group] of groups.entries()) {
    for (const key of ["decayMultiplier", "weightDecay", "lrMultiplier", "l1"] as const) {
      const m = group[key];
      if (m !== undefined && !(Number.isFinite(m) && m >= 0)) {
        throw new RangeError(`groups[${i}].${key} must be a finite number ≥ 0, got ${m}`);
      }
    }
    const placement = group.decay ?? decay;
    if (placement !== "coupled" && placement !== "decoupled") {
      throw new RangeError(
        `groups[${i}].decay must be "coupled" or "decoupled", got ${JSON.stringify(placement)}`,
      );
    }
    if (kind === "adamw" && placement !== "decoupled") {
      throw new RangeError(
        `groups[${i}]: adamw is Adam with decoupled decay: use decay "decoupled" (or kind "adam")`,
      );
    }
    if (!Array.isArray(group.params) || group.params.length === 0) {
      throw new RangeError(`groups[${i}].params must be a non-empty array of tensors`);
    }
    for (const [j, p] of group.params.entries()) {
      if (p.dtype !== "float") throw new RangeError(`groups[${i}].params[${j}] must be float`);
      // A tensor in two places would be stepped twice per call.
      if (seen.has(p)) throw new RangeError(`groups[${i}].params[${j}] appears twice`);
      seen.add(p);
      const mask = group.mask;
      if (mask && (mask.shape[0] !== p.shape[0] || mask.shape[1] !== p.shape[1])) {
        throw new RangeError(
          `groups[${i}].mask is ${mask.shape.join("×")} but params[${j}] is ${p.shape.join("×")}`,
        );
      }
    }
  }
}

function checkGrads(groups: readonly ParamGroup[], grads: readonly (readonly Tensor[])[]): void {
  if (!Array.isArray(grads) || grads.length !== groups.length) {
    throw new RangeError(`step needs one gradient list per group (${groups.length})`);
  }
  for (const [i, group] of groups.entries()) {
    const gs = grads[i] as readonly Tensor[];
    if (!Array.isArray(gs) || gs.length !== group.params.length) {
      throw new RangeError(`grads[${i}] must have ${group.params.length} tensors`);
    }
    for (const [j, p] of group.params.entries()) {
      const g = gs[j] as Tensor;
      if (!g || g.shape[0] !== p.shape[0] || g.shape[1] !== p.shape[1]) {
        throw new RangeError(`grads[${i}][${j}] must be ${p.shape.join("×")}`);
      }
    }
  }
}

/** Per-parameter state, created on the first step. */
interface State {
  /** Momentum buffer b, or Adam's m. */
  first?: Tensor;
  /** Adam's v. */
  second?: Tensor;
}

/**
 * Creates an optimizer over `options.groups` (see the module comment for the update rules).
 * Defaults: μ = 0.9, β₁ = 0.9, β₂ = 0.999, ε = 1e-8, `decoupledScaling` "lr", decay multiplier 1.
 *
 * @throws RangeError on a bad option (see {@link checkOptimizerOptions})
 */
export function createOptimizer(backend: Backend, options: OptimizerOptions): Optimizer {
  checkOptimizerOptions(options);
  const { kind, weightDecay, decay, groups } = options;
  const lr = asSchedule(options.lr);
  const decaySchedule = options.decaySchedule ?? (() => 1);
  const scaling = options.decoupledScaling ?? "lr";
  const mu = options.momentum ?? 0.9;
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  const adam = kind === "adam" || kind === "adamw";
  const states: State[][] = groups.map((g) => g.params.map(() => ({})));
  let epsTensor: Tensor | undefined;
  let t = 0;
  let disposed = false;

  // λ·M⊙θ, or undefined when the group is not decayed at this step (no work, no rounding).
  const decayTerm = (p: Tensor, lambda: number, mask: Tensor | undefined): Tensor | undefined => {
    if (lambda === 0) return undefined;
    if (!mask) return backend.axpby(lambda, p, 0, p);
    const masked = backend.binary("mul", p, mask);
    const out = backend.axpby(lambda, masked, 0, masked);
    backend.dispose(masked);
    return out;
  };

  // Replaces `target`'s contents with `next` and frees `next`.
  const commit = (target: Tensor, next: Tensor) => {
    backend.assign(target, next);
    backend.dispose(next);
  };

  const stepOne = (
    p: Tensor,
    g: Tensor,
    state: State,
    eta: number,
    lambda: number,
    mask: Tensor | undefined,
    placement: DecayPlacement,
    l1: number,
  ) => {
    const temps: Tensor[] = [];
    try {
      // Without a mask, a decay of p folds into the update's own factor on p: plain SGD's
      // coupled step p − η(g + λp) is (1 − ηλ)p − ηg, and any decoupled step p − s·p − c·u is
      // (1 − s)p − c·u. One pass over p instead of three, with one rounding instead of two.
      const foldCoupled = placement === "coupled" && kind === "sgd" && !mask;
      let grad = g;
      if (placement === "coupled" && !foldCoupled) {
        const dt = decayTerm(p, lambda, mask);
        if (dt) {
          temps.push(dt);
          grad = backend.axpby(1, g, 1, dt);
          temps.push(grad);
        }
      }
      // The update direction u and the factor c with θ ← θ − c·u.
      let u = grad;
      let c = eta;
      if (kind === "momentum") {
        state.first ??= backend.zeros(p.shape);
        commit(state.first, backend.axpby(mu, state.first, 1, grad));
        u = state.first;
      } else if (adam) {
        state.first ??= backend.zeros(p.shape);
        state.second ??= backend.zeros(p.shape);
        commit(state.first, backend.axpby(beta1, state.first, 1 - beta1, grad));
        const sq = backend.unary("square", grad);
        temps.push(sq);
        commit(state.second, backend.axpby(beta2, state.second, 1 - beta2, sq));
        const k = t + 1;
        const vHat = backend.axpby(1 / (1 - beta2 ** k), state.second, 0, state.second);
        temps.push(vHat);
        const root = backend.unary("sqrt", vHat);
        temps.push(root);
        epsTensor ??= backend.upload([eps], [1, 1]);
        const denom = backend.binary("add", root, epsTensor);
        temps.push(denom);
        u = backend.binary("div", state.first, denom);
        temps.push(u);
        // m̂ = m/(1 − β₁ᵏ): the correction is folded into the step's host scalar.
        c = eta / (1 - beta1 ** k);
      }
      let next: Tensor;
      if (foldCoupled) {
        next = backend.axpby(1 - c * lambda, p, -c, u);
      } else if (placement === "decoupled" && !mask) {
        const shrink = scaling === "lr" ? eta * lambda : lambda;
        next = backend.axpby(1 - shrink, p, -c, u);
      } else if (placement === "decoupled") {
        const shrink = scaling === "lr" ? eta * lambda : lambda;
        const dt = decayTerm(p, shrink, mask);
        if (dt) {
          temps.push(dt);
          const decayed = backend.axpby(1, p, -1, dt);
          temps.push(decayed);
          next = backend.axpby(1, decayed, -c, u);
        } else {
          next = backend.axpby(1, p, -c, u);
        }
      } else {
        next = backend.axpby(1, p, -c, u);
      }
      if (l1 > 0 && eta > 0) {
        temps.push(next);
        next = backend.softThreshold(next, eta * l1);
      }
      commit(p, next);
    } finally {
      disposeAll(backend, temps);
    }
  };

  return {
    step(grads) {
      if (disposed) throw new RangeError("the optimizer has been disposed");
      checkGrads(groups, grads);
      const eta = lr(t);
      const s = decaySchedule(t);
      if (!(Number.isFinite(eta) && eta >= 0)) {
        throw new RangeError(`the learning rate at step ${t} must be finite ≥ 0, got ${eta}`);
      }
      if (!(Number.isFinite(s) && s >= 0)) {
        throw new RangeError(`the decay schedule at step ${t} must be finite ≥ 0, got ${s}`);
      }
      for (const [i, group] of groups.entries()) {
        const lambda = (group.weightDecay ?? weightDecay * (group.decayMultiplier ?? 1)) * s;
        const groupEta = eta * (group.lrMultiplier ?? 1);
        const placement = group.decay ?? decay;
        const l1 = group.l1 ?? 0;
        const gs = grads[i] as readonly Tensor[];
        for (const [j, p] of group.params.entries()) {
          const state = states[i]?.[j] as State;
          stepOne(p, gs[j] as Tensor, state, groupEta, lambda, group.mask, placement, l1);
        }
      }
      t++;
    },
    get steps() {
      return t;
    },
    get stateTensors() {
      let count = epsTensor ? 1 : 0;
      for (const row of states) {
        for (const s of row) count += (s.first ? 1 : 0) + (s.second ? 1 : 0);
      }
      return count;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const row of states) {
        for (const s of row) disposeAll(backend, [s.first, s.second]);
      }
      disposeAll(backend, [epsTensor]);
    },
  };
}
