import { describeConformance } from "@wdecay/conformance/vitest";
import { createCpuBackend } from "../src/index.js";

// The cpu backend is the reference itself; running the suite on it still checks every primitive
// against naive float64 loops, every fused kernel against its composition, and the identities.
const reference = () => createCpuBackend({ precision: "float64" });

describeConformance("cpu (float64)", () => createCpuBackend({ precision: "float64" }), {
  reference,
});
describeConformance("cpu-f32 (float32)", () => createCpuBackend({ precision: "float32" }), {
  reference,
});
describeConformance("cpu, composed from primitives", () => createCpuBackend({ fused: false }), {
  reference,
});
