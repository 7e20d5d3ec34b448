/**
 * Everything a command touches outside itself, passed in rather than taken from `process` so
 * that tests can run the whole command in-process with captured output and their own backends.
 */
import type { Registry } from "@wdecay/core";

/** Writes text as is (no newline added). */
export type Write = (text: string) => void;

export interface CliContext {
  readonly stdout: Write;
  readonly stderr: Write;
  /** Whether stdout and stderr are both terminals: only then is a progress bar drawn. */
  readonly isTTY: boolean;
  /** Where the backends come from (core's defaultRegistry in the real command). */
  readonly registry: Registry;
  /** The terminal the progress bar redraws (process.stderr by default); used only when isTTY. */
  readonly progressStream?: NodeJS.WritableStream;
  /**
   * How the user ran this command line, for the commands it prints to rerun something: `wdecay`,
   * or `pnpm wdecay` from the repository, with the `--import` modules it loaded.
   */
  readonly invocation: string;
}

/** Writes one line. */
export function println(write: Write, line = ""): void {
  write(`${line}\n`);
}
