/**
 * @wdecay/backend-webgpu: WGSL compute kernels on standard WebGPU, float32. Importing it does
 * nothing by itself; `@wdecay/backend-webgpu/register` registers `webgpu`, and
 * `@wdecay/backend-webgpu/node` gets Dawn's GPU object in Node.
 */
export {
  createWebGpuBackend,
  WebGpuBackend,
  type WebGpuBackendOptions,
  WebGpuDeviceLostError,
  type WebGpuStats,
  WebGpuValidationError,
} from "./backend.js";
