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
  /** All of standard input as bytes (for `--data -`); process.stdin by default. */
  readonly readStdin: () => Promise<Uint8Array>;
}

/** Reads a stream to its end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Writes one line. */
export function println(write: Write, line = ""): void {
  write(`${line}\n`);
}
