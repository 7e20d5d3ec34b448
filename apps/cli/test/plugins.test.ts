/**
 * A backend of one's own in the `wdecay` command: `--import MODULE` (or $WDECAY_IMPORT) loads a
 * module that registers it, the conformance report says which properties do not apply to it and
 * why, replay lines carry the `--import`, and `--expectations` lists known gaps.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { createRegistry } from "@wdecay/core";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { expectUsageError, lines, run, spawnWdecay, tempDir } from "./helpers.js";

const PLUGIN = fileURLToPath(new URL("./fixtures/plugin-backend.mjs", import.meta.url));

/** A registry with only the float64 reference: the plugin adds its own backends to it. */
function referenceOnly() {
  const registry = createRegistry();
  registry.register("cpu", () => createCpuBackend({ precision: "float64" }), 10);
  return registry;
}

/** `wdecay --import PLUGIN conformance ARGS`, with only the reference registered unless told. */
function conformance(args: string[], registry = referenceOnly()) {
  return run(["--import", PLUGIN, "conformance", ...args], { registry });
}

describe("wdecay --import", () => {
  it("registers the module's backends: backends lists them, conformance runs on them", async () => {
    const registry = referenceOnly();
    const listed = await run(["--import", PLUGIN, "backends", "--json"], { registry });
    expect(listed.code).toBe(0);
    const names = JSON.parse(listed.stdout).backends.map((b: { name: string }) => b.name);
    expect(names).toEqual(expect.arrayContaining(["plugin", "plugin-broken"]));
    const checked = await run(
      [
        `--import=${PLUGIN}`,
        "conformance",
        "--backend",
        "plugin",
        "--property",
        "op-sum,fused-linear-sgd",
        "--seed",
        "3",
        "--json",
      ],
      { registry },
    );
    expect(checked.code).toBe(0);
    const [result] = JSON.parse(checked.stdout).results;
    const byId = Object.fromEntries(result.properties.map((p: { id: string }) => [p.id, p]));
    expect(byId["op-sum"]).toMatchObject({ status: "passed", passed: true });
    // Not a pass with "max error 0": skipped, with why.
    expect(byId["fused-linear-sgd"]).toMatchObject({
      status: "skipped",
      passed: true,
      runs: 0,
      reason: expect.stringMatching(/no fused kernel/),
    });
  });

  it("puts the --import in the replay line, which reproduces the failure", async () => {
    const registry = referenceOnly();
    const first = await conformance(
      ["--backend", "plugin-broken", "--property", "op-sum", "--seed", "5"],
      registry,
    );
    expect(first.code).toBe(1);
    const replay = lines(first.stdout).find((l) => l.startsWith("  replay: "));
    expect(replay).toMatch(
      /^ {2}replay: wdecay --import \S+plugin-backend\.mjs conformance --backend plugin-broken --property op-sum --seed 5 --replay \S+$/,
    );
    const args = (replay as string).replace(/^ {2}replay: wdecay /, "").split(" ");
    const again = await run(args, { registry: referenceOnly() });
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("FAIL op-sum");
  });

  it("reads $WDECAY_IMPORT, from a path relative to the working directory (the real executable)", async () => {
    const listed = await spawnWdecay(["backends", "--json"], {
      env: { WDECAY_IMPORT: "./test/fixtures/plugin-backend.mjs" },
    });
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).backends.map((b: { name: string }) => b.name)).toContain(
      "plugin",
    );
  });

  it("a module that is not there is a usage error, in one line", async () => {
    const result = await run(["--import", "./no/such/module.mjs", "backends"], {
      registry: referenceOnly(),
    });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^wdecay: --import \.\/no\/such\/module\.mjs: it failed to load/);
    expectUsageError(
      await run(["--import"], { registry: referenceOnly() }),
      "--import needs a module",
    );
  });
});

describe("wdecay conformance --expectations", () => {
  it("an expected failure passes the run and is listed with its reason; one that passes fails it", async () => {
    const dir = await tempDir();
    const known = join(dir, "known.json");
    await writeFile(
      known,
      JSON.stringify({
        xfail: { "op-sum": "sum drops the last element (issue 1)" },
        skip: { "op-matmul": "no products here" },
      }),
    );
    const ok = await conformance([
      "--backend",
      "plugin-broken",
      "--property",
      "op-sum,op-matmul,op-axpby",
      "--seed",
      "2",
      "--expectations",
      known,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^xfail op-sum: sum drops the last element \(issue 1\)$/m);
    expect(ok.stdout).toMatch(/^skip op-matmul: no products here$/m);
    expect(lines(ok.stdout).at(-1)).toBe(
      "plugin-broken: 1/3 properties passed (1 skipped, 1 expected to fail)",
    );

    await writeFile(known, JSON.stringify({ xfail: { "op-axpby": "thought broken" } }));
    const xpass = await conformance([
      "--backend",
      "plugin-broken",
      "--property",
      "op-axpby",
      "--seed",
      "2",
      "--expectations",
      known,
    ]);
    expect(xpass.code).toBe(1);
    expect(xpass.stdout).toMatch(
      /^XPASS op-axpby: .*\n {2}failure: expected to fail \(thought broken\), but every run passed$/m,
    );
  });

  it("rejects a file that names no property, gives no reason or is not JSON, in one line", async () => {
    const dir = await tempDir();
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ skip: { "op-nothing": "why" } }));
    expectUsageError(
      await run(["conformance", "--expectations", bad], { registry: referenceOnly() }),
      `--expectations ${bad}: expectations.skip: "op-nothing" is not a property of the suite`,
    );
    await writeFile(bad, JSON.stringify({ xfail: { "op-sum": "" } }));
    expectUsageError(
      await run(["conformance", "--expectations", bad], { registry: referenceOnly() }),
      "needs a reason",
    );
    await writeFile(bad, "{ skip: ");
    expectUsageError(
      await run(["conformance", "--expectations", bad], { registry: referenceOnly() }),
      "not JSON",
    );
    await writeFile(bad, JSON.stringify({ skips: {} }));
    expectUsageError(
      await run(["conformance", "--expectations", bad], { registry: referenceOnly() }),
      'unknown key "skips"',
    );
  });
});

describe("wdecay conformance --json", () => {
  it("validates against the documented schema (@wdecay/conformance/report.schema.json)", async () => {
    const schema = JSON.parse(
      readFileSync(
        createRequire(import.meta.url).resolve("@wdecay/conformance/report.schema.json"),
        "utf8",
      ),
    );
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    const registry = referenceOnly();
    registry.register("absent", () => Promise.reject(new Error("no such device")), 1);
    const dir = await tempDir();
    const known = join(dir, "known.json");
    await writeFile(known, JSON.stringify({ xfail: { "op-axpby": "a known gap" } }));
    const result = await conformance(
      [
        "--property",
        "op-sum,op-axpby,fused-linear-sgd",
        "--seed",
        "1",
        "--json",
        "--expectations",
        known,
      ],
      registry,
    );
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const statuses = json.results.flatMap((r: { properties: { status: string }[] }) =>
      r.properties.map((p) => p.status),
    );
    expect(new Set(statuses)).toEqual(new Set(["passed", "failed", "skipped", "xpass"]));
    expect(json.results.find((r: { backend: string }) => r.backend === "absent")).toMatchObject({
      passed: null,
      reason: expect.stringMatching(/no such device/),
    });
  });
});
