/**
 * @wdecay/conformance: the property-based suite that proves a backend computes what the float64
 * reference does, within tolerances derived from its declared precision. Run it with
 * {@link runConformance} from any test runner, with `describeConformance` from
 * `@wdecay/conformance/vitest`, or with `wdecay conformance`.
 */
export * as arbitraries from "./arbitraries.js";
export { type RidgeDescent, ridgeDescent } from "./gradient-descent.js";
export * as oracle from "./oracle/index.js";
export {
  ALL_PROPERTIES,
  CALIBRATION_PROPERTIES,
  CONTRACT_PROPERTIES,
  FUSED_PROPERTIES,
  IDENTITY_PROPERTIES,
  MULTI_OUTPUT_PROPERTIES,
  OPTIMIZER_PROPERTIES,
  PRIMITIVE_PROPERTIES,
  REFERENCE_PROPERTIES,
  SIZE_PROPERTIES,
  STATE_PROPERTIES,
  TOOLKIT_PROPERTIES,
} from "./properties/index.js";
export { type ConformanceProperty, defineProperty, type PropertyContext } from "./property.js";
export {
  type BackendReport,
  type BackendSource,
  checkExpectations,
  DEEP_FACTOR,
  DEFAULT_NUM_RUNS,
  type Expectations,
  type PropertyResult,
  type PropertyStatus,
  type RunOptions,
  randomSeed,
  runConformance,
  runProperty,
} from "./runner.js";
export { scoped } from "./scope.js";
export * from "./tolerance.js";
