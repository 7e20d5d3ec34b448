import { describe, expect, it } from "vitest";
import { commandHelp, expectUsageError, lines, run, STACK_FRAME } from "./helpers.js";

/** [arguments, text the one-line message must contain (the flag, option or command)]. */
const CASES: [string[], string][] = [
  // λ ≥ 0, and strictly a number.
  [["train", "--lambda", "-1"], "--lambda"],
  [["train", "--lambda", "abc"], "--lambda"],
  [["train", "--lambda", ""], "--lambda"],
  [["train", "--lambda=3abc"], "--lambda"],
  [["train", "--lambda", "1e400"], "--lambda"],
  [["train", "--lambda", "Infinity"], "--lambda"],
  [["train", "--lambda", "NaN"], "--lambda"],
  [["train", "--lambda", "0x10"], "--lambda"],
  // lr > 0.
  [["train", "--lr", "0"], "--lr"],
  [["train", "--lr", "-0.01"], "--lr"],
  [["train", "--lr", "fast"], "--lr"],
  // Integers where an integer is needed, with their lower bounds.
  [["train", "--epochs", "0"], "--epochs"],
  [["train", "--epochs", "2.5"], "--epochs"],
  [["train", "--epochs", "10x"], "--epochs"],
  [["train", "--batch-size", "0"], "--batch-size"],
  [["train", "--batch-size", "2.5"], "--batch-size"],
  [["train", "--batch-size", "21"], "--batch-size"],
  [["train", "--batch-size", "8", "--n-train", "7"], "--batch-size"],
  [["train", "--n-train", "0"], "--n-train"],
  [["train", "--n-train", "1.5"], "--n-train"],
  [["train", "--n-test", "0"], "--n-test"],
  [["train", "--n-test", "many"], "--n-test"],
  [["train", "--dims", "0"], "--dims"],
  [["train", "--dims", "3.3"], "--dims"],
  // Sizes no machine holds: refused by the memory estimate before anything is allocated (they
  // used to grow without a word or end in a raw RangeError; issue 13, finding 6).
  [["train", "--dims", "1e9"], "--dims"],
  [["train", "--dims", "40000000", "--n-train", "1000"], "--dims"],
  [["fit", "--lambda", "1", "--dims", "1e9"], "--dims"],
  [["sweep", "--dims", "1e9"], "--dims"],
  [["train", "--eval-every", "0"], "--eval-every"],
  [["train", "--eval-every", "1.5"], "--eval-every"],
  [["train", "--seed", "-1"], "--seed"],
  [["train", "--seed", "1.5"], "--seed"],
  [["train", "--seed", "9007199254740992"], "--seed"],
  [["demo", "--seed", "-3"], "--seed"],
  [["demo", "--seed", ""], "--seed"],
  [["train", "--method", "adam"], "--method"],
  // --penalty and --alpha (train and sweep): elastic needs --alpha in [0, 1]; l1/l2 refuse it.
  [["train", "--penalty", "l3"], "--penalty"],
  [["train", "--penalty", "elastic"], "--alpha"],
  [["train", "--penalty", "elastic", "--alpha", "1.5"], "--alpha"],
  [["train", "--penalty", "elastic", "--alpha", "-0.1"], "--alpha"],
  [["train", "--penalty", "l1", "--alpha", "0.5"], "--alpha"],
  [["train", "--alpha", "0.5"], "--alpha"],
  [["sweep", "--penalty", "ridge"], "--penalty"],
  [["sweep", "--penalty", "elastic"], "--alpha"],
  [["sweep", "--penalty", "elastic", "--alpha", "2"], "--alpha"],
  [["sweep", "--penalty", "l2", "--alpha", "0"], "--alpha"],
  // Multi-output and the optimizer flags (train and sweep).
  [["train", "--outputs", "0"], "--outputs"],
  [["train", "--outputs", "2.5"], "--outputs"],
  [["train", "--optimizer", "lbfgs"], "--optimizer"],
  [["train", "--momentum", "1"], "--momentum"],
  [["train", "--momentum", "0.5"], "--momentum"],
  [["train", "--optimizer", "adamw", "--method", "concise", "--decay", "coupled"], "--decay"],
  // AdamW with the penalty in the loss would be plain Adam (it used to run, reported as AdamW).
  [["train", "--optimizer", "adamw"], "--optimizer"],
  // The charts are SVG: a path promising another format (or none) is refused up front.
  [["train", "--plot", "x.png"], "--plot"],
  [["path", "--plot", "chart"], "--plot"],
  [["sweep", "--optimizer", "adamw", "--method", "scratch"], "--optimizer"],
  [["train", "--decay", "both"], "--decay"],
  [["train", "--optimizer", "adam", "--decay", "coupled"], "--decay"],
  [["train", "--decoupled-scaling", "lr", "--method", "concise"], "--decoupled-scaling"],
  [["train", "--decoupled-scaling", "half"], "--decoupled-scaling"],
  [["train", "--lr-schedule", "linear"], "--lr-schedule"],
  [["train", "--lr-schedule", "step:0:0.5"], "--lr-schedule"],
  [["train", "--lr-schedule", "step:10"], "--lr-schedule"],
  [["train", "--lr-schedule", "warmup:0+cosine"], "--lr-schedule"],
  [["train", "--lr-schedule", "cosine:-1"], "--lr-schedule"],
  [["train", "--decay-schedule", "cosine", "--method", "scratch"], "--decay-schedule"],
  [["train", "--bias-decay", "1"], "--bias-decay"],
  [["train", "--bias-decay", "-1", "--method", "concise"], "--bias-decay"],
  [["train", "--optimizer", "adam", "--penalty", "l1"], "--penalty"],
  [["sweep", "--optimizer", "sgdx"], "--optimizer"],
  [["sweep", "--lr-schedule", "cosine", "--penalty", "l1"], "--penalty"],
  [["train", "--exempt", "x0"], "--exempt"],
  [["train", "--exempt", "x1", "--penalty", "l1"], "--exempt"],
  [["sweep", "--exempt", "price"], "--exempt"],
  [["fit", "--lambda", "1", "--exempt", "x1"], "--exempt"],
  [["fit", "--lambda", "1", "--exempt", "x1", "--solver", "sgd", "--penalty", "l1"], "--exempt"],
  // Unknown backend: names the flag and what is registered.
  [["train", "--backend", "tpu"], "--backend"],
  [["demo", "--backend", "tpu"], "--backend"],
  // Commander's own errors.
  [["train", "--lamda", "3"], "--lamda"],
  [["demo", "--bogus"], "--bogus"],
  [["--bogus"], "--bogus"],
  [["frobnicate"], "frobnicate"],
  [["train", "--lambda"], "--lambda"],
  [["demo", "--out"], "--out"],
  [["backends", "extra"], "backends"],
];

