/**
 * The float64 host oracle: plain loops for what the code under test must compute (minibatch SGD
 * with its penalties, the loss, the optimizers and their schedules, the training loop and its
 * history), independent of core's compositions and of every backend.
 */
export * from "./optimizer.js";
export * from "./sgd.js";
export * from "./train.js";
