/**
 * The convention properties can fail for the reason they exist: a library objective written with
 * the wrong constant (as if its setting converted to twice the canonical λ) is caught, both by the
 * stationarity check, whose tolerance holds the solved objective's residual and never the checked
 * one's, and by the ratio of the gradients at a random point.
 */
import { runConformance } from "@wdecay/conformance";
import { createMinimalBackend } from "@wdecay/conformance/minimal-backend";
import { describe, expect, it } from "vitest";
import { CONVENTION_CASES, conventionProperty } from "../src/properties/toolkit.js";

const SEED = 20_240_611;

describe.each(CONVENTION_CASES)("conv-$id", (spec) => {
  it("passes with the library's objective as documented", async () => {
    const report = await runConformance(createMinimalBackend, {
      reference: createMinimalBackend,
      numRuns: 25,
      seed: SEED,
      properties: [conventionProperty(spec)] as never,
    });
    expect(report.properties[0]?.failure ?? null).toBeNull();
  });

  it("fails when the library's setting is read as twice the canonical conversion", async () => {
    const wrong = conventionProperty({
      ...spec,
      objective: (value, penalty, n, ySd) => spec.objective(2 * value, penalty, n, ySd),
    });
    const report = await runConformance(createMinimalBackend, {
      reference: createMinimalBackend,
      numRuns: 25,
      seed: SEED,
      properties: [wrong] as never,
    });
    const [result] = report.properties;
    expect(result?.passed).toBe(false);
    // Shrinking ends on the smallest failing input, caught by the stationarity check or by the
    // gradient's ratio to the canonical one at a random point; each alone catches every case.
    expect(result?.failure).toMatch(
      /more than the solution's residual and rounding|× canonical at a random point/,
    );
  });
});
