/**
 * Startup loads only what the command line needs: `wdecay --help` and `--version` load no
 * backend, no tfjs, no conformance suite and no Vega; a command loads its own modules, not the
 * other commands'. Checked on the real executable (spawned from source) by recording every
 * module it resolves. Time is measured by `pnpm bench --workload startup`, not here.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { spawnWdecay, tempDir } from "./helpers.js";

const TRACE = fileURLToPath(new URL("./fixtures/trace-modules.mjs", import.meta.url));

/** The module URLs `wdecay ARGS` resolves, and its exit status. */
async function modulesLoadedBy(args: string[]): Promise<{ code: number; modules: string[] }> {
  const file = join(await tempDir(), "modules.txt");
  const { code } = await spawnWdecay(args, {
    nodeArgs: ["--import", TRACE],
    env: { WDECAY_TRACE_MODULES: file },
  });
  const modules = (await readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean);
  return { code, modules };
}

/** What no command should load before it needs it. */
const HEAVY = {
  tfjs: /@tensorflow\//,
  "the wasm backend": /backend-wasm\/src\/backend\.ts/,
  "the webgpu backend": /backend-webgpu\/src\/(backend|node)\.ts/,
  Dawn: /\/webgpu\/(dist|index)/,
  "the conformance suite": /\/conformance\/src\//,
  "fast-check": /fast-check/,
  Vega: /\/vega/,
};

function loaded(modules: readonly string[], pattern: RegExp): boolean {
  return modules.some((url) => pattern.test(url));
}

describe("what a command line loads", { timeout: 120_000 }, () => {
  it.each([["--help"], ["--version"]])(
    "wdecay %s loads no backend, suite or renderer",
    async (flag) => {
      const { code, modules } = await modulesLoadedBy([flag]);
      expect(code).toBe(0);
      expect(modules.length).toBeGreaterThan(0);
      for (const [name, pattern] of Object.entries(HEAVY)) {
        expect(loaded(modules, pattern), `${flag} loaded ${name}`).toBe(false);
      }
      // Nor any command's own module.
      expect(modules.filter((url) => /\/src\/commands\/(?!index\.ts)/.test(url))).toEqual([]);
    },
  );

  it("a command loads itself, not the others: wdecay backends --json", async () => {
    const { code, modules } = await modulesLoadedBy(["backends", "--json"]);
    expect(code).toBe(0);
    const commands = modules.filter((url) => /\/src\/commands\/(?!index\.ts)/.test(url));
    expect(commands.map((url) => url.replace(/.*\/commands\//, ""))).toEqual(["backends.ts"]);
    expect(loaded(modules, HEAVY["the conformance suite"])).toBe(false);
    expect(loaded(modules, HEAVY.Vega)).toBe(false);
    // Listing starts every backend: that is when they load. (With threads the wasm backend reads
    // tfjs' threaded build from its file, outside the module loader, so look for the backend.)
    expect(loaded(modules, HEAVY["the wasm backend"])).toBe(true);
  });

  it("wdecay conformance --help loads the suite (its help lists the properties)", async () => {
    const { code, modules } = await modulesLoadedBy(["conformance", "--help"]);
    expect(code).toBe(0);
    expect(loaded(modules, HEAVY["the conformance suite"])).toBe(true);
    expect(loaded(modules, HEAVY.tfjs)).toBe(false);
  });
});
