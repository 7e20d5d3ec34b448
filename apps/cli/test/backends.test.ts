import "@wdecay/backend-cpu/register";
import { defaultRegistry } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import {
  cpuRegistry,
  expectOneLineError,
  lines,
  BROKEN_GPU_REASON as REASON,
  registryWithBrokenGpu as registryWithBroken,
  run,
  STACK_FRAME,
  tempDir,
} from "./helpers.js";

describe("wdecay backends", () => {
  it("--json lists cpu and cpu-f32 from @wdecay/backend-cpu/register as available", async () => {
    const { code, stdout, stderr } = await run(["backends", "--json"], {
      registry: defaultRegistry,
    });
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const { backends } = JSON.parse(stdout);
    const byName = Object.fromEntries(backends.map((b: { name: string }) => [b.name, b]));
    expect(byName.cpu).toEqual({
      name: "cpu",
      available: true,
      precision: "float64",
      priority: expect.any(Number),
      reason: null,
      threads: 1,
      threadsNote: null,
    });
    expect(byName["cpu-f32"]).toMatchObject({ available: true, precision: "float32" });
    expect(byName.cpu.priority).toBeGreaterThan(byName["cpu-f32"].priority);
  });

  it("lists an unavailable backend with its reason", async () => {
    const { code, stdout } = await run(["backends", "--json"], { registry: registryWithBroken() });
    expect(code).toBe(0);
    const { backends } = JSON.parse(stdout);
    expect(backends[0]).toEqual({
      name: "gpu",
      available: false,
      precision: null,
      priority: 100,
      reason: REASON,
      threads: null,
      threadsNote: null,
    });
  });

  it("prints a table for people, marking the one used by default", async () => {
    const { code, stdout } = await run(["backends"], { registry: registryWithBroken() });
    expect(code).toBe(0);
    const rows = lines(stdout);
    expect(rows.find((l) => l.startsWith("gpu"))).toMatch(/no .*100 .*no GPU adapter/);
    expect(rows.find((l) => l.startsWith("cpu "))).toMatch(/\(default\)\s+yes\s+float64/);
  });
});

describe("a backend that cannot start", () => {
  it("named with --backend: exit 1, one line with its reason, no stack", async () => {
    const out = await tempDir();
    const result = await run(["demo", "--backend", "gpu", "--out", out], {
      registry: registryWithBroken(),
    });
    expectOneLineError(result, 1, "gpu", REASON);
  });

  it("an async factory that rejects is reported the same way", async () => {
    const registry = cpuRegistry();
    registry.register("webgpu", async () => Promise.reject(new Error("adapter lost")), 50);
    const { code, stderr } = await run(["train", "--backend", "webgpu"], { registry });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^wdecay: .*webgpu.*adapter lost\n$/);
  });

  it("with --debug, the stack is printed", async () => {
    const { code, stderr } = await run(["train", "--backend", "gpu", "--debug"], {
      registry: registryWithBroken(),
    });
    expect(code).toBe(1);
    expect(lines(stderr)[0]).toContain(REASON);
    expect(stderr).toMatch(STACK_FRAME);
  });

  it("without --backend, the next backend by priority is used", async () => {
    const { code, stdout } = await run(["train", "--epochs", "5", "--json"], {
      registry: registryWithBroken(),
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).backend).toBe("cpu");
  });

  it("when no backend starts, exit 1 listing every failure", async () => {
    const registry = registryWithBroken();
    registry.register("cpu", () => {
      throw new Error("cpu disabled");
    });
    registry.register("cpu-f32", () => {
      throw new Error("cpu-f32 disabled");
    });
    const { code, stderr } = await run(["train"], { registry });
    expect(code).toBe(1);
    expect(lines(stderr)).toHaveLength(1);
    for (const reason of [REASON, "cpu disabled", "cpu-f32 disabled"])
      expect(stderr).toContain(reason);
  });
});
