import { PassThrough } from "node:stream";
import { createCpuBackend } from "@wdecay/backend-cpu";
import type { Registry, Tensor } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { formatError } from "../src/commands/conformance.js";
import {
  BROKEN_GPU_REASON,
  cpuRegistry,
  expectOneLineError,
  expectUsageError,
  lines,
  registryWithBrokenGpu,
  run,
} from "./helpers.js";

/** A fixed seed, so that the tests see the same inputs on every run. */
const SEED = "20240917";
const ID = /^(id-\d+|op-|fused-|conv-|optim-|mo-|api-|size-|state-|ref-|calib-)/;

interface JsonProperty {
  id: string;
  name: string;
  source: string;
  passed: boolean;
  runs: number;
  maxError: number | null;
  ratio: number | null;
  tolerance: number | null;
  counterexample: string | null;
  failure: string | null;
  replay: { seed: number; path: string } | null;
}

interface JsonResult {
  backend: string;
  precision: string | null;
  seed: number | null;
  numRuns: number | null;
  passed: boolean;
  reason: string | null;
  properties: JsonProperty[];
}

function results(stdout: string): JsonResult[] {
  expect(lines(stdout)).toHaveLength(1);
  return JSON.parse(stdout).results;
}

/**
 * The cpu backends plus `broken`, a cpu backend whose sum of all elements drops the last
 * element: the suite must catch it.
 */
function registryWithBrokenSum(): Registry {
  const registry = cpuRegistry();
  registry.register("broken", () => {
    const backend = createCpuBackend({ precision: "float64", name: "broken" });
    const sum = backend.sum.bind(backend);
    backend.sum = (a: Tensor, axis?: 0 | 1) => {
      if (axis !== undefined) return sum(a, axis);
      const size = a.shape[0] * a.shape[1];
      const mask = backend.upload(
        Array.from({ length: size }, (_, i) => (i === size - 1 ? 0 : 1)),
        a.shape,
      );
      const masked = backend.binary("mul", a, mask);
      const total = sum(masked);
      backend.dispose(mask);
      backend.dispose(masked);
      return total;
    };
    return backend;
  });
  return registry;
}

/** The arguments of the first replay command printed for `id`, as main takes them. */
function replayArgs(stdout: string, id: string): string[] {
  const line = lines(stdout).find(
    (l) => l.includes("replay: wdecay conformance") && l.includes(`--property ${id} `),
  );
  expect(line, `a replay command for ${id} in:\n${stdout}`).toBeDefined();
  const command = (line as string).slice((line as string).indexOf("wdecay conformance"));
  const [wdecay, ...args] = command.split(" ");
  expect(wdecay).toBe("wdecay");
  return args;
}

/** The lines of the failure block of property `id` (FAIL line to replay line). */
function failureBlock(stdout: string, id: string): string[] {
  const all = lines(stdout);
  const start = all.findIndex((l) => l.startsWith(`FAIL ${id}:`));
  expect(start, `a failure block for ${id}`).toBeGreaterThanOrEqual(0);
  const end = all.findIndex((l, i) => i > start && l.startsWith("  replay: "));
  return all.slice(start, end + 1);
}

