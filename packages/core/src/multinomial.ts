/**
 * Softmax (multinomial logistic) regression with an L1 or elastic-net penalty, glmnet's
 * multinomial family (type.multinomial "ungrouped"): labels y ∈ {0, …, K − 1}, scores
 * η_ik = b_k + xᵢᵀβ_k,
 *
 *   `J(B, b) = (1/n) Σᵢ [log Σ_k e^{η_ik} − η_{i,yᵢ}] + λ Σ_k [(1 − α)/2‖β_k‖² + α‖β_k‖₁]`,
 *
 * biases unpenalized. glmnet's algorithm (Friedman, Hastie & Tibshirani 2010, §4): the classes
 * are visited in turn; for class k the log-likelihood is replaced by its quadratic (IRLS)
 * approximation in (β_k, b_k) with the other classes held, weights sᵢ = p_ik(1 − p_ik) (floored
 * at 1e-5, as glmnet does) and working response η_ik + (y_ik − p_ik)/sᵢ, solved by core's
 * coordinate descent with exact zeros; a backtracking line search on J keeps every block step a
 * decrease. The biases are defined up to a common shift (the probabilities do not move): they
 * are returned centred (summing to 0), as glmnet's are. Convergence is the KKT test of J's own
 * (sub)gradient over every class.
 */
import { type Dataset, requireSingleOutput } from "./data.js";
import {
  checkInputs,
  checkSolverOptions,
  type SoftmaxFit,
  softmaxClasses,
  weightedDesign,
} from "./logistic.js";
import {
  GRAM_MAX_FEATURES,
  gramKernel,
  interceptOf,
  residualKernel,
  solveCD,
} from "./solvers/coordinate-descent.js";
import { weightedMomentsOf } from "./solvers/moments.js";

/** Options of {@link softmaxElasticNet}. */
export interface SoftmaxElasticNetOptions {
  /** λ ≥ 0. */
  readonly lambda: number;
  /** Mixing α ∈ [0, 1] of λ[(1 − α)/2‖β‖² + α‖β‖₁]: 1 is the lasso. */
  readonly alpha: number;
  /** The number of classes K (default: the largest label + 1). */
  readonly classes?: number;
  /**
   * Stop when every KKT residual is at most tol·g₀, g₀ = max_{j,k} |xⱼᵀ(y_k − ȳ_k)|/n (the
   * gradient at B = 0); default 1e-10.
   */
  readonly tol?: number;
  /**
   * Most sweeps over the classes; default 1000. Block coordinate descent converges linearly,
   * slowly where the classes are nearly separable and λ is small: the wine data's lasso path
   * down to λ = 1.2e-4 (glmnet's last) took up to 222 sweeps to a KKT residual of 1e-10·g₀.
   */
  readonly maxIter?: number;
  /** A starting point (e.g. the fit at a nearby λ); else B = 0 and b the class log-frequencies. */
  readonly warmStart?: Pick<SoftmaxFit, "weights" | "biases">;
}

/** A fitted L1 / elastic-net softmax regression: weights K×d row-major, K biases. */
export interface SoftmaxElasticNetFit extends SoftmaxFit {
  /** The largest KKT residual relative to g₀ (see `tol`). */
  readonly kkt: number;
}

/**
 * See the module comment.
 *
 * @throws RangeError on malformed data, labels that are not class indices, fewer than two
 * classes, λ < 0, α outside [0, 1], a bad warm start or bad options
 */
