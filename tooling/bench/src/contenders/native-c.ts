/**
 * The native yardstick: native/sgd.c, the chapter's SGD as a float32 C loop on one thread,
 * compiled here with the machine's C compiler (`CC`, else `cc`, `gcc` or `clang`) at
 * -O3 -march=native -ffast-math. It runs in a child process that loads the workload once and
 * trains on request, timing itself (the pipe round trip is not the work). Without a C compiler
 * the contender is left out, and the bench says so.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PreparedWorkload } from "../workloads.js";
import type { Contender, Trial, TrialResult } from "./index.js";

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "native", "sgd.c");
/** The flags of the measurement: what `gcc -O3` makes of this loop on this machine. */
export const NATIVE_FLAGS = ["-O3", "-march=native", "-ffast-math"];

let found: { path: string; version: string } | undefined | null = null;

/** The first C compiler that answers `--version`, with its first line; undefined if none. */
function findCompiler(): { path: string; version: string } | undefined {
  if (found === null) found = probeCompilers();
  return found;
}

function probeCompilers(): { path: string; version: string } | undefined {
  const candidates = [process.env.CC, "cc", "gcc", "clang"].filter(
    (c): c is string => typeof c === "string" && c !== "",
  );
  for (const path of candidates) {
    try {
      const out = execFileSync(path, ["--version"], { encoding: "utf8", stdio: "pipe" });
      return { path, version: out.split("\n")[0]?.trim() ?? path };
    } catch {
      // Not installed or not a compiler: try the next.
    }
  }
  return undefined;
}

/** Compiles native/sgd.c once per source, compiler and flags (cached in the OS temp folder). */
function build(compiler: { path: string; version: string }): string {
  const source = readFileSync(SOURCE);
  const key = createHash("sha256")
    .update(source)
    .update(compiler.version)
    .update(NATIVE_FLAGS.join(" "))
    .digest("hex")
    .slice(0, 16);
  const dir = join(tmpdir(), `wdecay-bench-native-${key}`);
  const binary = join(dir, "sgd");
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const staging = `${binary}.${process.pid}`;
    execFileSync(compiler.path, [...NATIVE_FLAGS, "-o", staging, SOURCE, "-lm"], {
      stdio: "inherit",
    });
    // Renamed into place whole, so a concurrent bench never runs a half-written binary.
    renameSync(staging, binary);
  }
  return binary;
}

/** The workload in sgd.c's DATA_FILE layout (see its header). */
function dataFile(work: PreparedWorkload, path: string): void {
  const { workload, data, init, orders } = work;
  const lambdas =
    workload.lambdas && workload.mode === "grid" ? workload.lambdas : [workload.lambda];
  const { train: tr, test: te } = data;
  const d = workload.dims;
  const parts: Uint8Array[] = [];
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  parts.push(
    bytes(
      Int32Array.from([
        workload.mode === "steps" ? 1 : 0,
        tr.n,
        te.n,
        d,
        workload.epochs,
        workload.batchSize,
        workload.evalEvery,
        lambdas.length,
      ]),
    ),
    bytes(Float64Array.from([workload.lr, ...lambdas])),
    bytes(Float32Array.from(tr.X)),
    bytes(Float32Array.from(tr.y)),
    bytes(Float32Array.from(te.X)),
    bytes(Float32Array.from(te.y)),
    bytes(Float32Array.from(init)),
  );
  for (const order of orders) parts.push(bytes(Int32Array.from(order)));
  writeFileSync(path, Buffer.concat(parts));
}

function trial(binary: string, work: PreparedWorkload): Trial {
  const dir = dirname(binary);
  const file = join(dir, `${work.workload.name}-${process.pid}.bin`);
  dataFile(work, file);
  const child = spawn(binary, [file], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(line));
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `native-c exited (${signal ?? code})`;
    for (const w of waiting.splice(0)) w("");
  });
  return {
    run: () =>
      new Promise<TrialResult>((resolve, reject) => {
        if (exited) return reject(new Error(exited));
        waiting.push((line) => {
          const [ms, norm] = line.trim().split(" ").map(Number);
          if (ms === undefined || norm === undefined || !Number.isFinite(ms)) {
            reject(new Error(exited ?? `native-c answered "${line}"`));
          } else {
            resolve({ l2Norm: norm, ownMs: ms });
          }
        });
        child.stdin.write("run\n");
      }),
    dispose: () => {
      child.stdin.end("quit\n");
      rmSync(file, { force: true });
    },
  };
}

/** The contender, or undefined (with the reason on stderr) where no C compiler is found. */
export async function nativeC(): Promise<Contender | undefined> {
  const compiler = findCompiler();
  if (!compiler) {
    process.stderr.write("bench: no C compiler (CC, cc, gcc, clang): native-c left out\n");
    return undefined;
  }
  const binary = build(compiler);
  return {
    name: "native-c",
    group: "baseline",
    precision: "float32",
    prepare: async (work) => (work.workload.mode === "matmul" ? undefined : trial(binary, work)),
    close: async () => {},
  };
}

/** The compiler line for the report's machine table, or undefined. */
export function nativeCompiler(): string | undefined {
  const c = findCompiler();
  return c ? `${c.version} (${NATIVE_FLAGS.join(" ")})` : undefined;
}
