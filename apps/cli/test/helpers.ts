/** Runs the command in-process with captured output and an isolated registry. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { createRegistry, type Registry } from "@wdecay/core";
import { main } from "../src/index.js";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A registry holding what `@wdecay/backend-cpu/register` registers, and nothing shared. */
export function cpuRegistry(): Registry {
  const registry = createRegistry();
  registry.register("cpu", () => createCpuBackend({ precision: "float64" }), 10);
  registry.register("cpu-f32", () => createCpuBackend({ precision: "float32" }), 9);
  return registry;
}

export async function run(
  args: readonly string[],
  options: { registry?: Registry; isTTY?: boolean; progressStream?: NodeJS.WritableStream } = {},
): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "wdecay", ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    isTTY: options.isTTY ?? false,
    registry: options.registry ?? cpuRegistry(),
    ...(options.progressStream ? { progressStream: options.progressStream } : {}),
  });
  return { code, stdout, stderr };
}

/** A fresh temporary directory. */
export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "wdecay-cli-test-"));
}

/** The lines of a text, without the final newline's empty string. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line, i, all) => !(i === all.length - 1 && line === ""));
}

/** A stack frame as V8 prints it. */
export const STACK_FRAME = /^\s+at /m;
