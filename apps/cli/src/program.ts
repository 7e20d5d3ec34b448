/**
 * The command line: commander's program with its commands, and `main`, which runs it and
 * turns every outcome into an exit status and at most one line on stderr.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { defaultRegistry, type Registry } from "@wdecay/core";
import { Command } from "commander";
import { COMMANDS } from "./commands/index.js";
import { type CliContext, println, readAll, type Write } from "./context.js";
import { EXIT, RuntimeError, reportError, UsageError } from "./errors.js";

/** The package's version; package.json sits one level above both src/ and dist/. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/**
 * The command a command line invokes, if any: the first word that is not an option (the
 * program's own options take no values), or the one after `help`.
 */
export function invokedCommand(args: readonly string[]): string | undefined {
  const end = args.indexOf("--");
  const words = (end === -1 ? args : args.slice(0, end)).filter((a) => !a.startsWith("-"));
  return words[0] === "help" ? words[1] : words[0];
}

/**
 * The program, writing through `ctx`, for the command line `args` (without node and script):
 * the invoked command is loaded with its options and action; the others are only listed (name
 * and summary), so a command never loads another's modules. Commander keeps state, so make one
 * per run.
 */
export async function createProgram(ctx: CliContext, args: readonly string[]): Promise<Command> {
  const program = new Command("wdecay")
    .description(
      "Weight decay (L2 regularization) as in D2L §4.5, on any registered compute backend.",
    )
    .version(version(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .option("--debug", "on an error, print its stack trace too")
    .option(
      "--threads <n>",
      "threads for the backends that compute on several (wasm), 1 to 8; default: the machine's cores (also $WDECAY_THREADS)",
    )
    .option(
      "--import <module>",
      "load a module first, one that registers a backend of your own (a path or a package; repeatable; also $WDECAY_IMPORT, comma-separated)",
    )
    // Commander's own errors (unknown option or command, missing argument) are thrown rather
    // than printed and exited on, so main reports them like ours: one line, exit status 2.
    .exitOverride()
    .configureOutput({
      writeOut: ctx.stdout,
      writeErr: ctx.stderr,
      outputError: () => {},
    })
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay demo                      the chapter's four runs, tables, charts and SVGs\n" +
        "  wdecay train --lambda 0 --json   one run, as JSON\n" +
        "  wdecay backends                  what can run here\n" +
        "\nBeyond the chapter:\n" +
        "  wdecay sweep --lambdas 0,1e-3:10:20 --plot sweep.svg\n" +
        "                                   loss and ‖w‖ against λ, the grid in one pass\n" +
        "  wdecay select --folds 5 --rule 1se\n" +
        "                                   choose λ by 5-fold cross-validation (exercise 2)\n" +
        "  wdecay train --penalty l1 --lambda 3\n" +
        "                                   the lasso by proximal SGD: exact zeros\n" +
        "  wdecay path --penalty l1         the lasso path from λ_max down\n" +
        "  wdecay fit --lambda 60 --lambda-convention sklearn-ridge --save model.json\n" +
        "                                   one model, λ as scikit-learn's Ridge means it\n" +
        "  wdecay predict --model model.json --data new.csv\n" +
        "  wdecay posterior --lambda 3          the prior λ = 3 stands for, posterior sd (ex. 6)\n" +
        "  wdecay train --outputs 3             three targets, Frobenius penalty (exercise 4)\n" +
        "\nChecking a backend:\n" +
        "  wdecay conformance               the conformance suite on every backend\n" +
        "  wdecay conformance --backend cpu-f32 --seed 7\n" +
        "                                   one backend, a fixed seed; a failure prints the\n" +
        "                                   command that replays it (--property, --replay)",
    );
  // Subcommands made by .command() inherit exitOverride and configureOutput set above.
  const invoked = invokedCommand(args);
  for (const entry of COMMANDS) {
    if (entry.name === invoked) {
      (await entry.load())(program, ctx).summary(entry.summary);
    } else {
      // Listed in help and known to commander (its "unknown command" and suggestions); never
      // run, since the invoked command is the one loaded above.
      program.command(entry.name).summary(entry.summary).usage("[options]");
    }
  }
  return program;
}

/** What main needs from its surroundings; each defaults to the real process's. */
export interface MainOptions {
  /**
   * How the user runs the command, for the commands it prints (default: `pnpm wdecay` when run
   * by the repository's script, else `wdecay`).
   */
  readonly invocation?: string;
  readonly stdout?: Write;
  readonly stderr?: Write;
  /** Whether stdout and stderr are terminals (progress bars only then). */
  readonly isTTY?: boolean;
  readonly registry?: Registry;
  readonly progressStream?: NodeJS.WritableStream;
  /** Standard input for `--data -` (process.stdin by default). */
  readonly readStdin?: () => Promise<Uint8Array>;
}

/**
 * Every value of `--name VALUE` (or `--name=VALUE`) before a `--`, taken out of the arguments;
 * `missing` is the error for a `--name` with no value after it.
 */
function takeOption(
  argv: readonly string[],
  name: string,
  missing: string,
): { args: string[]; values: string[] } {
  const flag = `--${name}`;
  const args: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    if (a === flag) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("-")) throw new UsageError(missing);
      values.push(value);
      i++;
    } else if (a.startsWith(`${flag}=`)) {
      values.push(a.slice(flag.length + 1));
    } else {
      args.push(a);
    }
  }
  return { args, values };
}