export function softmaxElasticNet(
  data: Dataset,
  options: SoftmaxElasticNetOptions,
): SoftmaxElasticNetFit {
  requireSingleOutput(data, "softmaxElasticNet");
  const { X, y, n, d } = data;
  const { lambda, alpha, tol = 1e-10, maxIter = 1000 } = options;
  checkInputs(data, lambda);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  checkSolverOptions(tol, maxIter);
  const K = softmaxClasses(y, options.classes);
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);

  const B = new Float64Array(K * d);
  const b = new Float64Array(K);
  const counts = new Float64Array(K);
  for (let i = 0; i < n; i++) counts[y[i] as number] = (counts[y[i] as number] as number) + 1;
  // An absent class starts far down rather than at log 0 = −∞.
  for (let k = 0; k < K; k++) b[k] = Math.log(Math.max(counts[k] as number, 1e-3) / n);
  if (options.warmStart !== undefined) {
    const start = options.warmStart;
    if (start.weights.length !== K * d || start.biases.length !== K) {
      throw new RangeError(`warmStart must have ${K}×${d} weights and ${K} biases`);
    }
    B.set(start.weights);
    b.set(start.biases);
    if (!(B.every(Number.isFinite) && b.every(Number.isFinite))) {
      throw new RangeError("warmStart is not finite");
    }
  }

  const eta = new Float64Array(n * K);
  const p = new Float64Array(n * K);
  /** One class's η for every row, from its β and b. */
  const scoresOf = (beta: ArrayLike<number>, bias: number, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let e = bias;
      for (let j = 0; j < d; j++) e += (X[i * d + j] as number) * (beta[j] as number);
      out[i] = e;
    }
  };
  /** Probabilities from η (row by row, max-shifted), and the mean log-loss. */
  const probabilitiesOf = (e: Float64Array, out: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) m = Math.max(m, e[i * K + k] as number);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp((e[i * K + k] as number) - m);
      for (let k = 0; k < K; k++) out[i * K + k] = Math.exp((e[i * K + k] as number) - m) / sum;
      loss += m + Math.log(sum) - (e[i * K + (y[i] as number)] as number);
    }
    return loss / n;
  };
  const penaltyOf = (beta: ArrayLike<number>): number => {
    let sq = 0;
    let abs = 0;
    for (let j = 0; j < beta.length; j++) {
      const v = beta[j] as number;
      sq += v * v;
      abs += Math.abs(v);
    }
    return (l2 / 2) * sq + l1 * abs;
  };
  const column = new Float64Array(n);
  for (let k = 0; k < K; k++) {
    scoresOf(B.subarray(k * d, (k + 1) * d), b[k] as number, column);
    for (let i = 0; i < n; i++) eta[i * K + k] = column[i] as number;
  }
  let loss = probabilitiesOf(eta, p);
  const penalties = Array.from({ length: K }, (_, k) => penaltyOf(B.subarray(k * d, (k + 1) * d)));
  const objective = () => loss + penalties.reduce((a, v) => a + v, 0);

  /** The largest KKT residual of J over every class (p fresh). */
  const kktOf = (): number => {
    let worst = 0;
    for (let k = 0; k < K; k++) {
      let meanR = 0;
      for (let i = 0; i < n; i++) meanR += ((y[i] === k ? 1 : 0) - (p[i * K + k] as number)) / n;
      worst = Math.max(worst, Math.abs(meanR));
      for (let j = 0; j < d; j++) {
        let c = 0;
        for (let i = 0; i < n; i++) {
          c += (X[i * d + j] as number) * ((y[i] === k ? 1 : 0) - (p[i * K + k] as number));
        }
        c /= n;
        const w = B[k * d + j] as number;
        const v =
          w === 0 ? Math.max(0, Math.abs(c) - l1) : Math.abs(c - l2 * w - l1 * Math.sign(w));
        if (!(v <= worst)) worst = v;
      }
    }
    return worst;
  };
  let g0 = 0;
  for (let k = 0; k < K; k++) {
    const ybar = (counts[k] as number) / n;
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += (X[i * d + j] as number) * ((y[i] === k ? 1 : 0) - ybar);
      g0 = Math.max(g0, Math.abs(c / n));
    }
  }
  const scale = g0 > 0 ? g0 : 1;
  let kkt = kktOf();
  let converged = kkt <= tol * scale;
  let iterations = 0;
  const s = new Float64Array(n);
  const work = new Float64Array(n);
  const betaNew = new Float64Array(d);
  const betaTrial = new Float64Array(d);
  const etaTrial = new Float64Array(n * K);
  const pTrial = new Float64Array(n * K);
  while (!converged && iterations < maxIter) {
    iterations++;
    let moved = false;
    for (let k = 0; k < K; k++) {
      const beta = B.subarray(k * d, (k + 1) * d);
      for (let i = 0; i < n; i++) {
        const pi = p[i * K + k] as number;
        const si = Math.max(pi * (1 - pi), 1e-5);
        s[i] = si;
        work[i] = (eta[i * K + k] as number) + ((y[i] === k ? 1 : 0) - pi) / si;
      }
      const kernel =
        d <= GRAM_MAX_FEATURES
          ? gramKernel(weightedMomentsOf(X, work, s, n, d))
          : residualKernel(weightedDesign(X, work, s, n, d));
      betaNew.set(beta);
      // Inexact early, exact late (as the binomial solver): inner accuracy follows the KKT.
      const innerTol = Math.max(1e-13, Math.min(1e-4, (0.01 * kkt) / scale));
      solveCD(kernel, lambda, alpha, innerTol, 100_000, betaNew);
      const bNew = interceptOf(kernel, betaNew);
      const current = objective();
      let t = 1;
      let next = Number.POSITIVE_INFINITY;
      let nextLoss = loss;
      let nextPenalty = penalties[k] as number;
      for (let step = 0; step < 60; step++) {
        for (let j = 0; j < d; j++) {
          betaTrial[j] = (beta[j] as number) + t * ((betaNew[j] as number) - (beta[j] as number));
        }
        const bias = (b[k] as number) + t * (bNew - (b[k] as number));
        etaTrial.set(eta);
        scoresOf(betaTrial, bias, column);
        for (let i = 0; i < n; i++) etaTrial[i * K + k] = column[i] as number;
        nextLoss = probabilitiesOf(etaTrial, pTrial);
        nextPenalty = penaltyOf(betaTrial);
        next = current - (penalties[k] as number) - loss + nextLoss + nextPenalty;
        if (
          next <= current ||
          (step === 0 && next - current <= 64 * Number.EPSILON * Math.abs(current))
        ) {
          b[k] = bias;
          break;
        }
        t /= 2;
      }
      if (!(next <= current + 64 * Number.EPSILON * Math.abs(current))) continue;
      beta.set(betaTrial);
      eta.set(etaTrial);
      p.set(pTrial);
      loss = nextLoss;
      penalties[k] = nextPenalty;
      moved = true;
    }
    // Centre the biases: a common shift changes neither the probabilities nor J.
    let mean = 0;
    for (let k = 0; k < K; k++) mean += (b[k] as number) / K;
    for (let k = 0; k < K; k++) b[k] = (b[k] as number) - mean;
    for (let i = 0; i < n; i++)
      for (let k = 0; k < K; k++) eta[i * K + k] = (eta[i * K + k] as number) - mean;
    kkt = kktOf();
    converged = kkt <= tol * scale;
    if (!moved) break; // no block can decrease J: the KKT test has the last word
  }
  return {
    weights: B,
    biases: b,
    classes: K,
    iterations,
    converged,
    gradientNorm: kkt / scale,
    kkt: kkt / scale,
  };
}
