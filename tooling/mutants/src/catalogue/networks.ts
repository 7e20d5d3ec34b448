import type { Mutant } from "../mutant.js";

const TRAIN_NETWORK = "packages/core/src/models/train-network.ts";
const ACTIVATIONS = "packages/core/src/models/activations.ts";
const DENSE = "packages/core/src/models/dense.ts";
const GROUPS = "packages/core/src/models/groups.ts";
const OPTIMIZERS = "packages/core/src/optim/optimizers.ts";
const SHAPES = "packages/core/src/shapes.ts";
const CONVENTIONS = "packages/core/src/conventions.ts";
const WGSL = "packages/backend-webgpu/src/wgsl.ts";

/**
 * Bugs in networks and classifiers: core's backpropagation and output losses, its ReLU
 * composition, the grouping rules and the per-group optimizer settings, and the backends'
 * network primitives (the host max every TypeScript backend shares, the WGSL exp).
 */
export const NETWORK_MUTANTS: readonly Mutant[] = [
  {
    id: "core-net-backprop-skips-relu-mask",
    bug: "backpropagation passes the gradient through a hidden layer without ReLU's 0/1 mask, as if the layer were linear",
    file: DENSE,
    find: `const dA = backend.binary("mul", back, mask);`,
    replace: `const dA = backend.axpby(1, back, 0, mask);`,
    backends: ["cpu"],
  },
  {
    id: "core-net-softmax-probabilities-unnormalized",
    bug: "the row softmax returns e^(Z − max) without dividing by its row sum, so the softmax gradient is P − Y with unnormalized P",
    file: ACTIVATIONS,
    find: `const probabilities = backend.binary("div", e, sum);`,
    replace: `const probabilities = backend.binary("mul", e, backend.upload([1], [1, 1]));`,
    backends: ["cpu"],
  },
  {
    id: "core-net-train-drops-group-lr-multiplier",
    bug: "trainNetwork builds the optimizer's groups without their learning-rate multipliers, so a frozen or slowed group trains at the base rate",
    file: TRAIN_NETWORK,
    find: "      lrMultiplier: g.lrMultiplier,\n",
    replace: "",
    backends: ["cpu"],
  },
  {
    id: "core-net-train-targets-in-file-order",
    bug: "a minibatch's targets are gathered in file order (offset, count) rather than by the epoch's shuffled row order, so rows and targets are mismatched",
    file: TRAIN_NETWORK,
    find: "const Yb = backend.gatherRows(Ytr, order, offset, count);",
    replace:
      'const Yb = backend.gatherRows(Ytr, backend.upload(Array.from({ length: data.train.rows }, (_, i) => i), [data.train.rows, 1], "int32"), offset, count);',
    backends: ["cpu"],
  },
  {
    id: "core-net-relu-composition-halves-each-term",
    bug: "the composed ReLU computes ½a + ½|a| (two roundings) instead of (a + |a|)·½: an odd float32 subnormal halves to the wrong value",
    file: ACTIVATIONS,
    find: "const out = backend.axpby(0.5, twice, 0, twice);",
    replace: "const out = backend.axpby(0.5, a, 0.5, abs);",
    // cpu-f32 computes axpby in float64 and rounds once, where the two halvings are exact: only
    // a backend that rounds each product to float32 (webgpu) shows the bug.
    backends: ["webgpu"],
  },
  {
    id: "core-net-groups-lr-multiplier-ignored",
    bug: "the optimizer steps every group with the base learning rate, ignoring the group's lrMultiplier (a frozen layer still trains)",
    file: OPTIMIZERS,
    find: "const groupEta = eta * (group.lrMultiplier ?? 1);",
    replace: "const groupEta = eta;",
    backends: ["cpu"],
  },
  {
    id: "core-net-groups-own-lambda-ignored",
    bug: "the optimizer ignores a group's own weightDecay and uses the base λ × multiplier (the no-decay group gets the base λ)",
    file: OPTIMIZERS,
    find: "const lambda = (group.weightDecay ?? weightDecay * (group.decayMultiplier ?? 1)) * s;",
    replace: "const lambda = weightDecay * (group.decayMultiplier ?? 1) * s;",
    backends: ["cpu"],
  },
  {
    id: "core-net-groups-default-decays-biases",
    bug: "the default rule decays every parameter of rank ≥ 1, biases included",
    file: GROUPS,
    find: `return p.ndim >= 2 && !p.name.endsWith("bias");`,
    replace: "return p.ndim >= 1;",
    backends: ["cpu"],
  },
  {
    id: "core-conv-logistic-c-without-n",
    bug: "scikit-learn's C converts as λ = 1/C, forgetting that C weighs the summed, not the mean, log-loss (λ = 1/(n·C))",
    file: CONVENTIONS,
    find: `factor: (options) => 1 / requireN(options, "sklearn-logistic"),`,
    replace: "factor: () => 1,",
    backends: ["cpu"],
  },
  {
    id: "core-conv-logistic-c-as-strength",
    bug: "scikit-learn's C is read as a strength like every other convention's value (λ = C/n), not an inverse one",
    file: CONVENTIONS,
    find: "return inverse ? factor(options) / value : value * factor(options);",
    replace: "return value * factor(options);",
    backends: ["cpu"],
  },
  {
    id: "core-net-host-max-column-stride",
    bug: "the host max (cpu and wasm) steps through a column with stride 1 instead of the row length: max over rows reads the wrong elements",
    file: SHAPES,
    find: "const innerStride = axis === 0 ? c : 1;",
    replace: "const innerStride = 1;",
    backends: ["cpu"],
  },
  {
    id: "webgpu-matmul-tile-last-block-unpadded",
    bug: "the tiled product stages both blocks without the k bound, so where the inner dimension is not a multiple of 16 the last block multiplies elements past op(A)'s row by elements past op(B)'s column (either bound alone suffices: the other side's zeros cancel the overrun)",
    file: WGSL,
    find: `tileA[lid] = select(0.0, a[r * pu(3u) + pa * pu(4u)], r < m && pa < k);
    tileB[lid] = select(0.0, b[pb * pu(5u) + c * pu(6u)], pb < k && c < n);`,
    replace: `tileA[lid] = select(0.0, a[r * pu(3u) + pa * pu(4u)], r < m);
    tileB[lid] = select(0.0, b[pb * pu(5u) + c * pu(6u)], c < n);`,
    backends: ["webgpu"],
  },
  {
    id: "webgpu-matmul-tile-column-from-row",
    bug: "the tiled product reads op(B)'s staged block at the invocation's row instead of its column",
    file: WGSL,
    find: "acc = accProduct(acc, tileA[lr * T + q], tileB[q * T + lc]);",
    replace: "acc = accProduct(acc, tileA[lr * T + q], tileB[q * T + lr]);",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-exp-flushes-subnormal-results",
    bug: "the WGSL exp drops its rescaling for very negative arguments, so on a flushing device exp(−100) is 0 instead of a subnormal",
    file: WGSL,
    find: "if (x < -42.0 && x > -200.0) { return down(exp(x + 44.3614195558365), 64u); }",
    replace: "",
    backends: ["webgpu"],
  },
];
