import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { createWasmBackend } from "@wdecay/backend-wasm";
import { describe, expect, it } from "vitest";
import { handWritten } from "../src/contenders/hand-written.js";
import type { Contender } from "../src/contenders/index.js";
import { nativeC } from "../src/contenders/native-c.js";
import { tfjsCpu } from "../src/contenders/tfjs-cpu.js";
import { tfjsWasm } from "../src/contenders/tfjs-wasm.js";
import { backendContender } from "../src/contenders/wdecay.js";
import { measure, summarize } from "../src/measure.js";
import { MLP, runMlp } from "../src/mlp.js";
import {
  type BenchReport,
  type ContenderResult,
  threadsMarkdown,
  type WorkloadResult,
} from "../src/report.js";
import { runTabular } from "../src/tabular.js";
import { prepareWorkload, type Workload } from "../src/workloads.js";

// Tiny versions of both modes; 23 rows with batch 5 leaves a short last batch on purpose.
const base = { nTest: 9, lr: 0.01, lambda: 3, seed: 7, warmup: 0, runs: 1 };
const TINY_TRAIN: Workload = {
  ...base,
  name: "tiny-train",
  title: "tiny train()",
  mode: "train",
  nTrain: 23,
  dims: 11,
  batchSize: 5,
  epochs: 7,
  evalEvery: 2,
};
const TINY_STEPS: Workload = {
  ...base,
  name: "tiny-steps",
  title: "tiny steps",
  mode: "steps",
  nTrain: 50,
  dims: 13,
  batchSize: 16,
  epochs: 4,
  evalEvery: 0,
};

function must<T>(trial: T | undefined): T {
  if (trial === undefined) throw new Error("the contender skipped this workload");
  return trial;
}

const TINY_GRID: Workload = {
  ...TINY_TRAIN,
  name: "tiny-grid",
  title: "tiny trainGrid()",
  mode: "grid",
  lambdas: [0, 0.01, 0.3, 3],
};

describe("grid workload", () => {
  it("cpu's one-pass grid agrees with the hand-written separate runs; tfjs skips it", async () => {
    const cpu = await finalNorm(backendContender("cpu", createCpuBackend()), TINY_GRID);
    const hand = await finalNorm(handWritten(), TINY_GRID);
    expect(Math.abs(cpu - hand) / hand).toBeLessThanOrEqual(1e-9);
    const tfjs = await tfjsCpu();
    expect(await tfjs.prepare(prepareWorkload(TINY_GRID))).toBeUndefined();
  });
});

