/**
 * The optimizer flags of `train` and `sweep`: which of core's optimizers trains the model, where
 * its weight decay goes, and schedules for the learning rate and the decay. Without any of them
 * training is the chapter's plain SGD on the fused program; with any, core's optimizer runs
 * (composed from the backend's primitives).
 *
 * Schedules are written `constant`, `step:EVERY:FACTOR` (× FACTOR every EVERY steps),
 * `cosine` or `cosine:MIN` (from the base value down to MIN over the whole run), each optionally
 * preceded by a linear warm-up: `warmup:STEPS` alone or `warmup:STEPS+cosine`. Steps count
 * minibatches over the whole run. A learning-rate schedule starts from --lr; a decay schedule
 * is a factor on λ starting from 1.
 */
import {
  type DecayPlacement,
  type DecoupledScaling,
  type OptimizerKind,
  type Schedule,
  schedules,
  type TrainOptimizer,
} from "@wdecay/core";
import type { Command } from "commander";
import { UsageError } from "./errors.js";
import { fail, parseFeatureList, strictNumber } from "./options.js";

export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ["sgd", "momentum", "adam", "adamw"];

/** A schedule as written on the command line, made into a function once the run's length is known. */
export interface ScheduleSpec {
  readonly text: string;
  build(base: number, totalSteps: number): Schedule;
}

/** The flags {@link addOptimizerOptions} defines. */
export interface OptimizerFlags {
  readonly optimizer?: OptimizerKind;
  readonly momentum?: number;
  readonly decay?: DecayPlacement;
  readonly decoupledScaling?: DecoupledScaling;
  readonly lrSchedule?: ScheduleSpec;
  readonly decaySchedule?: ScheduleSpec;
  readonly biasDecay?: number;
  readonly exempt?: string[];
}

export function parseOptimizer(value: string): OptimizerKind {
  const kind = OPTIMIZER_KINDS.find((k) => k === value);
  if (!kind) fail("--optimizer", OPTIMIZER_KINDS.join(", "), value);
  return kind;
}

export function parseMomentum(value: string): number {
  const n = strictNumber(value);
  if (n === undefined || !(n >= 0 && n < 1)) fail("--momentum", "a number in [0, 1)", value);
  return n;
}

export function parseDecayPlacement(value: string): DecayPlacement {
  if (value !== "coupled" && value !== "decoupled") {
    fail("--decay", "coupled or decoupled", value);
  }
  return value;
}

export function parseDecoupledScaling(value: string): DecoupledScaling {
  if (value !== "lr" && value !== "none") fail("--decoupled-scaling", "lr or none", value);
  return value;
}

export function parseBiasDecay(value: string): number {
  const n = strictNumber(value);
  if (n === undefined || n < 0) fail("--bias-decay", "a number ≥ 0", value);
  return n;
}

const SCHEDULE_FORMS = "constant, step:EVERY:FACTOR, cosine[:MIN], optionally after warmup:STEPS+";

/** Parses a schedule spec for `flag` (see the module comment for the forms). */
export function scheduleParser(flag: string): (value: string) => ScheduleSpec {
  const bad = (value: string): never => fail(flag, `one of ${SCHEDULE_FORMS}`, value);
  return (value) => {
    let warm = 0;
    let rest = value;
    const warmMatch = /^warmup:([^+]*)(?:\+(.*))?$/.exec(value);
    if (warmMatch) {
      const steps = strictNumber(warmMatch[1] ?? "");
      if (steps === undefined || !(Number.isSafeInteger(steps) && steps >= 1)) bad(value);
      warm = steps as number;
      rest = warmMatch[2] ?? "constant";
    }
    const parts = rest.split(":");
    const [name, ...args] = parts;
    let make: (base: number, total: number) => Schedule;
    if (name === "constant" && args.length === 0) {
      make = (base) => schedules.constant(base);
    } else if (name === "step" && args.length === 2) {
      const every = strictNumber(args[0] as string);
      const factor = strictNumber(args[1] as string);
      if (every === undefined || !(Number.isSafeInteger(every) && every >= 1)) bad(value);
      if (factor === undefined || factor < 0) bad(value);
      make = (base) => schedules.step(base, { every: every as number, factor: factor as number });
    } else if (name === "cosine" && args.length <= 1) {
      const min = args.length === 1 ? strictNumber(args[0] as string) : 0;
      if (min === undefined || min < 0) bad(value);
      make = (base, total) => schedules.cosine(base, { total, min: min as number });
    } else {
      return bad(value);
    }
    return {
      text: value,
      build: (base, total) => {
        const inner = make(base, total);
        return warm > 0 ? schedules.warmup(inner, { steps: warm }) : inner;
      },
    };
  };
}

