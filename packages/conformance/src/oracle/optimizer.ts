/**
 * The oracle's optimizers and schedules on host float64 arrays, from the update rules documented
 * in core's optim/optimizers.ts and optim/schedule.ts, element by element (core composes them
 * from backend primitives; this does not share a line with it). A schedule is described as
 * data, so the same description builds core's schedule for the code under test and this one.
 */

/** A schedule as data: what `wdecay --lr-schedule` accepts, and core's schedule functions. */
export type ScheduleSpec =
  | { readonly kind: "constant"; readonly value: number; readonly warmup?: number }
  | {
      readonly kind: "step";
      readonly value: number;
      readonly every: number;
      readonly factor: number;
      readonly warmup?: number;
    }
  | {
      readonly kind: "cosine";
      readonly value: number;
      readonly total: number;
      readonly min?: number;
      readonly warmup?: number;
    };

/**
 * The value at step t: constant v; step v·factor^⌊t/every⌋; cosine min + (v − min)(1 +
 * cos(πt/total))/2 until total, then min; with a warm-up of s steps, ×t/s while t < s.
 */
export function oracleSchedule(spec: ScheduleSpec): (t: number) => number {
  return (t) => {
    let v: number;
    if (spec.kind === "constant") v = spec.value;
    else if (spec.kind === "step") v = spec.value * spec.factor ** Math.floor(t / spec.every);
    else {
      const min = spec.min ?? 0;
      v =
        t >= spec.total
          ? min
          : min + ((spec.value - min) * (1 + Math.cos((Math.PI * t) / spec.total))) / 2;
    }
    const warm = spec.warmup ?? 0;
    return t < warm ? (v * t) / warm : v;
  };
}

export interface OracleOptimizerOptions {
  readonly kind: "sgd" | "momentum" | "adam" | "adamw";
  readonly lr: (t: number) => number;
  readonly momentum?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay: number;
  readonly decay: "coupled" | "decoupled";
  readonly decoupledScaling?: "lr" | "none";
  readonly decaySchedule?: (t: number) => number;
}

export interface OracleGroup {
  readonly params: readonly Float64Array[];
  readonly decayMultiplier?: number;
  /** Per-element decay mask, the shape of each parameter (1 where absent). */
  readonly mask?: ArrayLike<number>;
}

/**
 * An optimizer over host arrays, per element i of a parameter θ with data gradient g at step t
 * (η = lr(t), λ = weightDecay·multiplier·decaySchedule(t), m the mask):
 * coupled g ← g + λ·m·θ; sgd u = g; momentum b ← μb + g, u = b; adam m₁ ← β₁m₁ + (1 − β₁)g,
 * v ← β₂v + (1 − β₂)g², u = (m₁/(1 − β₁ᵗ⁺¹)) / (√(v/(1 − β₂ᵗ⁺¹)) + ε); decoupled θ ← θ − s·m·θ
 * − η·u with s = η·λ ("lr") or λ ("none"); otherwise θ ← θ − η·u. Decay and update both use
 * the θ of before the step.
 */
export class OracleOptimizer {
  private t = 0;
  private readonly first: Float64Array[][];
  private readonly second: Float64Array[][];

  constructor(
    private readonly options: OracleOptimizerOptions,
    private readonly groups: readonly OracleGroup[],
  ) {
    this.first = groups.map((g) => g.params.map((p) => new Float64Array(p.length)));
    this.second = groups.map((g) => g.params.map((p) => new Float64Array(p.length)));
  }

  step(grads: readonly (readonly ArrayLike<number>[])[]): void {
    const o = this.options;
    const eta = o.lr(this.t);
    const s = o.decaySchedule?.(this.t) ?? 1;
    const mu = o.momentum ?? 0.9;
    const beta1 = o.beta1 ?? 0.9;
    const beta2 = o.beta2 ?? 0.999;
    const eps = o.eps ?? 1e-8;
    const k = this.t + 1;
    this.groups.forEach((group, gi) => {
      const lambda = o.weightDecay * (group.decayMultiplier ?? 1) * s;
      group.params.forEach((theta, pi) => {
        const grad = grads[gi]?.[pi] as ArrayLike<number>;
        const m1 = this.first[gi]?.[pi] as Float64Array;
        const v = this.second[gi]?.[pi] as Float64Array;
        for (let i = 0; i < theta.length; i++) {
          const th = theta[i] as number;
          const mask = group.mask?.[i] ?? 1;
          let g = grad[i] as number;
          if (o.decay === "coupled") g += lambda * mask * th;
          let u = g;
          if (o.kind === "momentum") {
            m1[i] = mu * (m1[i] as number) + g;
            u = m1[i] as number;
          } else if (o.kind === "adam" || o.kind === "adamw") {
            m1[i] = beta1 * (m1[i] as number) + (1 - beta1) * g;
            v[i] = beta2 * (v[i] as number) + (1 - beta2) * g * g;
            const mHat = (m1[i] as number) / (1 - beta1 ** k);
            const vHat = (v[i] as number) / (1 - beta2 ** k);
            u = mHat / (Math.sqrt(vHat) + eps);
          }
          let next = th - eta * u;
          if (o.decay === "decoupled") {
            const shrink = (o.decoupledScaling ?? "lr") === "lr" ? eta * lambda : lambda;
            next -= shrink * mask * th;
          }
          theta[i] = next;
        }
      });
    });
    this.t++;
  }
}
