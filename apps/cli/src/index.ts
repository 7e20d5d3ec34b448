/** @wdecay/cli as a library: the command line, runnable in-process (tests, embedding). */
export type { CliContext, Write } from "./context.js";
export { EXIT, RuntimeError, UsageError } from "./errors.js";
export { createProgram, type MainOptions, main } from "./program.js";
