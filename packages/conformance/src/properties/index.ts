import type { ConformanceProperty } from "../property.js";
import { CALIBRATION_PROPERTIES } from "./calibration.js";
import { CONTRACT_PROPERTIES } from "./contract.js";
import { FUSED_PROPERTIES } from "./fused.js";
import { IDENTITY_PROPERTIES } from "./identities.js";
import { MULTI_OUTPUT_PROPERTIES } from "./multi-output.js";
import { NETWORK_PROPERTIES } from "./networks.js";
import { OPTIMIZER_PROPERTIES } from "./optimizers.js";
import { PRIMITIVE_PROPERTIES } from "./primitives.js";
import { REFERENCE_PROPERTIES } from "./references.js";
import { SIZE_PROPERTIES } from "./sizes.js";
import { STATE_PROPERTIES } from "./state.js";
import { TOOLKIT_PROPERTIES } from "./toolkit.js";

/**
 * The whole suite, primitives first: a broken primitive explains the failures after it. The
 * optimizer properties (6, 10, 18 and core's optimizer) follow the training identities, and the
 * networks' (primitives, backpropagation 26, groups 27) follow them; the
 * toolkit's identities (14–17, 19) and λ conventions come after the training identities, and
 * multi-output training (the Frobenius penalty) right after them. Last, the checks of core's
 * float64 reference answers on their own (`ref-…`), which the toolkit's properties take as truth.
 */
export const ALL_PROPERTIES: readonly ConformanceProperty<never>[] = [
  ...PRIMITIVE_PROPERTIES,
  ...CONTRACT_PROPERTIES,
  ...FUSED_PROPERTIES,
  ...SIZE_PROPERTIES,
  ...STATE_PROPERTIES,
  ...IDENTITY_PROPERTIES,
  ...MULTI_OUTPUT_PROPERTIES,
  ...OPTIMIZER_PROPERTIES,
  ...NETWORK_PROPERTIES,
  ...TOOLKIT_PROPERTIES,
  ...REFERENCE_PROPERTIES,
  ...CALIBRATION_PROPERTIES,
] as unknown as readonly ConformanceProperty<never>[];

export {
  CALIBRATION_PROPERTIES,
  CONTRACT_PROPERTIES,
  FUSED_PROPERTIES,
  IDENTITY_PROPERTIES,
  MULTI_OUTPUT_PROPERTIES,
  NETWORK_PROPERTIES,
  OPTIMIZER_PROPERTIES,
  PRIMITIVE_PROPERTIES,
  REFERENCE_PROPERTIES,
  SIZE_PROPERTIES,
  STATE_PROPERTIES,
  TOOLKIT_PROPERTIES,
};
