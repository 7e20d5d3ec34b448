import type { Mutant } from "../mutant.js";

const TRAIN = "packages/core/src/train.ts";
const LINEAR = "packages/core/src/linear.ts";
const DATA = "packages/core/src/data.ts";
const RANDOM = "packages/core/src/random.ts";
const OPTIMIZERS = "packages/core/src/optim/optimizers.ts";
const SCHEDULE = "packages/core/src/optim/schedule.ts";
const RIDGE = "packages/core/src/ridge.ts";
const CD = "packages/core/src/solvers/coordinate-descent.ts";
const PROX = "packages/core/src/solvers/proximal-gradient.ts";
const PATH = "packages/core/src/solvers/path.ts";
const KKT = "packages/core/src/solvers/kkt.ts";
const INTERNAL = "packages/core/src/solvers/internal.ts";
const MOMENTS = "packages/core/src/solvers/moments.ts";
const RIDGE_PATH = "packages/core/src/solvers/ridge-path.ts";
const SELECTION = "packages/core/src/selection.ts";
const CONVENTIONS = "packages/core/src/conventions.ts";

/**
 * Bugs in core: the training loop and what it reports, the optimizers and schedules, the
 * minibatch order, and the host solvers the suite takes as its truth. Every backend the suite
 * runs (cpu, cpu-f32, wasm, webgpu) has both fused kernels, so core's compositions are reached
 * only where the suite calls them itself; cpu alone is enough to run each of these.
 */
