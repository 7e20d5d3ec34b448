/**
 * The `tabular` workload of `pnpm bench`: the toolkit commands on a table of real size,
 * 100,000 rows × 50 features, as scikit-learn and glmnet users run them. It writes the table as
 * a CSV (seeded; mixed feature scales and correlated columns, y from 10 of the features plus
 * noise), then times, in this process and on the numbers the CLI would see:
 * - `read`: parsing the CSV (`csvDataset`), which every command pays once;
 * - `fit`: `wdecay fit --lambda 1` (standardize on every row, ridge in closed form);
 * - `path`: `wdecay path` (the lasso at glmnet's 100 λ, covariance updates, strong rules);
 * - `path l2`: `wdecay path --penalty l2` (ridge at 100 λ from one eigendecomposition);
 * - `select --folds 5`: `wdecay select --folds 5` (ridge, glmnet's default 100-λ grid,
 *   standardized within each training part) and the same with `--penalty l1`;
 * and then each command once end to end through the real `wdecay` binary (from source, so
 * tsx's start is included), for what a user waits. Markdown on stdout, progress on stderr.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  csvDataset,
  fitStandardizer,
  Rng,
  regularizationPath,
  ridgeClosedForm,
  selectLambda,
  standardize,
} from "@wdecay/core";
import { summarize } from "./measure.js";

export const TABULAR = { rows: 100_000, features: 50, seed: 42, runs: 3 } as const;

/** The seeded table: x_j = s_j·(z_j + 0.5·z_{j−1}), y = 3 + Σ_{j<10} (j + 1)·x_j/s_j + N(0, 4²). */
export function tableCsv(rows: number, features: number, seed: number): string {
  const rng = new Rng(seed);
  const scales = Array.from({ length: features }, (_, j) => 10 ** ((j % 7) - 3));
  const header = [...Array.from({ length: features }, (_, j) => `x${j + 1}`), "y"].join(",");
  const out: string[] = [header];
  const z = new Float64Array(features);
  for (let i = 0; i < rows; i++) {
    rng.fillNormal(z);
    const row: string[] = [];
    let y = 3 + 4 * rng.normal();
    for (let j = 0; j < features; j++) {
      const v = (z[j] as number) + (j > 0 ? 0.5 * (z[j - 1] as number) : 0);
      if (j < 10) y += (j + 1) * v;
      row.push(String((scales[j] as number) * v));
    }
    row.push(String(y));
    out.push(row.join(","));
  }
  return `${out.join("\n")}\n`;
}

interface Row {
  readonly what: string;
  readonly command: string;
  readonly ms: number[];
  readonly note: string;
}

function timed<T>(runs: number, body: () => T): { ms: number[]; result: T } {
  const ms: number[] = [];
  let result: T | undefined;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    result = body();
    ms.push(performance.now() - start);
  }
  return { ms, result: result as T };
}

const ROOT = join(import.meta.dirname, "..", "..", "..");

/** Runs the workload; returns its markdown section. */
export function runTabular(
  progress: (line: string) => void,
  runs: number = TABULAR.runs,
  size: { readonly rows: number; readonly features: number } = TABULAR,
): string {
  const { rows, features } = size;
  const { seed } = TABULAR;
  const dir = mkdtempSync(join(tmpdir(), "wdecay-tabular-"));
  try {
    progress(`[tabular] writing ${rows} × ${features} CSV`);
    const file = join(dir, "table.csv");
    const text = tableCsv(rows, features, seed);
    writeFileSync(file, text);
    const table: Row[] = [];

    progress("[tabular] read");
    const read = timed(runs, () => csvDataset(text, { source: file, target: "y" }));
    const data = read.result.dataset;
    table.push({ what: "read", command: "csvDataset (every command)", ms: read.ms, note: "" });

    const s = fitStandardizer(data, { constant: "drop" });
    progress("[tabular] fit");
    const fit = timed(runs, () => ridgeClosedForm(standardize(data, s), 1));
    table.push({
      what: "fit",
      command: "wdecay fit --lambda 1",
      ms: fit.ms,
      note: "ridge, closed form, standardized",
    });

    progress("[tabular] path");
    const path = timed(runs, () => regularizationPath(standardize(data, s), { alpha: 1 }));
    const iters = path.result.iterations.reduce((a, v) => a + v, 0);
    table.push({
      what: "path",
      command: "wdecay path",
      ms: path.ms,
      note: `lasso, ${path.result.lambdas.length} λ, ${iters} CD passes in all, all converged: ${path.result.converged.every(Boolean)}`,
    });
    progress("[tabular] path l2");
    const ridgePath = timed(runs, () => regularizationPath(standardize(data, s), { alpha: 0 }));
    table.push({
      what: "path l2",
      command: "wdecay path --penalty l2",
      ms: ridgePath.ms,
      note: `ridge, ${ridgePath.result.lambdas.length} λ from one eigendecomposition`,
    });

    for (const penalty of ["l2", "l1"] as const) {
      progress(`[tabular] select --folds 5 (${penalty})`);
      const sel = timed(runs, () =>
        selectLambda(data, {
          penalty,
          method: { kind: "kfold", folds: 5 },
          seed: 42,
          standardize: true,
        }),
      );
      table.push({
        what: `select ${penalty}`,
        command: `wdecay select --folds 5${penalty === "l1" ? " --penalty l1" : ""}`,
        ms: sel.ms,
        note: `${sel.result.lambdas.length} λ × 5 folds + refit; λ_min ${sel.result.lambdaMin.toPrecision(4)}, λ₁ₛₑ ${sel.result.lambda1se.toPrecision(4)}`,
      });
    }

    // End to end, as a user waits: the binary from source (tsx's start included), once each.
    const cli = (args: string[]): number => {
      const start = performance.now();
      const r = spawnSync(
        process.execPath,
        [
          "--conditions=@wdecay/source",
          "--import",
          "tsx",
          join(ROOT, "apps/cli/src/bin.ts"),
          ...args,
        ],
        { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
      );
      if (r.status !== 0) throw new Error(`wdecay ${args.join(" ")}: ${String(r.stderr).trim()}`);
      return performance.now() - start;
    };
    const on = ["--data", file, "--target", "y", "--json"];
    progress("[tabular] end to end");
    const e2e = [["fit", "--lambda", "1"], ["path"], ["select", "--folds", "5"]].map((args) => ({
      command: `wdecay ${args.join(" ")}`,
      ms: cli([...args, ...on]),
    }));

    const fmt = (ms: number) =>
      ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
    const lines = [
      `### tabular: ${rows.toLocaleString("en")} rows × ${features} features (CSV, seed ${seed})`,
      "",
      `Compute in one process, median of ${runs} runs (range), on the parsed table:`,
      "",
      "| what | command | median | range | notes |",
      "|---|---|---:|---:|---|",
      ...table.map(
        (r) =>
          `| ${r.what} | \`${r.command}\` | ${fmt(summarize(r.ms).median)} | ${fmt(Math.min(...r.ms))}–${fmt(Math.max(...r.ms))} | ${r.note} |`,
      ),
      "",
      "End to end through the `wdecay` binary from source (Node start, tsx, reading the CSV and the compute), one run each:",
      "",
      "| command | wall clock |",
      "|---|---:|",
      ...e2e.map((e) => `| \`${e.command} --data table.csv --target y\` | ${fmt(e.ms)} |`),
    ];
    return lines.join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