async function finalNorm(contender: Contender, workload: Workload): Promise<number> {
  const trial = must(await contender.prepare(prepareWorkload(workload)));
  try {
    return (await trial.run()).l2Norm;
  } finally {
    trial.dispose();
  }
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

describe.each([TINY_TRAIN, TINY_STEPS])("contenders agree on ‖w‖ ($name)", (workload) => {
  it("hand-written, cpu, cpu-f32 and tfjs-cpu end at the same ‖w‖", async () => {
    const hand = await finalNorm(handWritten(), workload);
    const cpu = await finalNorm(backendContender("cpu", createCpuBackend()), workload);
    const f32 = await finalNorm(
      backendContender("cpu-f32", createCpuBackend({ precision: "float32" })),
      workload,
    );
    const tfjs = await finalNorm(await tfjsCpu(), workload);
    // Training must have moved the weights, or agreeing would prove nothing.
    const start = Math.hypot(...prepareWorkload(workload).init);
    expect(rel(hand, start)).toBeGreaterThan(0.05);
    expect(rel(cpu, hand)).toBeLessThan(1e-9);
    expect(rel(f32, hand)).toBeLessThan(1e-4);
    expect(rel(tfjs, hand)).toBeLessThan(1e-4);
  });
});

const TINY_MATMUL: Workload = {
  ...base,
  name: "tiny-matmul",
  title: "tiny product",
  mode: "matmul",
  nTrain: 37,
  dims: 37,
  batchSize: 37,
  epochs: 1,
  evalEvery: 0,
};

describe("the wasm backend and tfjs-wasm", () => {
  it.each([TINY_TRAIN, TINY_STEPS, TINY_GRID])(
    "end at the hand-written loop's ‖w‖ to float32 rounding ($name)",
    async (workload) => {
      const hand = await finalNorm(handWritten(), workload);
      const wasm = await finalNorm(backendContender("wasm", await createWasmBackend()), workload);
      expect(rel(wasm, hand)).toBeLessThan(1e-4);
      if (workload.mode !== "grid") {
        // tfjs-wasm and tfjs-cpu alternate in one process: each selects its own tfjs backend.
        const tfjsW = await finalNorm(await tfjsWasm(), workload);
        const tfjsC = await finalNorm(await tfjsCpu(), workload);
        expect(rel(tfjsW, hand)).toBeLessThan(1e-4);
        expect(rel(tfjsC, hand)).toBeLessThan(1e-4);
      }
    },
  );

  it("the matmul mode: every contender computes the same ‖X·X‖ and reports the op's time", async () => {
    const work = prepareWorkload(TINY_MATMUL);
    const results = [];
    for (const contender of [
      handWritten(),
      backendContender("cpu", createCpuBackend()),
      backendContender("wasm", await createWasmBackend({ tfjsMatmulThreshold: 0 })),
      await tfjsWasm(),
    ]) {
      const trial = must(await contender.prepare(work));
      results.push(await trial.run());
      trial.dispose();
    }
    const [hand, ...others] = results;
    for (const r of others) expect(rel(r.l2Norm, hand?.l2Norm as number)).toBeLessThan(1e-5);
    for (const r of results) expect(r.opMs).toBeGreaterThanOrEqual(0);
    // Skipped where a plain-JavaScript product would only slow the bench down.
    expect(await (await tfjsCpu()).prepare(work)).toBeUndefined();
    const skipping = backendContender("cpu-f32", createCpuBackend(), ["tiny-matmul"]);
    expect(await skipping.prepare(work)).toBeUndefined();
  });

  it("a wasm trial frees every tensor it made", async () => {
    const backend = await createWasmBackend();
    const trial = must(
      await backendContender("wasm", backend).prepare(prepareWorkload(TINY_STEPS)),
    );
    await trial.run();
    trial.dispose();
    expect(backend.liveTensors()).toBe(0);
  });

  it("a tfjs-wasm trial leaks no tensors", async () => {
    const contender = await tfjsWasm();
    const before = tf.memory().numTensors;
    const trial = must(await contender.prepare(prepareWorkload(TINY_STEPS)));
    await trial.run();
    await trial.run();
    trial.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("disposal", () => {
  it("a cpu trial frees every tensor it made", async () => {
    const backend = createCpuBackend();
    const trial = must(await backendContender("cpu", backend).prepare(prepareWorkload(TINY_STEPS)));
    await trial.run();
    expect(backend.liveTensors()).toBeGreaterThan(0);
    trial.dispose();
    expect(backend.liveTensors()).toBe(0);
  });

  it.each([TINY_TRAIN, TINY_STEPS])("a tfjs trial leaks no tensors ($name)", async (workload) => {
    const contender = await tfjsCpu();
    const before = tf.memory().numTensors;
    const trial = must(await contender.prepare(prepareWorkload(workload)));
    await trial.run();
    await trial.run();
    trial.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("summarize", () => {
  it("takes the middle value of an odd sample, whatever its order", () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(summarize([42])).toEqual({ median: 42, min: 42, max: 42 });
  });

  it("averages the two middle values of an even sample", () => {
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(summarize([10, 10, 0, 30])).toEqual({ median: 10, min: 0, max: 30 });
  });

  it("does not reorder its input", () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it("rejects an empty or non-finite sample", () => {
    expect(() => summarize([])).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
  });
});

describe("the Threads section (issue 17)", () => {
  it("sets wasm against wasm-1t per workload, with the goal on big1 and big2 only", () => {
    const contender = (name: string, medianMs: number) =>
      ({ name, medianMs }) as unknown as ContenderResult;
    const workload = (name: string, threaded: number, single: number) =>
      ({
        workload: { name },
        results: [contender("wasm", threaded), contender("wasm-1t", single)],
      }) as unknown as WorkloadResult;
    const report = {
      machine: { versions: { "wasm threads": "2" } },
      workloads: [workload("chapter", 1, 1), workload("big1", 30, 50), workload("big2", 33, 50)],
    } as unknown as BenchReport;
    const section = threadsMarkdown(report);
    expect(section).toMatch(/^## Threads\n/);
    expect(section).toContain("on 2 threads");
    expect(section).toContain("| chapter | 1.000 ms | 1.000 ms | 1.00× | – |");
    expect(section).toContain("| big1 | 50.00 ms | 30.00 ms | 0.60× | yes (≤ 0.6×) |");
    expect(section).toContain("| big2 | 50.00 ms | 33.00 ms | 0.66× | **no** (≤ 0.6×) |");
    expect(threadsMarkdown({ ...report, workloads: [] })).toBe("");
  });
});

describe("the native C loop (issue 17)", () => {
  it("is built with this machine's C compiler and ends at the hand-written float64 loop's ‖w‖ to float32 rounding", async () => {
    const native = await nativeC();
    // The bench's machines have a C compiler (gcc); a missing one must show, not skip.
    if (!native) throw new Error("no C compiler found (CC, cc, gcc, clang): native-c is left out");
    for (const workload of [TINY_TRAIN, TINY_STEPS, TINY_GRID]) {
      const trial = must(await native.prepare(prepareWorkload(workload)));
      try {
        const a = await trial.run();
        const b = await trial.run();
        // float32 arithmetic over 7 epochs of ≤ 5 steps on d ≤ 13: each step's rounding is a few
        // u₃₂ = 6e-8 relative, carried by contracting SGD steps; 1e-5 leaves a wide margin and
        // still catches a wrong step (a lost batch or decay term moves ‖w‖ by percents).
        const hand = await finalNorm(handWritten(), workload);
        expect(rel(a.l2Norm, hand), workload.name).toBeLessThan(1e-5);
        expect(b.l2Norm, `${workload.name} repeats`).toBe(a.l2Norm);
        expect(a.ownMs, "timed by its own clock").toBeGreaterThan(0);
      } finally {
        trial.dispose();
      }
    }
    expect(await native.prepare(prepareWorkload({ ...TINY_TRAIN, mode: "matmul" }))).toBe(
      undefined,
    );
  });
});

describe("measure", () => {
  it("takes a run's own time where the contender reports one (a child process's clock)", async () => {
    const [m] = await measure([{ name: "child", run: async () => ({ ownMs: 0.25 }) }], {
      warmup: 0,
      runs: 3,
      same: () => true,
      ownMs: (r) => r.ownMs,
    });
    expect(m?.samples).toEqual([0.25, 0.25, 0.25]);
  });

  it("runs round-robin, rotating who goes first, and times only the runs after warm-up", async () => {
    const calls: string[] = [];
    const entry = (name: string) => ({
      name,
      run: async () => {
        calls.push(name);
        return 1;
      },
    });
    const result = await measure([entry("a"), entry("b"), entry("c")], {
      warmup: 1,
      runs: 2,
      same: (x, y) => x === y,
    });
    expect(calls).toEqual(["a", "b", "c", "b", "c", "a", "c", "a", "b"]);
    expect(result.map((m) => m.samples.length)).toEqual([2, 2, 2]);
    expect(result.every((m) => m.repeatable)).toBe(true);
  });

  it("warms each contender alone, untimed, until it has run `warmupMs`", async () => {
    const calls: string[] = [];
    // Each run reports its own time: a 10 ms one, a 40 ms one and one slower than the minimum.
    const entry = (name: string, ms: number) => ({
      name,
      run: async () => {
        calls.push(name);
        return ms;
      },
    });
    const result = await measure([entry("fast", 10), entry("mid", 40), entry("slow", 120)], {
      warmup: 1,
      warmupMs: 100,
      runs: 1,
      same: (x, y) => x === y,
      ownMs: (ms) => ms,
    });
    // The round-robin warm-up, then fast 9 more (10 × 10 ms) and mid 2 more (3 × 40 ms), then
    // one timed repetition starting one place further along.
    expect(calls).toEqual([
      "fast",
      "mid",
      "slow",
      ...Array<string>(9).fill("fast"),
      "mid",
      "mid",
      "mid",
      "slow",
      "fast",
    ]);
    expect(result.map((m) => m.samples)).toEqual([[10], [40], [120]]);
  });

  it("calls `before` right before each run, outside the timing", async () => {
    const calls: string[] = [];
    const [m] = await measure(
      [
        {
          name: "a",
          before: async () => {
            calls.push("before");
            await new Promise((resolve) => setTimeout(resolve, 30));
          },
          run: async () => {
            calls.push("run");
            return 1;
          },
        },
      ],
      { warmup: 1, runs: 2, same: (x, y) => x === y },
    );
    expect(calls).toEqual(["before", "run", "before", "run", "before", "run"]);
    for (const ms of m?.samples ?? []) expect(ms).toBeLessThan(25);
  });

  it("flags an entry whose result changes between runs", async () => {
    let n = 0;
    const [m] = await measure([{ name: "drifts", run: async () => n++ }], {
      warmup: 0,
      runs: 3,
      same: (x, y) => x === y,
    });
    expect(m?.repeatable).toBe(false);
  });
});

describe("command line", () => {
  const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const bench = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "--conditions=@wdecay/source", main, ...args], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
    });

  it("lists the tabular and mlp workloads in its help", () => {
    const { status, stdout } = bench("--help");
    expect(status).toBe(0);
    expect(stdout).toMatch(/\| tabular \| mlp \| logistic;/);
  });

  it.each([
    [["--workload", "nope"], /unknown workload 'nope'/],
    [["--runs", "0"], /--runs must be an integer ≥ 1/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["--workload", "big1", "--contender", "wasm,nope"], /unknown contender 'nope' \(choose from /],
  ])("rejects %j in one line with exit status 2", (args, message) => {
    const { status, stderr, stdout } = bench(...args);
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(message);
  });
});

describe("the tabular workload", () => {
  it("times read, fit, path and select on its CSV and runs each command end to end", () => {
    const lines: string[] = [];
    const section = runTabular((line) => lines.push(line), 1, { rows: 400, features: 12 });
    for (const command of ["fit --lambda 1", "path", "path --penalty l2", "select --folds 5"]) {
      expect(section).toContain(`\`wdecay ${command}`);
    }
    expect(section).toContain("all converged: true");
    expect(section).toMatch(/λ_min \d/);
    expect(lines.some((l) => l.includes("end to end"))).toBe(true);
  }, 120_000);
});

describe("the mlp and logistic workloads", () => {
  it.each([
    ["mlp", [8]],
    ["logistic", []],
  ])(
    "%s: times every contender on the same network and data, and their final losses agree",
    async (name, hidden) => {
      const section = await runMlp(() => {}, 1, {
        ...MLP,
        rows: 96,
        spec: { inputs: 20, hidden, outputs: 3, loss: "softmax" },
        batchSize: 32,
        // A λ large enough that a dropped or doubled penalty moves the loss past the tolerance.
        lambda: 0.1,
        warmup: 0,
      });
      expect(section).toMatch(new RegExp(`^### ${name}: 20 → ${[...hidden, 3].join(" → ")} `));
      const rows = section.split("\n").filter((l) => /^\| (wdecay|tfjs|jax-js)/.test(l));
      expect(rows.map((r) => r.split("|")[1]?.trim())).toEqual([
        "wdecay wasm",
        "wdecay wasm-1t",
        "wdecay cpu",
        "wdecay cpu-f32",
        "tfjs-wasm",
        "tfjs-cpu",
        "jax-js-wasm",
      ]);
      // 6 steps of float32 sums of ≤ 20 terms: every loss within 1e-5 of the float64 cpu's,
      // far from what a wrong gradient or a skipped decay would give.
      for (const row of rows) {
        const diff = Number(row.split("|")[7]?.trim());
        expect(diff).toBeLessThan(1e-5);
      }
      // The threads' line: wasm against its one-thread self, with the goal's verdict.
      expect(section).toMatch(
        /^Threads: wdecay wasm on \d+ threads takes \d+\.\d\d× its one-thread time/m,
      );
    },
    120_000,
  );
});
