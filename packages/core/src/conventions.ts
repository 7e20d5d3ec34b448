/**
 * The λ conventions of other libraries, mapped onto the canonical objective of this project
 *
 *   `J(w, b) = (1/n) Σ ½(wᵀxᵢ + b − yᵢ)² + λ[(1 − α)/2 ‖w‖² + α‖w‖₁]`, bias not penalized,
 *
 * where α = 0 is the L2 (ridge, weight decay) penalty `(λ/2)‖w‖²`, α = 1 the L1 (lasso) penalty
 * `λ‖w‖₁` and 0 < α < 1 the elastic net (identities 11, 16 and 17 of IDENTITIES.md).
 *
 * A library's objective is `F = s·J` for a constant s > 0 (its {@link LambdaConvention.objectiveScale}):
 * a positive factor never moves a minimizer, so matching `F/s` term by term with J gives the
 * conversion. Writing a library's penalty as `c₂‖w‖² + c₁‖w‖₁` with data term `s·(1/(2n))‖r‖²`:
 * canonical `λ(1 − α)/2 = c₂/s` and `λα = c₁/s`. Derivation of each row:
 *
 * | convention | objective as the library writes it | s | canonical λ |
 * |---|---|---|---|
 * | pytorch | `mean(r²)` (MSELoss) with gradient `+ wd·w`, i.e. `mean(r²) + (wd/2)‖w‖²` | 2 | wd/2 |
 * | keras | `mean(r²) + c‖w‖²` (MSE plus `l2(c)`, which adds `c·Σw²`) | 2 | c |
 * | sklearn-ridge | `‖y − Xw − b‖² + alpha‖w‖²` | 2n | alpha/n |
 * | sklearn-sgd | `(1/n)Σ ½r² + alpha·R(w)`, R = ½‖w‖², ‖w‖₁ or `(1−ρ)/2‖w‖² + ρ‖w‖₁` | 1 | alpha |
 * | sklearn-lasso | `(1/(2n))‖r‖² + alpha‖w‖₁` | 1 | alpha |
 * | sklearn-elasticnet | `(1/(2n))‖r‖² + alpha·ρ‖w‖₁ + alpha(1 − ρ)/2‖w‖²` | 1 | alpha |
 * | glmnet | `(1/(2n))‖r‖² + λα‖w‖₁ + λ(1 − α)/(2·sd(y))‖w‖²` (see below) | 1 | λ(α + (1 − α)/sd(y)) |
 *
 * The classifiers' conventions ({@link LambdaConvention.family} `classification`) map onto the
 * same penalty on the mean log-loss L (binary: log(1 + eᶻ) − yz; multinomial: log Σₖ e^{zₖ} −
 * z_y) instead of the mean ½r² (identity 25):
 *
 * | convention | objective as the library writes it | s | canonical λ |
 * |---|---|---|---|
 * | sklearn-logistic | `C·Σ loss + ½‖w‖²` (l2), `C·Σ loss + ‖w‖₁` (l1), `C·Σ loss + (1−ρ)/2‖w‖² + ρ‖w‖₁` | n·C | 1/(n·C) |
 * | glmnet-binomial | `(1/n)Σ loss + λ[(1 − α)/2‖β‖² + α‖β‖₁]` (no y scaling in this family) | 1 | λ |
 * | glmnet-multinomial | `(1/n)Σ loss + λ[(1 − α)/2‖B‖²_F + α Σ|B|]` (type.multinomial "ungrouped") | 1 | λ |
 *
 * scikit-learn's C is an inverse strength ({@link LambdaConvention.inverse}): the larger C, the
 * weaker the penalty, and the objective's scale s = n·C depends on the value itself.
 *
 * (ρ = l1_ratio.) The mixing parameter of the elastic-net rows (sklearn's `l1_ratio`) passes
 * unchanged, except glmnet's: its gaussian family documents `(1/(2n))‖r‖² + λ[(1 − α)/2‖w‖² +
 * α‖w‖₁]` but fits on y divided by sd(y) (divisor n) with λ/sd(y), then scales the coefficients
 * back; substituting gives the objective in the table, so glmnet's (λ, α) is the canonical
 * `λ_c = λ(α + (1 − α)/sd(y))`, `α_c = λα/λ_c` (the same as documented for the lasso, α = 1).
 * These agree with the conventions table of IDENTITIES.md, including Keras's "c (objective
 * doubled)": the doubling is in s, not in λ.
 *
 * Each convention also says whether its library, called with its defaults, standardizes the
 * features ({@link LambdaConvention.standardize}): glmnet does (`standardize = TRUE`, divisor
 * n, coefficients returned on the original scale); scikit-learn, PyTorch and Keras do not.
 */