/**
 * `--import MODULE` (or `--import=MODULE`), anywhere before a `--`, and `$WDECAY_IMPORT`
 * (comma-separated): the modules to load before the command runs, taken out of the arguments.
 */
export function takeImports(argv: readonly string[]): { args: string[]; imports: string[] } {
  const fromEnv = (process.env.WDECAY_IMPORT ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  const { args, values } = takeOption(
    argv,
    "import",
    "--import needs a module: a file path or a package name",
  );
  return { args, imports: [...fromEnv, ...values] };
}

/** The most threads `--threads` takes (the wasm backend's limit). */
export const MAX_THREADS = 8;

/**
 * `--threads N` (or `--threads=N`), anywhere before a `--`, taken out of the arguments (the
 * last one counts): the count for backends that compute on several threads, which read it from
 * `$WDECAY_THREADS` when they start (so shard processes inherit it too).
 */
export function takeThreads(argv: readonly string[]): { args: string[]; threads?: number } {
  const { args, values } = takeOption(
    argv,
    "threads",
    `--threads needs a number of threads, 1 to ${MAX_THREADS}`,
  );
  const value = values.at(-1);
  if (value === undefined) return { args };
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_THREADS) {
    throw new UsageError(
      `--threads must be a whole number from 1 to ${MAX_THREADS}, got '${value}'`,
    );
  }
  return { args, threads: n };
}

/** A word a POSIX shell reads back as itself. */
function shellWord(text: string): string {
  return /^[\w./@:=+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * Loads one `--import` module: a path (resolved from the working directory) or a package name
 * (resolved as the working directory's project would). A default export that is a function is
 * called with the registry, to register backends there; a module may instead register them
 * itself with `registerBackend` from the same `@wdecay/core` the command uses.
 */
async function importModule(module: string, registry: Registry): Promise<void> {
  const cwd = process.cwd();
  let url: string;
  try {
    url =
      module.startsWith(".") || isAbsolute(module)
        ? pathToFileURL(resolve(cwd, module)).href
        : pathToFileURL(createRequire(join(cwd, "noop.js")).resolve(module)).href;
  } catch (error) {
    throw new UsageError(
      `--import ${module}: not found from ${cwd} (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`,
    );
  }
  let loaded: { default?: unknown };
  try {
    loaded = (await import(url)) as { default?: unknown };
  } catch (error) {
    throw new RuntimeError(
      `--import ${module}: it failed to load: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (typeof loaded.default === "function") await loaded.default(registry);
}

/** `--debug` anywhere before a `--`: known before parsing, so even parse errors honour it. */
function wantsDebug(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--debug");
}

/** The stack of an error and of its causes, for --debug. */
function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 5; ) {
    parts.push(e instanceof Error ? (e.stack ?? String(e)) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push("caused by:");
  }
  return parts.join("\n");
}

/**
 * Runs the command line `argv` (as process.argv: node, script, arguments…) and resolves to the
 * exit status: 0 success, 1 runtime failure, 2 usage error. Never throws.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stderr: Write = options.stderr ?? ((text) => process.stderr.write(text));
  let taken: { args: string[]; imports: string[] };
  try {
    const threads = takeThreads(argv.slice(2));
    taken = takeImports(threads.args);
    if (threads.threads !== undefined) process.env.WDECAY_THREADS = String(threads.threads);
  } catch (error) {
    const report = reportError(error);
    if (report.line !== undefined) println(stderr, report.line);
    return report.exitCode;
  }
  const { args, imports } = taken;
  const base =
    options.invocation ?? (process.env.npm_lifecycle_event === "wdecay" ? "pnpm wdecay" : "wdecay");
  const ctx: CliContext = {
    invocation: [base, ...imports.map((m) => `--import ${shellWord(m)}`)].join(" "),
    stdout: options.stdout ?? ((text) => process.stdout.write(text)),
    stderr,
    isTTY: options.isTTY ?? Boolean(process.stdout.isTTY && process.stderr.isTTY),
    registry: options.registry ?? defaultRegistry,
    ...(options.progressStream ? { progressStream: options.progressStream } : {}),
    readStdin: options.readStdin ?? (() => readAll(process.stdin)),
  };
  try {
    for (const module of imports) await importModule(module, ctx.registry);
    const program = await createProgram(ctx, args);
    await program.parseAsync([...argv.slice(0, 2), ...args], { from: "node" });
    return EXIT.ok;
  } catch (error) {
    const report = reportError(error);
    if (report.line !== undefined) println(ctx.stderr, report.line);
    if (report.exitCode !== EXIT.ok && wantsDebug(argv.slice(2))) {
      println(ctx.stderr, stackOf(error));
    }
    return report.exitCode;
  }
}
