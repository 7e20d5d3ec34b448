import type { Mutant } from "../mutant.js";

const KERNELS = "packages/backend-cpu/src/kernels.ts";

export const CPU_MUTANTS: readonly Mutant[] = [
  {
    id: "cpu-matmul-zero-ends-row",
    bug: "matmul's skip of a zero factor leaves the whole row (break instead of continue)",
    file: KERNELS,
    find: "      if (aip === 0) continue;",
    replace: "      if (aip === 0) break;",
    backends: ["cpu", "cpu-f32"],
  },
  {
    id: "cpu-sgd1-bias-takes-weight-decay",
    bug: "the one-column SGD step shrinks the bias by the weights' decay",
    file: KERNELS,
    find: "  b[0] = (1 - lr * biasDecay) * b0 - lr * rSum * inv;",
    replace: "  b[0] = (1 - lr * decay) * b0 - lr * rSum * inv;",
    backends: ["cpu", "cpu-f32"],
  },
];
