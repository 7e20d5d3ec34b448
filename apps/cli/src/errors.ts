/**
 * The two kinds of failure the command reports, and how each becomes an exit status and one
 * line on stderr. A usage error is the caller's to fix (a bad flag); a runtime error is the
 * world's (a backend that cannot start, a directory that cannot be written).
 */
import { CommanderError } from "commander";

/** Exit statuses: 0 success, 1 runtime failure, 2 usage error (the POSIX utilities' habit). */
export const EXIT = { ok: 0, runtime: 1, usage: 2 } as const;

/** A mistake in how the command was called; exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Something failed while doing what was asked; exits 1. Its message is shown as is. */
export class RuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/** Commander's codes for a run that ended well: `--help`, `help CMD` and `--version`. */
const COMMANDER_SUCCESS = new Set(["commander.helpDisplayed", "commander.version"]);

/** What main prints and returns for an error. */
export interface ErrorReport {
  readonly exitCode: number;
  /** One line without the trailing newline, or undefined when commander already printed. */
  readonly line?: string;
}

/** Squeezes a message onto one line: commander appends "(Did you mean …?)" on a new line. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

/** Maps any thrown value to an exit status and the one line to print. */
export function reportError(error: unknown): ErrorReport {
  if (error instanceof CommanderError) {
    if (COMMANDER_SUCCESS.has(error.code)) return { exitCode: EXIT.ok };
    // No command given: commander has already printed the help on stderr.
    if (error.code === "commander.help") return { exitCode: EXIT.usage };
    // Commander's messages start "error: "; ours start "wdecay: " instead.
    return {
      exitCode: EXIT.usage,
      line: `wdecay: ${oneLine(error.message.replace(/^error: /, ""))}`,
    };
  }
  if (error instanceof UsageError)
    return { exitCode: EXIT.usage, line: `wdecay: ${oneLine(error.message)}` };
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.runtime, line: `wdecay: ${oneLine(message) || "unknown error"}` };
}
