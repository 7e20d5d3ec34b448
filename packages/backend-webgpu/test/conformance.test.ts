import { createCpuBackend } from "@wdecay/backend-cpu";
import { describeConformance } from "@wdecay/conformance/vitest";
import { describe } from "vitest";
import { makeBackend } from "./gpu.js";

const reference = () => createCpuBackend({ precision: "float64" });
// size-declared reads and checks tensors of 2^24 elements (the grid-stride boundary) on a
// software adapter: ~12 s alone, several times that while other packages' tests share the two
// cores. The default 60 s per property leaves no margin for that.
const timeout = 240_000;

describe("conformance on the WebGPU adapter", () => {
  describeConformance("webgpu (float32, fused kernels)", () => makeBackend(), {
    reference,
    timeout,
  });
  describeConformance("webgpu, composed from primitives", () => makeBackend({ fused: false }), {
    reference,
    timeout,
  });
});
