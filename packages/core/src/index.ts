/**
 * @wdecay/core: the Backend interface and registry, seeded data, linear regression with weight
 * decay (analytic gradients, fused-kernel compositions), networks and classifiers with parameter
 * groups chosen by rule, the training loop of D2L §4.5, and the
 * float64 host pieces of the toolkit (ridge, λ conventions, the Bayesian reading, data files).
 */
export * from "./backend.js";
export * from "./bayes.js";
export * from "./chapter.js";
export * from "./conventions.js";
export * from "./data.js";
export * from "./io/csv.js";
export * from "./io/csv-stream.js";
export * from "./io/model-file.js";
export * from "./io/split.js";
export * from "./io/standardize.js";
export * from "./linear.js";
export * from "./logistic.js";
export * from "./logistic-selection.js";
export * from "./models/activations.js";
export * from "./models/dense.js";
export * from "./models/groups.js";
export * from "./models/network.js";
export * from "./models/train-network.js";
export * from "./multinomial.js";
export * from "./optim/optimizers.js";
export type { Schedule } from "./optim/schedule.js";
export * as schedules from "./optim/schedule.js";
export * from "./random.js";
export * from "./registry.js";
export * from "./ridge.js";
export {
  type CurvePoint,
  fitFromMoments,
  type LambdaSelection,
  type MomentsFitOptions,
  minimumLambda,
  oneStandardErrorRule,
  type SelectionMethod,
  type SelectionRule,
  type SelectLambdaOptions,
  selectLambda,
  selectLambdaFromMoments,
  type ValidationPoint,
} from "./selection.js";
export * from "./shapes.js";
export {
  CD_DEFAULT_MAX_ITER,
  CD_DEFAULT_TOL,
  type CoordinateDescentFit,
  type CoordinateDescentOptions,
  type ElasticNetFit,
  type ElasticNetOptions,
  elasticNetCD,
  usesCovarianceUpdates,
} from "./solvers/coordinate-descent.js";
export { elasticNetObjective, type KKTReport, lassoKKT } from "./solvers/kkt.js";
export {
  type Moments,
  meanSquaredErrorOf,
  mergeMoments,
  momentsOf,
  standardizedMoments,
} from "./solvers/moments.js";
export {
  lambdaMax,
  PATH_MIN_ALPHA,
  type PathOptions,
  pathFromMoments,
  type RegularizationPath,
  regularizationPath,
} from "./solvers/path.js";
export {
  elasticNetProx,
  PROX_DEFAULT_MAX_ITER,
  PROX_DEFAULT_TOL,
  type ProximalGradientFit,
  type ProximalGradientOptions,
} from "./solvers/proximal-gradient.js";
export { softThreshold } from "./solvers/soft-threshold.js";
export * from "./stats/accumulate.js";
export * from "./stats/stats-file.js";
export * from "./train.js";
export * from "./train-stream.js";
