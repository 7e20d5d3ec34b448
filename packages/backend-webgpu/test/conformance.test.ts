import { createCpuBackend } from "@wdecay/backend-cpu";
import { describeConformance } from "@wdecay/conformance/vitest";
import { describe, it } from "vitest";
import { makeBackend, noGpu } from "./gpu.js";

const reference = () => createCpuBackend({ precision: "float64" });

if (noGpu) {
  describe.skip("conformance: webgpu (no adapter, see the warning above)", () => {
    it("needs a WebGPU adapter", () => {});
  });
} else {
  describeConformance("webgpu (float32, fused kernels)", () => makeBackend(), { reference });
  describeConformance("webgpu, composed from primitives", () => makeBackend({ fused: false }), {
    reference,
  });
}
