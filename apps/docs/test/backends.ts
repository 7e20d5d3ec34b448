/**
 * Backends that must start in this Chromium (the others must say why not). Headless Chromium
 * runs wasm everywhere and WebGPU on its software adapter with --enable-unsafe-webgpu; set
 * DOCS_REQUIRE_BACKENDS=cpu,cpu-f32 where a machine has no WebGPU adapter at all.
 */
export const REQUIRED_BACKENDS = (process.env.DOCS_REQUIRE_BACKENDS ?? "cpu,cpu-f32,wasm,webgpu")
  .split(",")
  .map((name) => name.trim())
  .filter(Boolean);
