import { createCpuBackend } from "@wdecay/backend-cpu";
import { describeConformance } from "@wdecay/conformance/vitest";
import { createWasmBackend } from "../src/index.js";

// The whole suite at float32 tolerances against the float64 reference: primitives against naive
// loops, each fused kernel (SGD step, loss; y n×1 and n×L; L1) against its composition.
const reference = () => createCpuBackend({ precision: "float64" });

describeConformance("wasm (float32)", () => createWasmBackend(), { reference });
// The grid's dual form on every multi-column spec, not only where d ≥ 2n.
describeConformance("wasm, dual form always", () => createWasmBackend({ dual: "always" }), {
  reference,
});
// Every product through tfjs-backend-wasm's XNNPACK GEMM, however small.
describeConformance(
  "wasm, tfjs matmul always",
  () => createWasmBackend({ tfjsMatmulThreshold: 0 }),
  {
    reference,
  },
);
