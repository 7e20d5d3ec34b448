import { createMinimalBackend } from "@wdecay/conformance/minimal-backend";
import { describeConformance } from "@wdecay/conformance/vitest";

// A real backend passes the float64 cpu backend as its reference:
//   reference: () => createCpuBackend()   (from @wdecay/backend-cpu)
// This package cannot depend on @wdecay/backend-cpu (whose tests depend on this package), so the
// example, a float64 backend checked here by every property, serves as its own reference.
describeConformance("minimal example backend", () => createMinimalBackend(), {
  reference: () => createMinimalBackend(),
});
