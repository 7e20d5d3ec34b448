/**
 * The optimizer properties pass on a correct backend and fail for the reasons they exist: a
 * backend whose sqrt is wrong breaks Adam (id-10), one whose axpby drops its second term when the
 * first is scaled breaks the momentum buffer (id-6).
 */

import { runConformance } from "@wdecay/conformance";
import { createMinimalBackend } from "@wdecay/conformance/minimal-backend";
import type { Backend } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { OPTIMIZER_PROPERTIES } from "../src/properties/optimizers.js";

const SEED = 20_251_125;

async function run(make: () => Backend, only?: string) {
  const report = await runConformance(make, {
    reference: createMinimalBackend,
    numRuns: 25,
    seed: SEED,
    properties: OPTIMIZER_PROPERTIES.filter((p) => !only || p.id === only) as never,
  });
  return report.properties;
}

describe("optimizer properties", () => {
  it("pass on the minimal backend", async () => {
    for (const p of await run(createMinimalBackend)) {
      expect(p.failure ?? null, p.id).toBeNull();
      expect(p.passed, p.id).toBe(true);
    }
  });

  it("id-10 fails when sqrt is the identity", async () => {
    const bad = () => {
      const b = createMinimalBackend();
      const unary = b.unary.bind(b);
      return Object.assign(b, {
        unary: (op: Parameters<Backend["unary"]>[0], a: Parameters<Backend["unary"]>[1]) =>
          unary(op === "sqrt" ? "abs" : op, a),
      });
    };
    const [result] = await run(bad, "id-10");
    expect(result?.passed).toBe(false);
  });

  it("id-6 fails when axpby drops βy whenever α ∉ {0, 1}", async () => {
    const bad = () => {
      const b = createMinimalBackend();
      const axpby = b.axpby.bind(b);
      return Object.assign(b, {
        axpby: (
          alpha: number,
          x: Parameters<Backend["axpby"]>[1],
          beta: number,
          y: Parameters<Backend["axpby"]>[3],
        ) => axpby(alpha, x, alpha === 0 || alpha === 1 ? beta : 0, y),
      });
    };
    const [result] = await run(bad, "id-6");
    expect(result?.passed).toBe(false);
  });
});