describe("wdecay conformance --json", () => {
  it("passes on every registered backend, with every property of the suite", async () => {
    const { code, stdout, stderr } = await run([
      "conformance",
      "--backend",
      "all",
      "--json",
      "--seed",
      SEED,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const all = results(stdout);
    expect(all.map((r) => [r.backend, r.precision])).toEqual([
      ["cpu", "float64"],
      ["cpu-f32", "float32"],
    ]);
    for (const result of all) {
      expect(result).toMatchObject({ seed: Number(SEED), numRuns: 25, passed: true, reason: null });
      expect(result.properties.length).toBeGreaterThanOrEqual(20);
      expect(new Set(result.properties.map((p) => p.id)).size).toBe(result.properties.length);
      for (const p of result.properties) {
        expect(p.id).toMatch(ID);
        expect(p).toMatchObject({
          passed: true,
          counterexample: null,
          failure: null,
          replay: null,
        });
        expect(p.name).not.toBe("");
        expect(p.source).not.toBe("");
        expect(p.runs).toBeGreaterThanOrEqual(1);
        expect(p.maxError).toBeGreaterThanOrEqual(0);
        expect(p.maxError).toBeLessThanOrEqual(p.tolerance as number);
      }
    }
    // The same properties on both backends.
    expect(all[1]?.properties.map((p) => p.id)).toEqual(all[0]?.properties.map((p) => p.id));
  });

  it("checks every backend by default, with a random seed it reports", async () => {
    const { code, stdout } = await run(["conformance", "--json", "--property", "op-sum"]);
    expect(code).toBe(0);
    const all = results(stdout);
    expect(all.map((r) => r.backend)).toEqual(["cpu", "cpu-f32"]);
    const seed = all[0]?.seed as number;
    expect(Number.isSafeInteger(seed) && seed >= 0 && seed <= 2 ** 31 - 1).toBe(true);
    expect(all[1]?.seed).toBe(seed);
    expect(all[0]?.properties.map((p) => p.id)).toEqual(["op-sum"]);
  });

  it("runs only the properties asked for, repeated or comma-separated, with --num-runs", async () => {
    const { code, stdout } = await run([
      "conformance",
      "--backend",
      "cpu-f32",
      "--json",
      "--seed",
      SEED,
      "--num-runs",
      "3",
      "--property",
      "op-matmul,id-21",
      "--property",
      "op-sum",
      "--property",
      "op-matmul",
    ]);
    expect(code).toBe(0);
    const [result] = results(stdout);
    expect(result?.backend).toBe("cpu-f32");
    expect(result?.numRuns).toBe(3);
    // Suite order, each once.
    expect(result?.properties.map((p) => p.id)).toEqual(["op-matmul", "op-sum", "id-21"]);
    for (const p of result?.properties ?? []) expect(p.runs).toBeLessThanOrEqual(3);
  });
});

describe("wdecay conformance (the report)", () => {
  it("lists each property with its runs, max error, tolerance and verdict", async () => {
    const args = ["conformance", "--backend", "cpu-f32", "--seed", SEED];
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(0);
    const [json] = results((await run([...args, "--json"])).stdout);
    const properties = json?.properties ?? [];
    expect(properties.length).toBeGreaterThanOrEqual(20);

    const out = lines(stdout);
    expect(out[0]).toMatch(/cpu-f32 \(float32\)/);
    expect(out[1]).toContain(`seed ${SEED}`);
    expect(out[1]).toContain("25 runs per property");
    const header = out.find((l) => l.startsWith("property"));
    expect(header).toMatch(/^property\s+name\s+runs\s+max error\s+tolerance\s+ratio\s+result$/);
    for (const p of properties) {
      const row = out.find((l) => l.startsWith(`${p.id} `));
      expect(row, `a row for ${p.id}`).toBeDefined();
      const cells = (row as string).split(/\s{2,}/);
      expect(cells.slice(-5)).toEqual([
        String(p.runs),
        formatError(p.maxError as number),
        formatError(p.tolerance as number),
        p.ratio === 0 ? "0" : (p.ratio as number).toFixed(3),
        "pass",
      ]);
      // The ratio is the worst comparison's error over its tolerance, under 1 for a pass.
      expect(p.ratio).toBeLessThanOrEqual(1);
      // The name, cut with an ellipsis where it is long.
      const name = cells[1] as string;
      expect(p.name.startsWith(name.replace(/…$/, ""))).toBe(true);
    }
    for (const line of out) expect(line.length).toBeLessThanOrEqual(120);
    expect(out.at(-1)).toBe(`cpu-f32: ${properties.length}/${properties.length} properties passed`);

    // Progress on stderr, one line per property, when not on a terminal.
    expect(lines(stderr)).toHaveLength(properties.length);
    expect(lines(stderr)[0]).toMatch(/^cpu-f32 \[1\/\d+\] op-/);
  });

  it("draws a progress bar on a terminal instead of progress lines", async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let drawn = "";
    stream.on("data", (chunk) => {
      drawn += String(chunk);
    });
    const { code, stderr } = await run(
      ["conformance", "--backend", "cpu", "--property", "op-sum", "--seed", SEED],
      { isTTY: true, progressStream: stream },
    );
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(drawn).toContain("cpu: op-sum");
  });
});

describe("a backend that fails the suite", () => {
  it("exits 1 and prints each failure with a replay command", async () => {
    const registry = registryWithBrokenSum();
    const { code, stdout, stderr } = await run(
      ["conformance", "--backend", "broken", "--seed", SEED],
      { registry },
    );
    expect(code).toBe(1);
    expect(lines(stderr).at(-1)).toMatch(/^wdecay: conformance failed: broken \(\d+ of \d+/);
    expect(stdout).toMatch(/^op-sum\s.*FAIL$/m);
    const block = failureBlock(stdout, "op-sum");
    expect(block[1]).toMatch(/^ {2}failure: \S/);
    expect(block[2]).toMatch(/^ {2}counterexample: \S/);
    expect(block.at(-1)).toMatch(
      new RegExp(
        `^ {2}replay: wdecay conformance --backend broken --property op-sum --seed ${SEED} --replay \\d+(:\\d+)*$`,
      ),
    );
    expect(lines(stdout).at(-1)).toMatch(/^broken: \d+\/\d+ properties passed$/);
    expect(stdout).not.toMatch(/^broken: (\d+)\/\1 /m);
  });

  it("its replay command fails again with the same counterexample", async () => {
    const registry = registryWithBrokenSum();
    const first = await run(["conformance", "--backend", "broken", "--seed", SEED], { registry });
    const firstJson = results(
      (await run(["conformance", "--backend", "broken", "--seed", SEED, "--json"], { registry }))
        .stdout,
    );
    const original = firstJson[0]?.properties.find((p) => p.id === "op-sum");
    expect(original?.passed).toBe(false);
    expect(original?.counterexample).not.toBeNull();

    const args = replayArgs(first.stdout, "op-sum");
    expect(args).toContain("--replay");
    const replay = await run(args, { registry });
    expect(replay.code).toBe(1);
    // The same failure, shown the same way, replayed with the same command.
    expect(failureBlock(replay.stdout, "op-sum")).toEqual(failureBlock(first.stdout, "op-sum"));
    expect(replay.stdout).toContain("replaying path");

    const replayJson = results((await run([...args, "--json"], { registry })).stdout);
    expect(replayJson[0]?.properties).toHaveLength(1);
    expect(replayJson[0]?.properties[0]).toMatchObject({
      id: "op-sum",
      passed: false,
      counterexample: original?.counterexample,
      failure: original?.failure,
      replay: original?.replay,
    });
    // The path picks the failing input itself: one run, whatever --num-runs says.
    expect(replayJson[0]?.properties[0]?.runs).toBe(1);
    const oneRun = results(
      (await run([...args, "--num-runs", "1", "--json"], { registry })).stdout,
    );
    expect(oneRun[0]?.properties[0]?.counterexample).toBe(original?.counterexample);
  });

  it("with --backend all, fails the run while the others pass", async () => {
    const { code, stdout, stderr } = await run(
      ["conformance", "--json", "--seed", SEED, "--property", "op-sum,op-matmul"],
      { registry: registryWithBrokenSum() },
    );
    expect(code).toBe(1);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^wdecay: conformance failed: broken \(1 of 2 properties failed\)\n$/);
    const byName = Object.fromEntries(results(stdout).map((r) => [r.backend, r]));
    expect(byName.cpu?.passed).toBe(true);
    expect(byName["cpu-f32"]?.passed).toBe(true);
    expect(byName.broken?.passed).toBe(false);
    const sum = byName.broken?.properties.find((p) => p.id === "op-sum");
    expect(sum).toMatchObject({ passed: false, replay: { seed: Number(SEED) } });
    expect(sum?.failure).toEqual(expect.any(String));
  });
});

describe("backends that cannot start, and the reference", () => {
  const REASON = BROKEN_GPU_REASON;
  const registryWithDeadGpu = registryWithBrokenGpu;

  it("among all of them: reported as not run, with the reason; the others decide", async () => {
    const args = ["conformance", "--property", "op-sum", "--seed", SEED];
    const human = await run(args, { registry: registryWithDeadGpu() });
    expect(human.code).toBe(0);
    const gpuLines = lines(human.stdout).filter((l) => l.startsWith("gpu"));
    expect(gpuLines).toEqual([`gpu: not run, could not start: ${REASON}`]);
    expect(human.stdout).toContain("cpu: 1/1 properties passed");
    expect(human.stdout).toContain("cpu-f32: 1/1 properties passed");
    expect(lines(human.stderr)[0]).toBe(`gpu: could not start: ${REASON}`);

    const json = await run([...args, "--json"], { registry: registryWithDeadGpu() });
    expect(json.code).toBe(0);
    const [gpu, ...others] = results(json.stdout);
    expect(gpu).toMatchObject({
      backend: "gpu",
      precision: null,
      seed: Number(SEED),
      numRuns: 25,
      passed: null,
      properties: [],
    });
    expect(gpu?.reason).toContain(REASON);
    expect(others.map((r) => r.passed)).toEqual([true, true]);
  });

  it("named with --backend: a one-line runtime error", async () => {
    const result = await run(["conformance", "--backend", "gpu"], {
      registry: registryWithDeadGpu(),
    });
    expectOneLineError(result, 1, /^wdecay: .*gpu.*no GPU adapter found/);
  });

  it("without a float64 cpu reference: a one-line runtime error", async () => {
    const missing = cpuRegistry();
    missing.register("cpu", () => {
      throw new Error("cpu disabled");
    });
    const float32 = cpuRegistry();
    float32.register("cpu", () => createCpuBackend({ precision: "float32", name: "cpu" }));
    for (const [registry, text] of [
      [missing, "cpu disabled"],
      [float32, "float64"],
    ] as const) {
      const { code, stdout, stderr } = await run(["conformance", "--backend", "cpu-f32"], {
        registry,
      });
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(lines(stderr)).toHaveLength(1);
      expect(stderr).toContain("reference");
      expect(stderr).toContain(text);
    }
  });
});

describe("wdecay conformance usage errors", () => {
  const CASES: [string[], string][] = [
    [["--num-runs", "0"], "--num-runs"],
    [["--num-runs", "2.5"], "--num-runs"],
    [["--num-runs", "many"], "--num-runs"],
    [["--seed", "-1"], "--seed"],
    [["--seed", "1.5"], "--seed"],
    [["--seed", "2147483648"], "--seed"],
    [["--property", "op-nope"], "--property"],
    [["--property", "op-sum,nope"], "--property"],
    [["--property", "op-sum,"], "--property"],
    [["--property", ""], "--property"],
    [["--replay", "0:1"], "--replay"],
    [["--replay", "0:1", "--property", "op-sum"], "--seed"],
    [["--replay", "0:1", "--seed", "3"], "--property"],
    [["--replay", "0:1", "--seed", "3", "--property", "op-sum,op-matmul"], "--property"],
    [["--replay", "a:b", "--seed", "3", "--property", "op-sum"], "--replay"],
    [["--backend", "tpu"], "--backend"],
    [["--bogus"], "--bogus"],
  ];

  it.each(CASES)("wdecay conformance %j exits 2 naming %s", async (args, flag) => {
    expectUsageError(await run(["conformance", ...args]), flag);
  });

  it("says what --replay needs", async () => {
    const { stderr } = await run(["conformance", "--replay", "0:1", "--property", "op-sum"]);
    expect(stderr).toBe("wdecay: --replay needs --seed: the seed of the failure it replays\n");
  });
});

describe("wdecay conformance --help", () => {
  it("describes the command, its defaults and examples", async () => {
    const { code, stdout, stderr } = await run(["conformance", "--help"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const help = stdout.replace(/\s+/g, " ");
    expect(help).toContain("Usage: wdecay conformance");
    expect(help).toContain("float64");
    expect(help).toMatch(/--num-runs <n> .*\(default 25, 500 with --deep\)/);
    expect(help).toMatch(/--backend <name> .*\(default: "all"\)/);
    for (const flag of ["--seed", "--property", "--replay", "--json"]) expect(help).toContain(flag);
    expect(help).toContain("Examples:");
    expect(help).toContain("op-matmul");
  });

  it("is listed, with examples, in the program's help", async () => {
    const { stdout } = await run(["--help"]);
    expect(stdout).toMatch(/^\s+conformance\b/m);
    expect(stdout).toContain("wdecay conformance --backend cpu-f32 --seed 7");
  });
});
