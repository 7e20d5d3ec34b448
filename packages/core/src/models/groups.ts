/**
 * Parameter groups chosen by rule, as timm's `param_groups_weight_decay`, Hugging Face's
 * `get_decay_parameter_names` and optax's masks choose them: by default every weight matrix is
 * decayed and every bias (ndim ≤ 1, or a name ending in `bias`) is not. Rules, tried in order
 * before that default, send matching parameters to a named group with its own λ, learning-rate
 * multiplier, L1 strength and decay placement; an explicit no-decay list exempts parameters by
 * name. The result names every group and lists its members, so a user sees where each
 * parameter landed.
 */
import type { DecayPlacement } from "../optim/optimizers.js";
import type { ParameterInfo } from "./network.js";

/** Which parameters a rule takes. */
export type ParameterMatcher =
  /** A name, or a glob where `*` matches any run of characters: `*.bias`, `layers.0.*`. */
  | string
  | RegExp
  /** Any of these names or globs. */
  | readonly string[]
  | ((parameter: ParameterInfo) => boolean);

/** The settings of one group; what a rule leaves out comes from the base settings. */
export interface GroupSettings {
  /** λ ≥ 0 of the group: its L2 penalty (coupled) or decay rate (decoupled). */
  readonly weightDecay?: number;
  /** Multiplies the learning rate for the group (1); 0 freezes it. */
  readonly lrMultiplier?: number;
  /** λ₁ ≥ 0 of an L1 penalty, applied as a proximal step after each update (0). */
  readonly l1?: number;
  /** Where the decay enters, for this group (the optimizer's placement by default). */
  readonly decay?: DecayPlacement;
}

/** A rule: the parameters it matches go to the group `name` with its settings. */
export interface GroupRule extends GroupSettings {
  readonly name: string;
  readonly match: ParameterMatcher;
}

/** Options of {@link groupParameters}. */
export interface GroupingOptions {
  /** λ of the default decayed group. */
  readonly weightDecay: number;
  /** Settings of every group unless a rule says otherwise (learning-rate multiplier, L1…). */
  readonly base?: Omit<GroupSettings, "weightDecay">;
  /** Tried in order; the first rule that matches a parameter takes it. */
  readonly rules?: readonly GroupRule[];
  /** Names or globs exempt from decay (Hugging Face's and timm's `no_weight_decay` lists). */
  readonly noDecay?: readonly string[];
  /**
   * `"weights"` (default): parameters no rule takes are decayed if they are weight matrices
   * (ndim 2, name not ending in `bias`), and go to `no_decay` otherwise. `"all"`: every
   * parameter is decayed, biases included (PyTorch's default without groups).
   */
  readonly defaultRule?: "weights" | "all";
}

/** One resolved group. */
export interface ResolvedGroup {
  readonly name: string;
  readonly weightDecay: number;
  readonly lrMultiplier: number;
  readonly l1: number;
  /** Undefined: the optimizer's placement. */
  readonly decay?: DecayPlacement;
  /** Names of its parameters, in the model's order. */
  readonly members: readonly string[];
  /** Their indices in the model's parameter list. */
  readonly indices: readonly number[];
}

/** Groups in order of first appearance in the model; a group with no member is left out. */
export interface ParameterGrouping {
  readonly groups: readonly ResolvedGroup[];
  /** The group name of each parameter, in the model's order. */
  readonly groupOf: readonly string[];
}

export const DECAY_GROUP = "decay";
export const NO_DECAY_GROUP = "no_decay";

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

function matcher(match: ParameterMatcher): (p: ParameterInfo) => boolean {
  if (typeof match === "function") return match;
  if (match instanceof RegExp) return (p) => match.test(p.name);
  const globs = (typeof match === "string" ? [match] : match).map(globToRegExp);
  return (p) => globs.some((g) => g.test(p.name));
}

function nonNegative(where: string, key: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
    throw new RangeError(`${where}: ${key} must be a finite number ≥ 0, got ${v}`);
  }
}

function checkSettings(where: string, s: GroupSettings): void {
  nonNegative(where, "weightDecay", s.weightDecay);
  nonNegative(where, "lrMultiplier", s.lrMultiplier);
  nonNegative(where, "l1", s.l1);
  if (s.decay !== undefined && s.decay !== "coupled" && s.decay !== "decoupled") {
    throw new RangeError(
      `${where}: decay must be "coupled" or "decoupled", got ${String(s.decay)}`,
    );
  }
}

