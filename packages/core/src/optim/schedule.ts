/**
 * Schedules for the learning rate and for the decay: pure functions of the step index
 * t = 0, 1, 2, … (the index of the step about to be taken), returning a number. Being pure, a
 * schedule can be evaluated on the host before each step, so an optimizer never reads a device
 * tensor to know its learning rate.
 */

/** A value per step index t ≥ 0 (an integer). */
export type Schedule = (t: number) => number;

function checkIndex(t: number): void {
  // A fractional or negative index is always a caller's bug (an epoch passed for a step, say).
  if (!(Number.isSafeInteger(t) && t >= 0)) {
    throw new RangeError(`the step index must be an integer ≥ 0, got ${t}`);
  }
}

function checkFinite(name: string, v: number, min = Number.NEGATIVE_INFINITY): void {
  if (!(Number.isFinite(v) && v >= min)) {
    throw new RangeError(
      `${name} must be a finite number${min > Number.NEGATIVE_INFINITY ? ` ≥ ${min}` : ""}, got ${v}`,
    );
  }
}

/**
 * The same value at every step.
 *
 * @throws RangeError when `v` is not finite
 */
export function constant(v: number): Schedule {
  checkFinite("the value", v);
  return (t) => {
    checkIndex(t);
    return v;
  };
}

/** Options of {@link step}. */
export interface StepOptions {
  /** Steps between two changes (an integer ≥ 1). */
  readonly every: number;
  /** The factor applied at each change (finite, ≥ 0; 0.1 for a tenfold drop). */
  readonly factor: number;
}

/**
 * Piecewise constant: `v·factor^⌊t/every⌋` (PyTorch's `StepLR`).
 *
 * @throws RangeError when `v` is not finite, `every` not an integer ≥ 1 or `factor` not finite ≥ 0
 */
export function step(v: number, options: StepOptions): Schedule {
  checkFinite("the value", v);
  const { every, factor } = options;
  if (!(Number.isSafeInteger(every) && every >= 1)) {
    throw new RangeError(`every must be an integer ≥ 1, got ${every}`);
  }
  checkFinite("factor", factor, 0);
  return (t) => {
    checkIndex(t);
    return v * factor ** Math.floor(t / every);
  };
}

/** Options of {@link cosine}. */
export interface CosineOptions {
  /** Steps of the half cosine (an integer ≥ 1); the value stays at `min` from then on. */
  readonly total: number;
  /** The final value (0). */
  readonly min?: number;
}

/**
 * Cosine annealing from `v` at t = 0 to `min` at t = total, constant afterwards:
 * `min + (v − min)·(1 + cos(π·t/total))/2` (Loshchilov & Hutter's SGDR without restarts).
 *
 * @throws RangeError when `v` or `min` is not finite, or `total` not an integer ≥ 1
 */
export function cosine(v: number, options: CosineOptions): Schedule {
  checkFinite("the value", v);
  const { total, min = 0 } = options;
  if (!(Number.isSafeInteger(total) && total >= 1)) {
    throw new RangeError(`total must be an integer ≥ 1, got ${total}`);
  }
  checkFinite("min", min);
  return (t) => {
    checkIndex(t);
    if (t >= total) return min;
    return min + ((v - min) * (1 + Math.cos((Math.PI * t) / total))) / 2;
  };
}

/** Options of {@link warmup}. */
export interface WarmupOptions {
  /** Warm-up length (an integer ≥ 0; 0 leaves the schedule unchanged). */
  readonly steps: number;
}

/**
 * Linear warm-up from 0: `schedule(t)·t/steps` for t < steps, `schedule(t)` afterwards. The
 * wrapped schedule sees the same t (it is not shifted by the warm-up), so a cosine of `total`
 * steps still ends at step `total`. At t = 0 the value is 0: the first step moves nothing, as
 * with optax's `linear_schedule(0, v, steps)`.
 *
 * @throws RangeError when `steps` is not an integer ≥ 0
 */
export function warmup(schedule: Schedule, options: WarmupOptions): Schedule {
  const { steps } = options;
  if (!(Number.isSafeInteger(steps) && steps >= 0)) {
    throw new RangeError(`warm-up steps must be an integer ≥ 0, got ${steps}`);
  }
  return (t) => {
    checkIndex(t);
    const v = schedule(t);
    return t < steps ? (v * t) / steps : v;
  };
}

/**
 * A schedule from a number (constant) or a schedule (returned as is).
 *
 * @throws RangeError when a number is not finite
 */
export function asSchedule(value: Schedule | number): Schedule {
  return typeof value === "number" ? constant(value) : value;
}
