/** Registers `cpu` (float64, the reference) and `cpu-f32` in the default registry. */
import { registerBackend } from "@wdecay/core";
import { createCpuBackend } from "./backend.js";

/** Priority of the cpu backends: always available, so below any accelerated backend. */
export const CPU_PRIORITY = 10;

registerBackend("cpu", () => createCpuBackend({ precision: "float64" }), CPU_PRIORITY);
registerBackend("cpu-f32", () => createCpuBackend({ precision: "float32" }), CPU_PRIORITY - 1);