/** Whether the default rule decays a parameter: a weight matrix whose name is not a bias's. */
export function isDecayedByDefault(p: ParameterInfo): boolean {
  return p.ndim >= 2 && !p.name.endsWith("bias");
}

/**
 * Sorts parameters into groups (see the module comment).
 *
 * @throws RangeError on a bad setting, a group name used by two rules with different settings,
 *   or a rule or no-decay entry that matches no parameter (a typo would otherwise pass silently)
 */
export function groupParameters(
  params: readonly ParameterInfo[],
  options: GroupingOptions,
): ParameterGrouping {
  const { weightDecay, base = {}, rules = [], noDecay = [], defaultRule = "weights" } = options;
  checkSettings("grouping", { weightDecay, ...base });
  if (defaultRule !== "weights" && defaultRule !== "all") {
    throw new RangeError(`defaultRule must be "weights" or "all", got ${String(defaultRule)}`);
  }
  const settings = new Map<string, Required<Omit<GroupSettings, "decay">> & GroupSettings>();
  const define = (name: string, s: GroupSettings, where: string) => {
    const full = {
      weightDecay: s.weightDecay ?? weightDecay,
      lrMultiplier: s.lrMultiplier ?? base.lrMultiplier ?? 1,
      l1: s.l1 ?? base.l1 ?? 0,
      decay: s.decay ?? base.decay,
    };
    const old = settings.get(name);
    if (old && JSON.stringify(old) !== JSON.stringify(full)) {
      throw new RangeError(`${where}: group "${name}" is given two different settings`);
    }
    settings.set(name, full);
  };
  const tests = rules.map((rule, i) => {
    const where = `rules[${i}] ("${rule.name}")`;
    if (typeof rule.name !== "string" || rule.name === "") {
      throw new RangeError(`rules[${i}]: name must be a non-empty string`);
    }
    checkSettings(where, rule);
    define(rule.name, rule, where);
    return matcher(rule.match);
  });
  const exempt = noDecay.map((glob) => ({ glob, test: matcher(glob) }));
  const used = new Array<boolean>(rules.length).fill(false);
  const exemptUsed = new Array<boolean>(exempt.length).fill(false);
  const groupOf = params.map((p) => {
    const r = tests.findIndex((t) => t(p));
    if (r >= 0) {
      used[r] = true;
      return (rules[r] as GroupRule).name;
    }
    const e = exempt.findIndex((x) => x.test(p));
    if (e >= 0) {
      exemptUsed[e] = true;
      define(NO_DECAY_GROUP, { weightDecay: 0 }, "noDecay");
      return NO_DECAY_GROUP;
    }
    if (defaultRule === "all" || isDecayedByDefault(p)) {
      define(DECAY_GROUP, {}, "default");
      return DECAY_GROUP;
    }
    define(NO_DECAY_GROUP, { weightDecay: 0 }, "default");
    return NO_DECAY_GROUP;
  });
  used.forEach((u, i) => {
    if (!u) {
      const names = params.map((p) => p.name).join(", ");
      throw new RangeError(`rules[${i}] ("${rules[i]?.name}") matches no parameter (${names})`);
    }
  });
  exemptUsed.forEach((u, i) => {
    if (!u) throw new RangeError(`noDecay entry "${exempt[i]?.glob}" matches no parameter`);
  });
  const order: string[] = [];
  for (const g of groupOf) if (!order.includes(g)) order.push(g);
  const groups = order.map((name) => {
    const s = settings.get(name) as Required<Omit<GroupSettings, "decay">> & GroupSettings;
    const indices = groupOf.flatMap((g, i) => (g === name ? [i] : []));
    return {
      name,
      weightDecay: s.weightDecay,
      lrMultiplier: s.lrMultiplier,
      l1: s.l1,
      ...(s.decay ? { decay: s.decay } : {}),
      members: indices.map((i) => (params[i] as ParameterInfo).name),
      indices,
    };
  });
  return { groups, groupOf };
}

/** One line per group: `decay (λ 0.001, lr ×1): layers.0.weight, layers.1.weight`. */
export function describeGrouping(grouping: ParameterGrouping): string[] {
  return grouping.groups.map((g) => {
    const parts = [`λ ${g.weightDecay}`, `lr ×${g.lrMultiplier}`];
    if (g.l1 > 0) parts.push(`L1 ${g.l1}`);
    if (g.decay) parts.push(g.decay);
    return `${g.name} (${parts.join(", ")}): ${g.members.join(", ")}`;
  });
}
