import { createCpuBackend } from "@wdecay/backend-cpu";
import { describeConformance } from "@wdecay/conformance/vitest";
import { describe } from "vitest";
import { makeBackend, noGpu } from "./gpu.js";

const reference = () => createCpuBackend({ precision: "float64" });

// Skipped only outside CI on a machine without an adapter (gpu.ts prints why); in CI a missing
// adapter fails in gpu.ts before any test runs.
describe.skipIf(noGpu)("conformance on the WebGPU adapter", () => {
  describeConformance("webgpu (float32, fused kernels)", () => makeBackend(), { reference });
  describeConformance("webgpu, composed from primitives", () => makeBackend({ fused: false }), {
    reference,
  });
});
