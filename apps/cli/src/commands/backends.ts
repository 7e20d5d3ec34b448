/**
 * `wdecay backends`: every registered backend, started once to learn whether it works here,
 * with its precision and priority, or the reason it cannot start.
 */
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { table } from "../render/table.js";

interface BackendsFlags {
  readonly json?: boolean;
}

export function registerBackends(program: Command, ctx: CliContext): Command {
  return program
    .command("backends")
    .description(
      "List the registered backends: whether each is available here (and why not), its " +
        "precision, its priority and the threads it computes on (with the reason where it " +
        "uses one on a machine with more). Without --backend, commands use the available one " +
        "of highest priority.",
    )
    .option("--json", "print one JSON object on stdout instead of the table")
    .action((flags: BackendsFlags) => runBackends(flags, ctx));
}

async function runBackends(flags: BackendsFlags, ctx: CliContext): Promise<void> {
  const listing = await ctx.registry.list();
  if (flags.json) {
    const backends = listing.map((b) => ({
      name: b.name,
      available: b.available,
      precision: b.precision ?? null,
      priority: b.priority,
      reason: b.reason ?? null,
      threads: b.available ? (b.threads ?? 1) : null,
      threadsNote: b.threadsNote ?? null,
    }));
    println(ctx.stdout, JSON.stringify({ backends }));
    return;
  }
  if (listing.length === 0) {
    println(ctx.stdout, "no backend is registered");
    return;
  }
  // list() is in priority order, so the default is the first available one.
  const chosen = listing.find((b) => b.available)?.name;
  const rows = listing.map((b) => [
    b.name === chosen ? `${b.name} (default)` : b.name,
    b.available ? "yes" : "no",
    b.precision ?? "-",
    String(b.priority),
    b.available ? String(b.threads ?? 1) : "-",
    b.reason ?? (b.threadsNote !== undefined ? `one thread: ${b.threadsNote}` : ""),
  ]);
  const lines = table(
    [
      { header: "backend" },
      { header: "available" },
      { header: "precision" },
      { header: "priority", align: "right" },
      { header: "threads", align: "right" },
      { header: "reason" },
    ],
    rows,
  );
  for (const line of lines) println(ctx.stdout, line);
}