/** Adds the optimizer flags to a training command. */
export function addOptimizerOptions(command: Command): Command {
  return command
    .option(
      "--optimizer <name>",
      "sgd, momentum, adam or adamw (needs --method concise) through core's optimizer (default: the chapter's plain SGD)",
      parseOptimizer,
    )
    .option("--momentum <m>", "with --optimizer momentum: μ in [0, 1) (0.9)", parseMomentum)
    .option(
      "--decay <placement>",
      "with --method concise: coupled (λθ added to the gradient) or decoupled (θ shrunk); " +
        "default decoupled for adamw, coupled otherwise",
      parseDecayPlacement,
    )
    .option(
      "--decoupled-scaling <s>",
      "decoupled decay scaled by the learning rate (lr: PyTorch, optax) or not (none: " +
        "Loshchilov & Hutter, TFA)",
      parseDecoupledScaling,
    )
    .option(
      "--lr-schedule <spec>",
      `learning rate per step from --lr: ${SCHEDULE_FORMS} (steps are minibatches)`,
      scheduleParser("--lr-schedule"),
    )
    .option(
      "--decay-schedule <spec>",
      `a factor on λ per step from 1: ${SCHEDULE_FORMS}`,
      scheduleParser("--decay-schedule"),
    )
    .option(
      "--bias-decay <m>",
      "with --method concise: decay multiplier of the bias group (0: not decayed)",
      parseBiasDecay,
    )
    .option(
      "--exempt <features>",
      "comma-separated features left out of the L2 penalty or decay (a mask; x1…xd for " +
        "synthetic data); for a network, parameter names or globs (e.g. layers.0.weight)",
      parseFeatureList,
    );
}

/**
 * The training options the flags ask for: the optimizer (undefined for the chapter's plain SGD)
 * and the bias group's multiplier. Checks the combinations core would reject, as usage errors.
 */
export function optimizerFromFlags(
  flags: OptimizerFlags & {
    readonly lr: number;
    readonly method: string;
    readonly penalty: string;
  },
  totalSteps: number,
  weightMask?: Float64Array,
): {
  optimizer?: TrainOptimizer;
  paramGroups?: { bias?: number; weightMask?: Float64Array };
} {
  const wants =
    flags.optimizer !== undefined ||
    flags.momentum !== undefined ||
    flags.decay !== undefined ||
    flags.decoupledScaling !== undefined ||
    flags.lrSchedule !== undefined ||
    flags.decaySchedule !== undefined;
  const kind = flags.optimizer ?? "sgd";
  if (flags.momentum !== undefined && kind !== "momentum") {
    throw new UsageError("--momentum needs --optimizer momentum");
  }
  // AdamW's decay acts on the weights beside the gradient; with --method scratch λ sits in the
  // loss, whose gradient Adam rescales: that would be plain Adam reported as AdamW.
  if (kind === "adamw" && flags.method !== "concise") {
    throw new UsageError(
      "--optimizer adamw decays the weights apart from the gradient, so it needs --method concise " +
        "(with --method scratch λ is in the loss and it would train as plain Adam)",
    );
  }
  const decay = flags.decay ?? (kind === "adamw" ? "decoupled" : "coupled");
  if (kind === "adamw" && decay !== "decoupled") {
    throw new UsageError("--optimizer adamw is Adam with decoupled decay: drop --decay coupled");
  }
  if (flags.decoupledScaling !== undefined && decay !== "decoupled") {
    throw new UsageError("--decoupled-scaling needs decoupled decay (--decay decoupled or adamw)");
  }
  if (
    (flags.decay !== undefined || flags.decaySchedule !== undefined) &&
    flags.method !== "concise"
  ) {
    throw new UsageError(
      "--decay and --decay-schedule set the optimizer's decay: they need --method concise " +
        "(with --method scratch the penalty is in the loss)",
    );
  }
  if (flags.biasDecay !== undefined && flags.method !== "concise") {
    throw new UsageError("--bias-decay needs --method concise");
  }
  if (wants && flags.penalty !== "l2") {
    throw new UsageError(
      `--penalty ${flags.penalty} trains by proximal SGD, which does not combine with the ` +
        "optimizer flags (--optimizer, --lr-schedule, …)",
    );
  }
  if (flags.exempt !== undefined && flags.penalty !== "l2") {
    throw new UsageError(
      `--exempt masks the L2 penalty; --penalty ${flags.penalty} does not take it`,
    );
  }
  const groups = {
    ...(flags.biasDecay !== undefined ? { bias: flags.biasDecay } : {}),
    ...(weightMask !== undefined ? { weightMask } : {}),
  };
  const paramGroups = Object.keys(groups).length > 0 ? groups : undefined;
  if (!wants) return paramGroups ? { paramGroups } : {};
  const optimizer: TrainOptimizer = {
    kind,
    decay,
    ...(flags.momentum !== undefined ? { momentum: flags.momentum } : {}),
    ...(flags.decoupledScaling !== undefined ? { decoupledScaling: flags.decoupledScaling } : {}),
    ...(flags.lrSchedule ? { lrSchedule: flags.lrSchedule.build(flags.lr, totalSteps) } : {}),
    ...(flags.decaySchedule ? { decaySchedule: flags.decaySchedule.build(1, totalSteps) } : {}),
  };
  return paramGroups ? { optimizer, paramGroups } : { optimizer };
}

/** A one-line description of the optimizer settings, for reports. */
export function describeOptimizer(flags: OptimizerFlags): string {
  const kind = flags.optimizer ?? "sgd";
  const parts: string[] = [kind];
  if (flags.momentum !== undefined) parts.push(`μ ${flags.momentum}`);
  if (flags.decay !== undefined || kind === "adamw") {
    parts.push(
      `${flags.decay ?? "decoupled"} decay${flags.decoupledScaling === "none" ? " (not lr-scaled)" : ""}`,
    );
  }
  if (flags.lrSchedule) parts.push(`lr schedule ${flags.lrSchedule.text}`);
  if (flags.decaySchedule) parts.push(`decay schedule ${flags.decaySchedule.text}`);
  if (flags.biasDecay !== undefined) parts.push(`bias decay ×${flags.biasDecay}`);
  if (flags.exempt !== undefined) parts.push(`exempt ${flags.exempt.join(", ")}`);
  return parts.join(", ");
}
