/** Runs the command in-process with captured output and an isolated registry. */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { createRegistry, type Registry } from "@wdecay/core";
import { expect } from "vitest";
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
  options: {
    registry?: Registry;
    isTTY?: boolean;
    progressStream?: NodeJS.WritableStream;
    /** What standard input holds, for `--data -`. */
    stdin?: string;
  } = {},
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
    invocation: "wdecay",
    registry: options.registry ?? cpuRegistry(),
    ...(options.progressStream ? { progressStream: options.progressStream } : {}),
    readStdin: async () => new TextEncoder().encode(options.stdin ?? ""),
  });
  return { code, stdout, stderr };
}

const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));

/**
 * The real executable, spawned from source as `pnpm wdecay` runs it (Node with tsx's loader),
 * with `env` added to this process's and `nodeArgs` before the script.
 */
export function spawnWdecay(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; timeoutMs?: number } = {},
): Promise<RunResult> {
  const node = ["--conditions=@wdecay/source", "--import", "tsx", ...(options.nodeArgs ?? [])];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...node, "src/bin.ts", ...args],
      // Generous: a cold start on a loaded 2-core machine takes seconds; the limit only stops
      // a hung child, it measures nothing.
      {
        cwd: CLI_DIR,
        timeout: options.timeoutMs ?? 90_000,
        env: { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
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

/**
 * Asserts the CLI's contract for a failure: exit `code`, nothing on stdout, exactly one line on
 * stderr and no stack. Each of `expected` is a text stderr contains or a pattern it matches.
 */
export function expectOneLineError(
  result: RunResult,
  code: number,
  ...expected: readonly (string | RegExp)[]
): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  expect(lines(result.stderr)).toHaveLength(1);
  for (const e of expected) {
    if (typeof e === "string") expect(result.stderr).toContain(e);
    else expect(result.stderr).toMatch(e);
  }
  expect(result.stderr).not.toMatch(STACK_FRAME);
}

/** A usage error: exit 2, one `wdecay: ` line naming every flag in `flags`, no stack. */
export function expectUsageError(result: RunResult, ...flags: readonly string[]): void {
  expectOneLineError(result, 2, /^wdecay: /, ...flags);
}

/**
 * Runs `wdecay <command> --json ...args`, asserts a clean exit with one line on stdout and
 * returns that line parsed: what every command's --json promises.
 */
export async function runJson(
  command: string,
  args: readonly string[],
): // JSON.parse's own result type, so each test reads the fields it expects as before.
Promise<ReturnType<typeof JSON.parse>> {
  const { code, stdout, stderr } = await run([command, "--json", ...args]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(lines(stdout)).toHaveLength(1);
  return JSON.parse(stdout);
}

/**
 * Runs `wdecay <command> --help` and asserts what every command's help holds (exit 0, nothing on
 * stderr, its usage line and --json); returns the help with runs of whitespace made one space,
 * so that assertions do not depend on where commander wraps the lines.
 */
export async function commandHelp(command: string): Promise<string> {
  const { code, stdout, stderr } = await run([command, "--help"]);
  expect(code).toBe(0);
  expect(stderr).toBe("");
  expect(stdout).toContain(`Usage: wdecay ${command}`);
  expect(stdout).toContain("--json");
  return stdout.replace(/\s+/g, " ");
}

/** Why the simulated GPU of {@link registryWithBrokenGpu} cannot start. */
export const BROKEN_GPU_REASON = "no GPU adapter found (simulated)";

/** The cpu backends plus a "gpu", preferred over them, whose start fails. */
export function registryWithBrokenGpu(): Registry {
  const registry = cpuRegistry();
  registry.register(
    "gpu",
    () => {
      throw new Error(BROKEN_GPU_REASON);
    },
    100,
  );
  return registry;
}
