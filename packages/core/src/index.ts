/**
 * @wdecay/core: the Backend interface and registry, seeded data, linear regression with weight
 * decay (analytic gradients, fused-kernel compositions) and the training loop of D2L §4.5.
 */
export * from "./backend.js";
export * from "./chapter.js";
export * from "./data.js";
export * from "./linear.js";
export * from "./random.js";
export * from "./registry.js";
export * from "./ridge.js";
export * from "./train.js";
