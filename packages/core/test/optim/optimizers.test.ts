import { describe, expect, it } from "vitest";
import type { Backend, Tensor } from "../../src/backend.js";
import {
  checkOptimizerOptions,
  createOptimizer,
  type OptimizerOptions,
} from "../../src/optim/optimizers.js";

// The update rules are checked on real backends by the conformance suite (id-6, id-10, optim-*);
// here only what needs no backend: argument checks, which must fail before any allocation.
const untouchable = new Proxy({} as Backend, {
  get(_, key) {
    throw new Error(`the backend was used (${String(key)}) before the arguments were checked`);
  },
});
const tensor = (rows: number, cols: number, dtype: "float" | "int32" = "float"): Tensor => ({
  shape: [rows, cols],
  dtype,
});

const w = tensor(3, 1);
const b = tensor(1, 1);
const base: OptimizerOptions = {
  kind: "sgd",
  lr: 0.1,
  weightDecay: 0.01,
  decay: "coupled",
  groups: [{ params: [w] }, { params: [b], decayMultiplier: 0 }],
};
const bad = (patch: Partial<OptimizerOptions>) => () =>
  createOptimizer(untouchable, { ...base, ...patch } as OptimizerOptions);

describe("createOptimizer: argument checks", () => {
  it("accepts valid options without touching the backend", () => {
    expect(() => checkOptimizerOptions(base)).not.toThrow();
    expect(() =>
      checkOptimizerOptions({
        ...base,
        kind: "adamw",
        decay: "decoupled",
        decoupledScaling: "none",
        decaySchedule: () => 1,
        beta1: 0,
        beta2: 0.99,
        eps: 1e-6,
      }),
    ).not.toThrow();
    const opt = createOptimizer(untouchable, { ...base, kind: "momentum", momentum: 0.5 });
    expect(opt.steps).toBe(0);
    expect(opt.stateTensors).toBe(0);
    opt.dispose();
  });

  it("names the bad option", () => {
    expect(bad({ kind: "rmsprop" as "sgd" })).toThrow(/kind/);
    expect(bad({ lr: -1 })).toThrow(/lr/);
    expect(bad({ lr: Number.NaN })).toThrow(/lr/);
    expect(bad({ kind: "momentum", momentum: 1 })).toThrow(/momentum/);
    expect(bad({ momentum: 0.9 })).toThrow(/momentum is not an option of sgd/);
    expect(bad({ beta1: 0.9 })).toThrow(/beta1/);
    expect(bad({ kind: "adam", beta2: -0.1 })).toThrow(/beta2/);
    expect(bad({ kind: "adam", eps: 0 })).toThrow(/eps/);
    expect(bad({ weightDecay: -0.1 })).toThrow(/weightDecay/);
    expect(bad({ decay: "both" as "coupled" })).toThrow(/decay/);
    expect(bad({ kind: "adamw" })).toThrow(/adamw/);
    expect(bad({ decoupledScaling: "lr" })).toThrow(/decoupledScaling/);
    expect(bad({ decay: "decoupled", decoupledScaling: "half" as "lr" })).toThrow(
      /decoupledScaling/,
    );
    expect(bad({ groups: [] })).toThrow(/groups/);
    expect(bad({ groups: [{ params: [] }] })).toThrow(/params/);
    expect(bad({ groups: [{ params: [w], decayMultiplier: -1 }] })).toThrow(/decayMultiplier/);
    expect(bad({ groups: [{ params: [tensor(2, 1, "int32")] }] })).toThrow(/float/);
    expect(bad({ groups: [{ params: [w] }, { params: [w] }] })).toThrow(/twice/);
    expect(bad({ groups: [{ params: [w], mask: tensor(1, 3) }] })).toThrow(/mask/);
  });

  it("checks the gradients against the groups before stepping", () => {
    const opt = createOptimizer(untouchable, base);
    expect(() => opt.step([[w]])).toThrow(/one gradient list per group/);
    expect(() => opt.step([[w], []])).toThrow(/grads\[1\]/);
    expect(() => opt.step([[tensor(1, 3)], [b]])).toThrow(/grads\[0\]\[0\] must be 3×1/);
    expect(opt.steps).toBe(0);
  });

  it("checks the schedules' values at each step", () => {
    expect(() => createOptimizer(untouchable, { ...base, lr: () => -1 }).step([[w], [b]])).toThrow(
      /learning rate at step 0/,
    );
    expect(() =>
      createOptimizer(untouchable, {
        ...base,
        decay: "decoupled",
        decaySchedule: () => Number.NaN,
      }).step([[w], [b]]),
    ).toThrow(/decay schedule at step 0/);
  });

  it("refuses to step once disposed", () => {
    const opt = createOptimizer(untouchable, base);
    opt.dispose();
    opt.dispose();
    expect(() => opt.step([[w], [b]])).toThrow(/disposed/);
  });
});
