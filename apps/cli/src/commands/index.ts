/**
 * The commands, in the order help lists them, each loaded only when a command line invokes it:
 * `wdecay --help` and `--version` load none, `wdecay demo` loads only the demo (the backends start
 * when it asks the registry; the conformance suite and Vega load only with their commands).
 */
import type { Command } from "commander";
import type { CliContext } from "../context.js";

/** Adds one command, with its options, help and action, to the program. */
export type RegisterCommand = (program: Command, ctx: CliContext) => Command;

export interface CommandEntry {
  readonly name: string;
  /** The line `wdecay --help` shows for it. */
  readonly summary: string;
  readonly load: () => Promise<RegisterCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "demo",
    summary: "reproduce the chapter: λ = 0 and 3, scratch and concise; --network: an MLP",
    load: async () => (await import("./demo.js")).registerDemo,
  },
  {
    name: "train",
    summary:
      "one training run, every setting on a flag; `--model` logistic, softmax or mlp: a classifier or network (MNIST digits, or a CSV class column), decay on every weight matrix; `--data FILE`: the linear model streamed from disk (out-of-core SGD)",
    load: async () => (await import("./train.js")).registerTrain,
  },
  {
    name: "sweep",
    summary:
      "train a grid of λ in one pass: loss and ‖w‖ against λ (exercise 1); `--model`: a network or classifier, one training per λ",
    load: async () => (await import("./sweep.js")).registerSweep,
  },
  {
    name: "select",
    summary:
      "choose λ on validation data: hold-out or k-fold, λ_min or 1-SE (exercise 2); `--model logistic`: cv.glmnet's binomial CV",
    load: async () => (await import("./select.js")).registerSelect,
  },
  {
    name: "path",
    summary: "regularization path: lasso, ridge or elastic net over a grid of λ",
    load: async () => (await import("./path.js")).registerPath,
  },
  {
    name: "fit",
    summary:
      "fit one ridge, lasso or elastic-net model; λ in any library's convention; `--model` logistic or softmax: exact classifiers (scikit-learn's C, glmnet)",
    load: async () => (await import("./fit.js")).registerFit,
  },
  {
    name: "stats",
    summary:
      "one streaming pass over a CSV (or one shard of it) into per-fold sufficient statistics, bounded memory",
    load: async () => (await import("./stats.js")).registerStats,
  },
  {
    name: "merge",
    summary: "add the stats files of shards into one; refuses mismatched or repeated shards",
    load: async () => (await import("./merge.js")).registerMerge,
  },
  {
    name: "posterior",
    summary: "the Bayesian reading: prior scale ↔ λ, posterior mean and sd (exercise 6)",
    load: async () => (await import("./posterior.js")).registerPosterior,
  },
  {
    name: "predict",
    summary: "predict with a saved model on the rows of a CSV file",
    load: async () => (await import("./predict.js")).registerPredict,
  },
  {
    name: "backends",
    summary: "list the backends, whether each can run here, and why not",
    load: async () => (await import("./backends.js")).registerBackends,
  },
  {
    name: "conformance",
    summary: "check backends against the float64 reference with the property-based suite",
    load: async () => (await import("./conformance.js")).registerConformance,
  },
];
