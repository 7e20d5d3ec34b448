import type { ConformanceProperty } from "../property.js";
import { FUSED_PROPERTIES } from "./fused.js";
import { IDENTITY_PROPERTIES } from "./identities.js";
import { PRIMITIVE_PROPERTIES } from "./primitives.js";

/** The whole suite, primitives first: a broken primitive explains the failures after it. */
export const ALL_PROPERTIES: readonly ConformanceProperty<never>[] = [
  ...PRIMITIVE_PROPERTIES,
  ...FUSED_PROPERTIES,
  ...IDENTITY_PROPERTIES,
] as unknown as readonly ConformanceProperty<never>[];

export { FUSED_PROPERTIES, IDENTITY_PROPERTIES, PRIMITIVE_PROPERTIES };