describe("usage errors", () => {
  it.each(CASES)("wdecay %j exits 2 naming %s", async (args, flag) => {
    expectUsageError(await run(args), flag);
  });

  it.each([
    ["train", "l1"],
    ["sweep", "l2"],
  ])("%s: --alpha with --penalty %s names both flags", async (command, penalty) => {
    expectUsageError(
      await run([command, "--penalty", penalty, "--alpha", "0.5"]),
      "--alpha",
      `--penalty ${penalty}`,
      "--penalty elastic",
    );
  });

  it("lists the registered backends for an unknown --backend", async () => {
    const { stderr } = await run(["train", "--backend", "tpu"]);
    expect(stderr).toContain("cpu");
    expect(stderr).toContain("cpu-f32");
  });

  it("states the requirement and echoes the value", async () => {
    const { stderr } = await run(["train", "--lambda", "-1"]);
    expect(stderr).toBe('wdecay: --lambda must be a number ≥ 0 (got "-1")\n');
  });

  it("prints the help on stderr and exits 2 without a command", async () => {
    const { code, stdout, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("Usage: wdecay");
    for (const command of ["demo", "train", "backends"]) expect(stderr).toContain(command);
  });

  it("prints a stack with --debug", async () => {
    const { code, stderr } = await run(["--debug", "train", "--lambda", "-1"]);
    expect(code).toBe(2);
    expect(lines(stderr)[0]).toContain("--lambda");
    expect(stderr).toMatch(STACK_FRAME);
  });
});

describe("help and version", () => {
  it.each([["demo"], ["train"], ["backends"]])(
    "wdecay %s --help describes it with defaults",
    async (command) => {
      await commandHelp(command);
    },
  );

  it("shows the defaults of train and the demo's seed", async () => {
    const train = (await run(["train", "--help"])).stdout.replace(/\s+/g, " ");
    for (const text of [
      "--lambda <number> weight decay λ (≥ 0) (default: 3)",
      "(default: 100)",
      "(default: 0.003)",
      "(default: 5)",
      "(default: 20)",
      "(default: 200)",
      "(default: 42)",
      '(default: "scratch")',
    ]) {
      expect(train).toContain(text);
    }
    const demo = (await run(["demo", "--help"])).stdout.replace(/\s+/g, " ");
    expect(demo).toMatch(/--seed <n> .*\(default: 42\)/);
    expect(demo).toContain('(default: "./wdecay-out")');
  });

  it("prints the package version", async () => {
    const { code, stdout } = await run(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