export const CORE_MUTANTS: readonly Mutant[] = [
  // --- the training loop and its history ----------------------------------------------------
  {
    id: "core-train-evaluates-before-the-epoch",
    bug: "the evaluation runs before the epoch's steps, so every history point (and the final train/test loss) is one epoch late",
    file: TRAIN,
    find: `      backend.write(order, schedule.shuffle());
      schedule.forEachBatch(step);
      if (epoch % evalEvery === 0 || epoch === epochs) {
        const points = await evaluate(epoch);
        points.forEach((point, l) => histories[l]?.push(point));
        options.onEvaluate?.(points);
      }`,
    replace: `      if (epoch % evalEvery === 0 || epoch === epochs) {
        const points = await evaluate(epoch);
        points.forEach((point, l) => histories[l]?.push(point));
        options.onEvaluate?.(points);
      }
      backend.write(order, schedule.shuffle());
      schedule.forEachBatch(step);`,
    backends: ["cpu"],
  },
  {
    id: "core-train-history-swaps-train-and-test",
    bug: "the two losses read back at an evaluation are unpacked in the wrong order: trainLoss is the test loss and vice versa",
    file: TRAIN,
    find: "const [tr, te] = await Promise.all([backend.read(trainLoss), backend.read(testLoss)]);",
    replace:
      "const [te, tr] = await Promise.all([backend.read(trainLoss), backend.read(testLoss)]);",
    backends: ["cpu"],
  },
  {
    id: "core-grid-final-loss-includes-penalty",
    bug: "trainGrid's final trainLoss reports the objective J = loss + (λ/2)‖w‖² instead of the loss without the penalty",
    file: TRAIN,
    find: `      l2Norm: l2Norm(column),
      trainLoss: last.trainLoss,`,
    replace: `      l2Norm: l2Norm(column),
      trainLoss: last.trainLoss + (lambda / 2) * l2Norm(column) ** 2,`,
    backends: ["cpu"],
  },
  {
    id: "core-multi-output-losses-from-first-evaluation",
    bug: "trainMultiOutput's per-output losses are taken from the first evaluation point instead of the last",
    file: TRAIN,
    find: "const p = h[h.length - 1] as HistoryPoint;",
    replace: "const p = h[0] as HistoryPoint;",
    backends: ["cpu"],
  },
  {
    id: "core-grid-columns-read-column-major",
    bug: "trainGrid reads column l of the d×L weight matrix as if it were stored column-major",
    file: TRAIN,
    find: "for (let j = 0; j < d; j++) column[j] = weights[j * L + l] as number;",
    replace: "for (let j = 0; j < d; j++) column[j] = weights[l * d + j] as number;",
    backends: ["cpu"],
  },
  {
    id: "core-train-optimizer-bias-takes-weight-multiplier",
    bug: "train's optimizer path builds the bias group's decay mask from the weight multiplier (copy-paste), so the bias is decayed",
    file: TRAIN,
    find: "l2Part.map((v) => v * groups.bias),",
    replace: "l2Part.map((v) => v * groups.weight),",
    backends: ["cpu"],
  },

  // --- minibatch order ------------------------------------------------------------------------
  {
    id: "core-minibatch-drops-last-partial",
    bug: "the minibatch loop stops before a last batch smaller than batchSize (drop_last), so those rows are never trained on in that epoch",
    file: DATA,
    find: "for (let offset = 0; offset < this.n; offset += this.batchSize) {",
    replace: "for (let offset = 0; offset + this.batchSize <= this.n; offset += this.batchSize) {",
    backends: ["cpu"],
  },
  {
    id: "core-minibatch-last-batch-overlaps",
    bug: "the last batch is kept full by sliding it back to end at n, so rows of the previous batch are stepped on twice",
    file: DATA,
    find: "visit(offset, Math.min(this.batchSize, this.n - offset));",
    replace: "visit(Math.min(offset, this.n - this.batchSize), this.batchSize);",
    backends: ["cpu"],
  },
  {
    id: "core-permutation-is-sattolo",
    bug: "Fisher–Yates draws j from [0, i) instead of [0, i] (Sattolo's algorithm): only cyclic permutations, no row ever stays in place",
    file: RANDOM,
    find: "const j = this.below(i + 1);",
    replace: "const j = this.below(i);",
    backends: ["cpu"],
  },

  // --- optimizers and schedules ---------------------------------------------------------------
  {
    id: "core-optimizer-lr-schedule-one-step-early",
    bug: "the optimizer reads the learning-rate schedule at t + 1 (the scheduler stepped before the optimizer): warm-up never gives 0, drops come a step early",
    file: OPTIMIZERS,
    find: "const eta = lr(t);",
    replace: "const eta = lr(t + 1);",
    backends: ["cpu"],
  },
  {
    id: "core-optimizer-decay-schedule-one-step-late",
    bug: "the optimizer reads the decay schedule at the previous step's index, so the decay factor lags the schedule by one step",
    file: OPTIMIZERS,
    find: "const s = decaySchedule(t);",
    replace: "const s = decaySchedule(Math.max(0, t - 1));",
    backends: ["cpu"],
  },
  {
    id: "core-warmup-starts-above-zero",
    bug: "linear warm-up counts from 1 (v·(t + 1)/steps): the first step is not 0 and warm-up reaches v one step early",
    file: SCHEDULE,
    find: "return t < steps ? (v * t) / steps : v;",
    replace: "return t < steps ? (v * (t + 1)) / steps : v;",
    backends: ["cpu"],
  },

  // --- the composition from primitives --------------------------------------------------------
  {
    id: "core-compose-sgd-prox-before-update",
    bug: "the composed SGD step applies the L1 soft threshold before the smooth update instead of after it",
    file: LINEAR,
    find: `      update(spec.w, gw, lr, scalarDecay, decayRow);
      prox(lr);`,
    replace: `      prox(lr);
      update(spec.w, gw, lr, scalarDecay, decayRow);`,
    backends: ["cpu"],
  },

  // --- the reference solvers -----------------------------------------------------------------
  {
    id: "core-ridge-dual-forgets-n",
    bug: "the dual (d > n) ridge system adds λ instead of nλ to the kernel's diagonal, so it solves ridge at λ/n",
    file: RIDGE,
    find: "K[i * n + k] = s + (i === k ? ridge : 0);",
    replace: "K[i * n + k] = s + (i === k ? lambda : 0);",
    backends: ["cpu"],
  },
  {
    id: "core-cd-denominator-uses-full-lambda",
    bug: "the coordinate-descent update (covariance updates, d ≤ n) divides by v_j + λ instead of v_j + λ(1 − α): it converges to the wrong point for every α > 0",
    file: CD,
    find: "const delta = shrink((grad[j] as number) + v * wOld, l1) / (v + l2) - wOld;",
    replace: "const delta = shrink((grad[j] as number) + v * wOld, l1) / (v + l1 + l2) - wOld;",
    backends: ["cpu"],
  },
  {
    id: "core-cd-naive-denominator-uses-full-lambda",
    bug: "the coordinate-descent update with a kept residual (d > n) divides by v_j + λ instead of v_j + λ(1 − α)",
    file: CD,
    find: "const delta = shrink(dot / n + v * wOld, l1) / (v + l2) - wOld;",
    replace: "const delta = shrink(dot / n + v * wOld, l1) / (v + l1 + l2) - wOld;",
    backends: ["cpu"],
  },
  {
    id: "core-cd-screening-never-corrected",
    bug: "a coordinate the strong rule left out of the working set never joins it when its KKT condition fails, so the path cannot converge wherever the rule errs",
    file: CD,
    find: `      if (!inSet[j] && (colScale[j] as number) > 0 && (report.violations[j] as number) > tolAbs) {
        inSet[j] = 1;
        set[setCount++] = j;
      }`,
    replace: `      if (!inSet[j] && (colScale[j] as number) > 0 && (report.violations[j] as number) > tolAbs) {
        inSet[j] = 1;
      }`,
    backends: ["cpu"],
  },
  {
    id: "core-cd-kkt-test-forgets-l2",
    bug: "the convergence test's KKT residual of a nonzero weight leaves out the L2 term λ(1 − α)w_j, so elastic nets never converge and ridge-like fits stop at the wrong point",
    file: INTERNAL,
    find: "wj === 0 ? Math.max(0, Math.abs(cj) - l1) : Math.abs(cj - l2 * wj - l1 * Math.sign(wj));",
    replace: "wj === 0 ? Math.max(0, Math.abs(cj) - l1) : Math.abs(cj - l1 * Math.sign(wj));",
    backends: ["cpu"],
  },
  {
    id: "core-moments-merge-sign",
    bug: "merging two row sets' moments subtracts the between-means term (n_a n_b/n)·δδᵀ instead of adding it, so every training part's Gram matrix in cross-validation is wrong",
    file: MOMENTS,
    find: "sxx[k] = (a.sxx[k] as number) + (b.sxx[k] as number) + f * dj * (delta[l] as number);",
    replace:
      "sxx[k] = (a.sxx[k] as number) + (b.sxx[k] as number) - f * dj * (delta[l] as number);",
    backends: ["cpu"],
  },
  {
    id: "core-ridge-path-transposed-eigenvectors",
    bug: "the ridge path projects q on V's rows instead of its columns (Vq, not Vᵀq), so every λ's weights are wrong",
    file: RIDGE_PATH,
    find: "for (let j = 0; j < d; j++) s += (V[j * d + k] as number) * ((m.sxy[j] as number) / n);",
    replace:
      "for (let j = 0; j < d; j++) s += (V[k * d + j] as number) * ((m.sxy[j] as number) / n);",
    backends: ["cpu"],
  },
  {
    id: "core-selection-unweighted-folds",
    bug: "the cross-validation curve weighs every fold as if it had the first fold's size (an unweighted mean, up to scale), as cv.glmnet does not",
    file: SELECTION,
    find: "    sum += (sizes[f] as number) * (losses[f] as number);",
    replace: "    sum += (sizes[0] as number) * (losses[f] as number);",
    backends: ["cpu"],
  },
  {
    id: "core-glmnet-ignores-y-scaling",
    bug: "the glmnet convention takes its documented objective at face value, λ_c = λ, ignoring that glmnet fits y/sd(y): wrong for every elastic net with α < 1",
    file: CONVENTIONS,
    find: 'return a === 1 ? 1 : a + (1 - a) / requireYSd(options, "glmnet");',
    replace: 'return a === 1 ? 1 : a + (1 - a) / Math.max(1, 0 * requireYSd(options, "glmnet"));',
    backends: ["cpu"],
  },
  {
    id: "core-prox-stops-on-unscaled-step",
    bug: "proximal gradient measures ‖w⁺ − u‖ instead of the mapping ‖w⁺ − u‖/η, so it stops early whenever η < 1 (L > 1)",
    file: PROX,
    find: "mapping = Math.sqrt(sq) / lr;",
    replace: "mapping = Math.sqrt(sq);",
    backends: ["cpu"],
  },
  {
    id: "core-path-grid-stops-short",
    bug: "the default λ grid spaces k/nLambda instead of k/(nLambda − 1), so it never reaches lambdaMinRatio·λ_max",
    file: PATH,
    find: "Math.exp((k / (count - 1)) * logRatio)",
    replace: "Math.exp((k / count) * logRatio)",
    backends: ["cpu"],
  },
  {
    id: "core-kkt-l1-sign-flipped",
    bug: "lassoKKT adds λα·sign(w_j) at nonzero weights instead of subtracting it, reporting 2λα at an exact solution",
    file: KKT,
    find: "Math.abs(cj - l2 * wj - l1 * Math.sign(wj))",
    replace: "Math.abs(cj - l2 * wj + l1 * Math.sign(wj))",
    backends: ["cpu"],
  },
];
