import { createCpuBackend } from "@wdecay/backend-cpu";
import { describeConformance } from "@wdecay/conformance/vitest";
import { describe } from "vitest";
import { makeBackend } from "./gpu.js";

const reference = () => createCpuBackend({ precision: "float64" });

describe("conformance on the WebGPU adapter", () => {
  describeConformance("webgpu (float32, fused kernels)", () => makeBackend(), { reference });
  describeConformance("webgpu, composed from primitives", () => makeBackend({ fused: false }), {
    reference,
  });
});
