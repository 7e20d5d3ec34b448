/**
 * @wdecay/backend-cpu: the reference backend, plain TypeScript on typed arrays. Importing it
 * registers nothing; import `@wdecay/backend-cpu/register` for that.
 */
export { type CpuBackendOptions, createCpuBackend } from "./backend.js";
