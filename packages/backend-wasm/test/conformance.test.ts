import { createCpuBackend } from "@wdecay/backend-cpu";
import { describeConformance } from "@wdecay/conformance/vitest";
import { createWasmBackend } from "../src/index.js";

// The whole suite at float32 tolerances against the float64 reference: primitives against naive
// loops, each fused kernel (SGD step, loss; y n×1 and n×L; L1) against its composition.
const reference = () => createCpuBackend({ precision: "float64" });

describeConformance("wasm (float32)", () => createWasmBackend(), { reference });
// Threads: one (tfjs' plain build, no workers), then 2 and 4 with every step and loss split over
// the workers however small (on 2 cores, 4 threads also checks that oversubscribed threads stay
// correct). The suite's own properties include that a run repeats bit for bit.
describeConformance("wasm, 1 thread", () => createWasmBackend({ threads: 1 }), { reference });
describeConformance(
  "wasm, 2 threads on every size",
  () => createWasmBackend({ threads: 2, parallelMinWork: 0 }),
  { reference },
);
describeConformance(
  "wasm, 4 threads on every size",
  () => createWasmBackend({ threads: 4, parallelMinWork: 0, tfjsMatmulThreshold: 0 }),
  { reference },
);
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
