#!/usr/bin/env node
/**
 * The `wdecay` executable. Registering backends is this file's job, not the library's: an
 * embedder chooses its own, the command ships with all of them. Without --backend the registry
 * tries webgpu (a GPU adapter; the software one only when asked), then wasm, then cpu.
 */
import "@wdecay/backend-cpu/register";
import "@wdecay/backend-wasm/register";
import "@wdecay/backend-webgpu/register";
import { main } from "./program.js";

// When the reader of stdout goes away (`wdecay demo | head`), stop quietly as other Unix tools
// do, rather than dying on an unhandled EPIPE with a stack trace; any other stdout failure is a
// one-line runtime error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE")
    process.stderr.write(`wdecay: cannot write to stdout: ${error.message}\n`);
  process.exit(error.code === "EPIPE" ? 0 : 1);
});

// exitCode rather than process.exit(), so that piped stdout is flushed before the process ends.
process.exitCode = await main(process.argv);