/** The penalty a λ weighs: L2 `(λ/2)‖w‖²`, L1 `λ‖w‖₁`, or the elastic net mixing both. */
export type PenaltyKind = "l2" | "l1" | "elastic";

/** The names of the known λ conventions, in the order they are listed to users. */
export const CONVENTION_IDS = [
  "canonical",
  "pytorch",
  "keras",
  "sklearn-ridge",
  "sklearn-sgd",
  "sklearn-lasso",
  "sklearn-elasticnet",
  "glmnet",
  "sklearn-logistic",
  "glmnet-binomial",
  "glmnet-multinomial",
] as const;

/** The name of a λ convention. */
export type ConventionId = (typeof CONVENTION_IDS)[number];

/** What a conversion may need to know about the problem. */
export interface ConventionOptions {
  /** The number of training examples; needed by conventions with {@link LambdaConvention.needsN}. */
  readonly n?: number;
  /**
   * The library's mixing parameter (0 ridge … 1 lasso; default 1), for conventions whose λ
   * depends on it ({@link LambdaConvention.scalesY}).
   */
  readonly alpha?: number;
  /**
   * The standard deviation of the training labels, divisor n; needed by conventions with
   * {@link LambdaConvention.scalesY} when α < 1.
   */
  readonly ySd?: number;
}

/** One library's way of writing the penalty strength, and its map to the canonical λ. */
export interface LambdaConvention {
  readonly id: ConventionId;
  /** A short human name. */
  readonly label: string;
  /** The library setting the convention stands for. */
  readonly setting: string;
  /** The name of the library's parameter that carries the value (`weight_decay`, `alpha`…). */
  readonly parameter: string;
  /** The library's objective as it writes it (r = Xw + b − y). */
  readonly objective: string;
  /** The penalties the convention applies to. */
  readonly kinds: readonly PenaltyKind[];
  /**
   * The models it is written for: `regression` (the mean ½r² loss) or `classification` (the
   * mean log-loss of logistic and softmax regression).
   */
  readonly family: "regression" | "classification";
  /** Whether the library's value is an inverse strength (scikit-learn's C): λ = factor / value. */
  readonly inverse: boolean;
  /** The library's name for the elastic-net mixing α, which passes unchanged; absent if none. */
  readonly mixingParameter?: string;
  /** Whether the conversion depends on the number of examples n. */
  readonly needsN: boolean;
  /**
   * Whether the library divides y by its standard deviation before fitting (glmnet's gaussian
   * family), so that for α < 1 the conversion, and the canonical mixing, depend on sd(y).
   */
  readonly scalesY: boolean;
  /**
   * Whether the library, called with its defaults, standardizes the features (divisor n) and
   * penalizes the standardized coefficients, reporting them on the original scale.
   */
  readonly standardize: boolean;
  /** One line on why the conversion is what it is. */
  readonly explanation: string;
  /** The library's value → the canonical λ. */
  toCanonical(value: number, options?: ConventionOptions): number;
  /** The library's mixing parameter → the canonical α (itself unless {@link scalesY}). */
  canonicalAlpha(alpha: number, options?: ConventionOptions): number;
  /** The canonical λ → the library's value. */
  fromCanonical(value: number, options?: ConventionOptions): number;
  /**
   * The constant s with `library objective = s · canonical objective` at the converted λ:
   * minimizers agree, while gradients, and so the learning rates that behave alike, differ by s.
   * An {@link inverse} convention's scale depends on the library's `value` (n·C).
   */
  objectiveScale(options?: ConventionOptions, value?: number): number;
}

