/** The real executable, spawned: exit statuses and a stdout that holds nothing but the JSON. */
import { softwareWebGpuEnv } from "@wdecay/test-browser";
import { describe, expect, it } from "vitest";
import { lines, spawnWdecay, tempDir } from "./helpers.js";

const wdecay = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnWdecay(args, { env });

describe("the wdecay executable", { timeout: 120_000 }, () => {
  it("demo --json exits 0 with exactly one JSON object on stdout", async () => {
    const out = await tempDir();
    const { code, stdout } = await wdecay(["demo", "--json", "--out", out]);
    expect(code).toBe(0);
    expect(lines(stdout)).toHaveLength(1);
    const report = JSON.parse(stdout);
    // The executable registers webgpu, wasm and cpu; without a GPU adapter (or where webgpu is
    // not opted into the software one) the registry falls back to wasm, the fastest CPU path.
    expect(["webgpu", "wasm"]).toContain(report.backend);
    expect(report.precision).toBe("float32");
    expect(report.runs).toHaveLength(4);
  });

  it("backends lists all three, and --backend cpu is the float64 reference", async () => {
    const listed = await wdecay(["backends", "--json"]);
    expect(listed.code).toBe(0);
    const names = JSON.parse(listed.stdout).backends.map((b: { name: string }) => b.name);
    expect(names).toEqual(["webgpu", "wasm", "cpu", "cpu-f32"]);
    const out = await tempDir();
    const cpu = await wdecay(["demo", "--json", "--backend", "cpu", "--out", out]);
    expect(JSON.parse(cpu.stdout)).toMatchObject({ backend: "cpu", precision: "float64" });
  });

  it("wasm computes on the machine's cores, at most 8, and on one with --threads 1", async () => {
    const { availableParallelism } = await import("node:os");
    const wasmThreads = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const listed = await wdecay([...args, "backends", "--json"], env);
      expect(listed.code).toBe(0);
      const { backends } = JSON.parse(listed.stdout);
      return backends.find((b: { name: string }) => b.name === "wasm").threads;
    };
    expect(await wasmThreads([])).toBe(Math.min(8, availableParallelism()));
    expect(await wasmThreads(["--threads", "1"])).toBe(1);
    expect(await wasmThreads(["--threads=3"])).toBe(3);
    expect(await wasmThreads([], { WDECAY_THREADS: "2" })).toBe(2);
    const bad = await wdecay(["--threads", "0", "backends"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("wdecay: --threads must be a whole number from 1 to 8, got '0'\n");
  });

  it("a usage error exits 2 with one line on stderr and nothing on stdout", async () => {
    const { code, stdout, stderr } = await wdecay(["train", "--lambda", "-1"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe('wdecay: --lambda must be a number ≥ 0 (got "-1")\n');
  });
});

/**
 * The float32 backends against the float64 cpu on the chapter's four runs, as
 * `wdecay demo --backend NAME` reports them. Tolerance as in the backends' own tests: each of the
 * 400 steps rounds w to float32 and sums d = 200 products, and stable steps carry those errors
 * without amplifying them: steps·√d·ε₃₂ relative.
 */
describe("wdecay demo on each backend against cpu", { timeout: 120_000 }, () => {
  const tolerance = 400 * Math.sqrt(200) * 2 ** -23;
  const norms = async (backend: string, env: NodeJS.ProcessEnv = {}) => {
    const out = await tempDir();
    const result = await wdecay(["demo", "--json", "--backend", backend, "--out", out], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ backend, precision: backend === "cpu" ? "float64" : "float32" });
    return report.runs.map((r: { l2Norm: number }) => r.l2Norm) as number[];
  };

  it("wasm", async () => {
    const [cpu, wasm] = [await norms("cpu"), await norms("wasm")];
    for (const [i, w] of cpu.entries()) {
      expect(Math.abs((wasm[i] as number) - w) / w).toBeLessThanOrEqual(tolerance);
    }
  });

  it("webgpu, named, on SwiftShader (from npm; no GPU needed)", async () => {
    const [cpu, gpu] = [await norms("cpu"), await norms("webgpu", await softwareWebGpuEnv())];
    for (const [i, w] of cpu.entries()) {
      expect(Math.abs((gpu[i] as number) - w) / w).toBeLessThanOrEqual(tolerance);
    }
  });
});

describe("a software WebGPU adapter is never the default", { timeout: 120_000 }, () => {
  it("with SwiftShader as the Vulkan driver, demo picks wasm and backends says why", async () => {
    const env = await softwareWebGpuEnv();
    const out = await tempDir();
    const demo = await wdecay(["demo", "--json", "--out", out], env);
    expect(demo.code).toBe(0);
    expect(JSON.parse(demo.stdout).backend).toBe("wasm");
    const listed = await wdecay(["backends", "--json"], env);
    const webgpu = JSON.parse(listed.stdout).backends.find(
      (b: { name: string }) => b.name === "webgpu",
    );
    expect(webgpu).toMatchObject({ available: false });
    expect(webgpu.reason).toMatch(/swiftshader.*software.*--backend webgpu/i);
  });
});
