import type { WebGpuBackend } from "../src/index.js";

/**
 * Runs `body` inside validation and out-of-memory error scopes on the backend's device and
 * returns what it returned, failing with the device's message if any GPU error was raised.
 * The scopes are popped even when `body` throws, so that they never leak into the next test.
 */
export async function withoutGpuErrors<T>(
  backend: WebGpuBackend,
  body: () => Promise<T> | T,
): Promise<T> {
  const { device } = backend;
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  const outcome = await Promise.resolve()
    .then(body)
    .then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
  backend.flush();
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  const gpuError = validation ?? memory;
  if (gpuError) throw new Error(`GPU error: ${gpuError.message}`);
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}
