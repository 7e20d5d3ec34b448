/**
 * The catalogue is usable: ids are unique and name their area, every edit applies exactly once
 * to today's source and leaves it parseable (a mutant must be a bug, not a syntax error), and
 * each names at least one backend to run. Whether the suite kills them is `pnpm mutants`' job.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../src/catalogue/index.js";
import { mutate } from "../src/run.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const AREAS = ["cpu", "wasm", "webgpu", "core"];

describe("the mutant catalogue", () => {
  it("has unique ids, each prefixed by its area", () => {
    const ids = CATALOGUE.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(
        AREAS.some((a) => id.startsWith(`${a}-`)),
        id,
      ).toBe(true);
  });

  it("applies each edit exactly once, to source that still parses", async () => {
    for (const mutant of CATALOGUE) {
      const source = readFileSync(join(ROOT, mutant.file), "utf8");
      const mutated = mutate(source, mutant);
      expect(mutant.backends.length, mutant.id).toBeGreaterThan(0);
      // AssemblyScript is TypeScript syntax too, but for its decorators on functions (@inline).
      const typescript = mutant.file.includes("/assembly/")
        ? mutated.replace(/^\s*@\w+\s*$/gm, "")
        : mutated;
      await expect(
        transform(typescript, { loader: "ts", logLevel: "silent" }),
        mutant.id,
      ).resolves.toBeDefined();
    }
  });
});