function checkValue(value: number, id: ConventionId, direction: string, positive = false): void {
  // A penalty strength is a non-negative finite number in every library listed here; an
  // inverse strength (C) and a λ that converts to one must be positive.
  if (!(Number.isFinite(value) && (positive ? value > 0 : value >= 0))) {
    throw new RangeError(
      `${id} λ (${direction}) must be a finite number ${positive ? "> 0" : "≥ 0"}, got ${value}`,
    );
  }
}

function requireN(options: ConventionOptions | undefined, id: ConventionId): number {
  const n = options?.n;
  if (n === undefined) {
    throw new RangeError(`the ${id} convention depends on the number of examples: pass { n }`);
  }
  if (!(Number.isSafeInteger(n) && n >= 1)) {
    throw new RangeError(`n must be a positive integer, got ${n}`);
  }
  return n;
}

function requireYSd(options: ConventionOptions | undefined, id: ConventionId): number {
  const s = options?.ySd;
  if (s === undefined) {
    throw new RangeError(
      `the ${id} convention with α < 1 depends on the labels' standard deviation: pass { ySd }`,
    );
  }
  if (!(Number.isFinite(s) && s > 0)) {
    throw new RangeError(`ySd must be a finite number > 0, got ${s}`);
  }
  return s;
}

function mixingOf(options: ConventionOptions | undefined): number {
  const a = options?.alpha ?? 1;
  if (!(a >= 0 && a <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${a}`);
  return a;
}

type Spec = Omit<
  LambdaConvention,
  | "toCanonical"
  | "fromCanonical"
  | "objectiveScale"
  | "canonicalAlpha"
  | "scalesY"
  | "standardize"
  | "family"
  | "inverse"
> & {
  readonly scalesY?: boolean;
  readonly standardize?: boolean;
  readonly family?: LambdaConvention["family"];
  readonly inverse?: boolean;
  /** canonical λ = value · factor(options), or factor(options) / value for an inverse one. */
  readonly factor: (options: ConventionOptions | undefined) => number;
  readonly scale: (options: ConventionOptions | undefined, value?: number) => number;
};

function define(spec: Spec): LambdaConvention {
  const {
    factor,
    scale,
    scalesY = false,
    standardize = false,
    family = "regression",
    inverse = false,
    ...rest
  } = spec;
  return Object.freeze({
    ...rest,
    scalesY,
    standardize,
    family,
    inverse,
    kinds: Object.freeze([...spec.kinds]),
    canonicalAlpha(alpha: number, options?: ConventionOptions): number {
      const a = mixingOf({ ...options, alpha });
      if (!scalesY || a === 0 || a === 1) return a;
      // λ_c·α_c = λα, so α_c = α/factor.
      return a / factor({ ...options, alpha: a });
    },
    toCanonical(value: number, options?: ConventionOptions): number {
      checkValue(value, spec.id, "to canonical", inverse);
      return inverse ? factor(options) / value : value * factor(options);
    },
    fromCanonical(value: number, options?: ConventionOptions): number {
      checkValue(value, spec.id, "from canonical", inverse);
      return inverse ? factor(options) / value : value / factor(options);
    },
    objectiveScale(options?: ConventionOptions, value?: number): number {
      return scale(options, value);
    },
  });
}

const one = () => 1;
const two = () => 2;

/** Every known λ convention, by name. */
export const LAMBDA_CONVENTIONS: Readonly<Record<ConventionId, LambdaConvention>> = Object.freeze({
  canonical: define({
    id: "canonical",
    label: "canonical (wdecay)",
    setting: "wdecay: mean ½(wᵀx + b − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁]",
    parameter: "λ",
    objective: "(1/n) Σ ½rᵢ² + λ[(1 − α)/2 ‖w‖² + α‖w‖₁]",
    kinds: ["l2", "l1", "elastic"],
    mixingParameter: "α",
    needsN: false,
    standardize: true,
    explanation: "the reference every other convention is converted to",
    factor: one,
    scale: one,
  }),
  pytorch: define({
    id: "pytorch",
    label: "PyTorch SGD weight_decay",
    setting:
      "torch.optim.SGD(params, weight_decay=wd) with nn.MSELoss() (bias in a group with wd = 0)",
    parameter: "weight_decay",
    objective: "mean(rᵢ²) + (wd/2)‖w‖²  (the potential of the gradient 2/n·Xᵀr + wd·w)",
    kinds: ["l2"],
    needsN: false,
    explanation:
      "MSELoss has no ½, so the loss is twice the canonical one; adding wd·w to its gradient " +
      "is the penalty (wd/2)‖w‖² = 2·(wd/4)‖w‖², hence λ = wd/2",
    factor: () => 0.5,
    scale: two,
  }),
  keras: define({
    id: "keras",
    label: "Keras / TF.js l2(c)",
    setting: "kernel_regularizer=regularizers.l2(c) (TF.js tf.regularizers.l2({l2: c})) with MSE",
    parameter: "l2",
    objective: "mean(rᵢ²) + c‖w‖²",
    kinds: ["l2"],
    needsN: false,
    explanation:
      "both the loss (MSE, no ½) and the penalty c‖w‖² = 2·(c/2)‖w‖² are twice the canonical " +
      "terms, so the objective doubles and λ = c",
    factor: one,
    scale: two,
  }),
  "sklearn-ridge": define({
    id: "sklearn-ridge",
    label: "scikit-learn Ridge",
    setting: "sklearn.linear_model.Ridge(alpha, fit_intercept=True)",
    parameter: "alpha",
    objective: "‖y − Xw − b‖² + alpha‖w‖²",
    kinds: ["l2"],
    needsN: true,
    explanation:
      "a sum of squares without ½ or 1/n is 2n times the canonical loss, and alpha‖w‖² = " +
      "2n·(alpha/(2n))‖w‖², hence λ = alpha/n",
    factor: (options) => 1 / requireN(options, "sklearn-ridge"),
    scale: (options) => 2 * requireN(options, "sklearn-ridge"),
  }),
  "sklearn-sgd": define({
    id: "sklearn-sgd",
    label: "scikit-learn SGDRegressor",
    setting: "sklearn.linear_model.SGDRegressor(loss='squared_error', penalty, alpha, l1_ratio)",
    parameter: "alpha",
    objective: "(1/n) Σ ½rᵢ² + alpha·R(w), R = ½‖w‖² | ‖w‖₁ | (1−ρ)/2‖w‖² + ρ‖w‖₁",
    kinds: ["l2", "l1", "elastic"],
    mixingParameter: "l1_ratio",
    needsN: false,
    explanation:
      "squared_error is ½r², averaged, and the L2 regularizer is ½‖w‖²: the objective is the " +
      "canonical one term by term, so λ = alpha",
    factor: one,
    scale: one,
  }),
  "sklearn-lasso": define({
    id: "sklearn-lasso",
    label: "scikit-learn Lasso",
    setting: "sklearn.linear_model.Lasso(alpha, fit_intercept=True)",
    parameter: "alpha",
    objective: "(1/(2n))‖y − Xw − b‖² + alpha‖w‖₁",
    kinds: ["l1"],
    needsN: false,
    explanation: "the loss is the canonical ½·mean, so the L1 weight is alpha itself",
    factor: one,
    scale: one,
  }),
  "sklearn-elasticnet": define({
    id: "sklearn-elasticnet",
    label: "scikit-learn ElasticNet",
    setting: "sklearn.linear_model.ElasticNet(alpha, l1_ratio, fit_intercept=True)",
    parameter: "alpha",
    objective: "(1/(2n))‖r‖² + alpha·l1_ratio‖w‖₁ + alpha(1 − l1_ratio)/2‖w‖²",
    // l1_ratio = 1 is exactly Lasso and l1_ratio = 0 exactly ridge (which sklearn discourages
    // for its solver, but the objective, and so the conversion, is still this one).
    kinds: ["elastic", "l1", "l2"],
    mixingParameter: "l1_ratio",
    needsN: false,
    explanation: "the objective is the canonical elastic net with λ = alpha and α = l1_ratio",
    factor: one,
    scale: one,
  }),
  glmnet: define({
    id: "glmnet",
    label: "glmnet (R)",
    setting: "glmnet(x, y, family='gaussian', alpha, lambda) (standardize=TRUE, intercept=TRUE)",
    parameter: "lambda",
    objective: "(1/(2n))‖r‖² + λα‖w‖₁ + λ(1 − α)/(2·sd(y))‖w‖²",
    kinds: ["elastic", "l1", "l2"],
    mixingParameter: "alpha",
    needsN: false,
    scalesY: true,
    standardize: true,
    explanation:
      "glmnet fits the gaussian family on y/sd(y) with λ/sd(y) and scales back, so its L2 part " +
      "is divided by sd(y): λ_c = λ(α + (1 − α)/sd(y)), α_c = λα/λ_c (λ_c = λ for the lasso)",
    factor: (options) => {
      const a = mixingOf(options);
      return a === 1 ? 1 : a + (1 - a) / requireYSd(options, "glmnet");
    },
    scale: one,
  }),
  "sklearn-logistic": define({
    id: "sklearn-logistic",
    label: "scikit-learn LogisticRegression",
    setting:
      "sklearn.linear_model.LogisticRegression(C, penalty, l1_ratio) (binary or multinomial, fit_intercept=True)",
    parameter: "C",
    objective: "C·Σ loss(zᵢ, yᵢ) + ½‖w‖² | ‖w‖₁ | (1 − ρ)/2‖w‖² + ρ‖w‖₁",
    kinds: ["l2", "l1", "elastic"],
    mixingParameter: "l1_ratio",
    needsN: true,
    family: "classification",
    inverse: true,
    explanation:
      "C weighs the summed loss, not the penalty: dividing the objective by n·C gives the mean " +
      "loss plus the penalty over n·C, hence λ = 1/(n·C), α = l1_ratio",
    factor: (options) => 1 / requireN(options, "sklearn-logistic"),
    scale: (options, value) => {
      if (value === undefined) {
        throw new RangeError("the sklearn-logistic objective's scale n·C depends on C: pass it");
      }
      return requireN(options, "sklearn-logistic") * value;
    },
  }),
  "glmnet-binomial": define({
    id: "glmnet-binomial",
    label: "glmnet (R), binomial",
    setting: "glmnet(x, y, family='binomial', alpha, lambda) (standardize=TRUE, intercept=TRUE)",
    parameter: "lambda",
    objective: "(1/n) Σ loss(zᵢ, yᵢ) + λ[(1 − α)/2‖β‖² + α‖β‖₁]",
    kinds: ["elastic", "l1", "l2"],
    mixingParameter: "alpha",
    needsN: false,
    standardize: true,
    family: "classification",
    explanation:
      "the binomial family's objective is the canonical one on the mean log-loss (glmnet scales " +
      "y only in the gaussian family), so λ and α pass unchanged",
    factor: one,
    scale: one,
  }),
  "glmnet-multinomial": define({
    id: "glmnet-multinomial",
    label: "glmnet (R), multinomial",
    setting:
      "glmnet(x, y, family='multinomial', alpha, lambda) (type.multinomial='ungrouped', standardize=TRUE)",
    parameter: "lambda",
    objective: "(1/n) Σ loss(zᵢ, yᵢ) + λ[(1 − α)/2‖B‖²_F + α Σ|B|]",
    kinds: ["elastic", "l1", "l2"],
    mixingParameter: "alpha",
    needsN: false,
    standardize: true,
    family: "classification",
    explanation:
      "the multinomial family penalizes every class's coefficients alike on the mean " +
      "log-loss, the canonical objective, so λ and α pass unchanged",
    factor: one,
    scale: one,
  }),
});

/** Whether `name` is the name of a known convention. */
export function isConventionId(name: string): name is ConventionId {
  return (CONVENTION_IDS as readonly string[]).includes(name);
}

/**
 * The convention called `name` (exact, case-insensitive, surrounding blanks ignored).
 * @throws RangeError naming the valid conventions when `name` is none of them
 */
export function parseConvention(name: string): LambdaConvention {
  const key = name.trim().toLowerCase();
  if (!isConventionId(key)) {
    throw new RangeError(
      `unknown λ convention ${JSON.stringify(name)}; valid conventions: ${CONVENTION_IDS.join(", ")}`,
    );
  }
  return LAMBDA_CONVENTIONS[key];
}

function resolve(convention: ConventionId | LambdaConvention): LambdaConvention {
  return typeof convention === "string" ? parseConvention(convention) : convention;
}

/** Options of {@link convertLambda}. */
export interface ConvertOptions extends ConventionOptions {
  /**
   * The penalty the value weighs; both conventions must apply to it. When absent, they must share
   * at least one kind (an L2-only value has no meaning as a lasso weight).
   */
  readonly kind?: PenaltyKind;
}

/**
 * Converts a penalty strength between conventions, through the canonical λ. For the elastic net
 * only λ converts: the mixing α is the same number in every convention listed.
 * @throws RangeError for an unknown name, a negative or non-finite value, a missing `n` where a
 * convention needs it, or conventions that do not apply to the same penalty
 */
export function convertLambda(
  value: number,
  from: ConventionId | LambdaConvention,
  to: ConventionId | LambdaConvention,
  options: ConvertOptions = {},
): number {
  const source = resolve(from);
  const target = resolve(to);
  // The canonical λ weighs the same penalty on either loss; other conventions are written for
  // one model family, and a regression setting means nothing to a classifier's library.
  if (source.family !== target.family && source.id !== "canonical" && target.id !== "canonical") {
    throw new RangeError(
      `the ${source.id} convention is for ${source.family}, the ${target.id} one for ${target.family}: no setting of one stands for a setting of the other`,
    );
  }
  const { kind } = options;
  if (kind !== undefined) {
    for (const c of [source, target]) {
      if (!c.kinds.includes(kind)) {
        throw new RangeError(
          `the ${c.id} convention does not apply to ${kind} penalties (only ${c.kinds.join(", ")})`,
        );
      }
    }
  } else if (!source.kinds.some((k) => target.kinds.includes(k))) {
    throw new RangeError(
      `the ${source.id} (${source.kinds.join(", ")}) and ${target.id} (${target.kinds.join(", ")}) ` +
        "conventions share no penalty kind",
    );
  }
  // A pure L2 or L1 value fixes the mixing for conventions that need it.
  const mixing = options.alpha ?? (kind === "l2" ? 0 : kind === "l1" ? 1 : undefined);
  const o = mixing === undefined ? options : { ...options, alpha: mixing };
  return target.fromCanonical(source.toCanonical(value, o), o);
}

/** A penalty in the canonical convention: `λ[(1 − α)/2‖w‖² + α‖w‖₁]`. */
export interface CanonicalPenalty {
  readonly lambda: number;
  readonly alpha: number;
}

/**
 * A library's (λ, mixing) as the canonical (λ, α) that gives the same minimizer: λ converts by
 * {@link LambdaConvention.toCanonical} and the mixing by {@link LambdaConvention.canonicalAlpha}
 * (unchanged except for glmnet's y scaling).
 *
 * @param value the library's λ
 * @param alpha the library's mixing (0 for L2, 1 for L1)
 * @throws RangeError as {@link convertLambda}, or for a mixing outside [0, 1]
 */
export function toCanonicalPenalty(
  value: number,
  alpha: number,
  convention: ConventionId | LambdaConvention,
  options: ConventionOptions = {},
): CanonicalPenalty {
  const c = resolve(convention);
  const o = { ...options, alpha };
  return { lambda: c.toCanonical(value, o), alpha: c.canonicalAlpha(alpha, o) };
}

function formatNumber(x: number): string {
  // Six significant digits: enough to tell values apart in a report, without float noise.
  return String(Number(x.toPrecision(6)));
}

/**
 * A one-line statement of a penalty strength and its convention, for every output that shows a λ:
 * e.g. `weight_decay = 0.006 (pytorch convention: …; canonical λ = 0.003)`. The canonical value
 * is added for other conventions when it can be computed (sklearn Ridge needs `n`).
 */
export function describeLambda(
  value: number,
  convention: ConventionId | LambdaConvention,
  options: ConventionOptions = {},
): string {
  const c = resolve(convention);
  const head = `${c.parameter} = ${formatNumber(value)} (${c.id} convention: ${c.setting}`;
  if (c.id === "canonical") return `${head})`;
  if (c.needsN && options.n === undefined) {
    return `${head}; canonical λ depends on n, not given)`;
  }
  if (c.scalesY && (options.alpha ?? 1) < 1 && options.ySd === undefined) {
    return `${head}; canonical λ depends on sd(y), not given)`;
  }
  return `${head}; canonical λ = ${formatNumber(c.toCanonical(value, options))})`;
}
