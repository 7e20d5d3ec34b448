/**
 * `wdecay predict`: predictions of a saved model (`wdecay fit --save`) for every row of a CSV
 * file or of standard input (`--data -`). The input must hold the model's feature columns (by
 * name, in any order, other columns ignored); when it also holds the model's target column, the
 * mean squared error and R² are reported. `--out FILE.csv` writes the predictions as CSV.
 */
import {
  DataFileError,
  parseCsv,
  parseCsvNumber,
  parseModel,
  predict,
  quoteForMessage,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { decodeUtf8, readTextFile, writeFileAtomic } from "../io/files.js";
import { fail, pathParser } from "../options.js";
import { probeWritableFile } from "../output-files.js";
import { finiteOrNull, formatLoss } from "../render/numbers.js";
import { table } from "../render/table.js";

/** The name errors give standard input, as a file name in file:line:column. */
const STDIN = "<stdin>";

interface PredictFlags {
  readonly model: string;
  readonly data: string;
  readonly out?: string;
  readonly json?: boolean;
}

/** A parser of --out: a path ending in .csv (predictions are written as CSV). */
function csvPath(value: string): string {
  if (!/\.csv$/i.test(value)) fail("--out", "a path ending in .csv (predictions are CSV)", value);
  return value;
}

export function registerPredict(program: Command, ctx: CliContext): Command {
  return program
    .command("predict")
    .description(
      "Read a model file written by `wdecay fit --save` and predict the target for every row " +
        "of a CSV file (or of standard input, --data -), which must hold the model's feature " +
        "columns (by name; other columns are ignored). When it also holds the target column, " +
        "the mean squared error and R² are printed too. Every row is listed, or written as CSV " +
        "with --out.",
    )
    .requiredOption(
      "--model <file>",
      "model file (from `wdecay fit --save`)",
      pathParser("--model"),
    )
    .requiredOption(
      "--data <file>",
      "CSV file with a header row, or - for standard input",
      pathParser("--data"),
    )
    .option(
      "--out <file.csv>",
      "write the predictions as CSV (line, prediction, and the target when the input has it)",
      csvPath,
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay fit --data train.csv --target price --lambda 0.1 --save model.json\n" +
        "  wdecay predict --model model.json --data new.csv\n" +
        "  wdecay predict --model model.json --data new.csv --json > predictions.json\n" +
        "  wdecay predict --model model.json --data new.csv --out predictions.csv\n" +
        "  cat new.csv | wdecay predict --model model.json --data -",
    )
    .action((flags: PredictFlags) => runPredict(flags, ctx));
}

/**
 * The named columns of a CSV file as numbers, row-major, with core's errors: a missing column
 * or a bad cell is a {@link DataFileError} at file:line:column.
 */
function readColumns(text: string, source: string, names: readonly string[], target?: string) {
  const table = parseCsv(text, { source });
  const { header, rows, headerLine } = table;
  const index = new Map(header.map((name, i) => [name, i]));
  const columns = names.map((name) => {
    const at = index.get(name);
    if (at === undefined) {
      throw new DataFileError(
        source,
        headerLine,
        1,
        `no column ${quoteForMessage(name)}, a feature of the model; the columns are ${header
          .map((h) => quoteForMessage(h))
          .join(", ")}`,
      );
    }
    return at;
  });
  const targetAt = target === undefined ? undefined : index.get(target);
  const n = rows.length;
  const d = names.length;
  const X = new Float64Array(n * d);
  const y = targetAt === undefined ? undefined : new Float64Array(n);
  // Core's rule for numbers in data files, so predict and fit accept and reject the same cells.
  const cell = (r: number, c: number): number => {
    const value = parseCsvNumber((rows[r] as string[])[c] as string);
    if (typeof value === "string") {
      throw new DataFileError(source, table.lineOf(r, c), c + 1, value, header[c]);
    }
    return value;
  };
  // Used fields from the left, row by row, so the error is the first bad cell a reader meets.
  const used = [
    ...columns.map((c, j) => ({ c, j })),
    ...(targetAt === undefined ? [] : [{ c: targetAt, j: -1 }]),
  ].sort((p, q) => p.c - q.c);
  for (let r = 0; r < n; r++) {
    for (const { c, j } of used) {
      const value = cell(r, c);
      if (j === -1) (y as Float64Array)[r] = value;
      else X[r * d + j] = value;
    }
  }
  return { X, y, n, lineOf: (r: number) => table.lineOf(r) };
}

async function runPredict(flags: PredictFlags, ctx: CliContext): Promise<void> {
  if (flags.out !== undefined) await probeWritableFile(flags.out, "--out");
  // A ModelFileError names the file and the field at fault; main prints it as one line.
  const model = parseModel(await readTextFile(flags.model, "--model"), flags.model);
  const fromStdin = flags.data === "-";
  const source = fromStdin ? STDIN : flags.data;
  const text = fromStdin
    ? decodeUtf8(await ctx.readStdin(), "--data - (standard input)")
    : await readTextFile(flags.data, "--data");
  const { X, y, n, lineOf } = readColumns(text, source, model.featureNames, model.target);
  const predictions = predict(model, X);
  let mse: number | undefined;
  let r2: number | undefined;
  if (y !== undefined && n > 0) {
    let sse = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (y[i] as number) / n;
    let sst = 0;
    for (let i = 0; i < n; i++) {
      sse += ((predictions[i] as number) - (y[i] as number)) ** 2;
      sst += ((y[i] as number) - mean) ** 2;
    }
    mse = sse / n;
    r2 = sst > 0 ? 1 - sse / sst : Number.NaN;
  }
  const cell = (x: number) => (Number.isFinite(x) ? String(x) : "");
  if (flags.out !== undefined) {
    const header = ["line", "prediction", ...(y ? [model.target] : [])].map(csvField).join(",");
    const lines = Array.from({ length: n }, (_, i) =>
      [
        String(lineOf(i)),
        cell(predictions[i] as number),
        ...(y ? [cell(y[i] as number)] : []),
      ].join(","),
    );
    await writeFileAtomic(flags.out, `${[header, ...lines].join("\n")}\n`, "--out");
  }

  if (flags.json) {
    const report = {
      model: flags.model,
      data: flags.data,
      target: model.target,
      n,
      predictions: Array.from(predictions, finiteOrNull),
      ...(mse !== undefined
        ? { mse: finiteOrNull(mse), r2: finiteOrNull(r2 as number), loss: finiteOrNull(mse / 2) }
        : {}),
      ...(flags.out !== undefined ? { out: flags.out } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Predicted ${JSON.stringify(model.target)} for ${n} rows of ${fromStdin ? "standard input" : flags.data} with ${flags.model} ` +
      `(${model.penalty}, canonical λ ${model.lambda}, ${model.featureNames.length} features)`,
  );
  if (mse !== undefined) {
    out(
      `against the input's ${JSON.stringify(model.target)}: MSE ${formatLoss(mse)}, R² ` +
        `${Number.isFinite(r2) ? (r2 as number).toFixed(4) : "undefined (constant target)"}, ` +
        `loss mean ½(ŷ − y)² ${formatLoss(mse / 2)}`,
    );
  } else {
    out(`(no ${JSON.stringify(model.target)} column in the input, so no error)`);
  }
  if (flags.out !== undefined) {
    out(`${n} predictions written to ${flags.out}`);
    return;
  }
  out();
  const rows = Array.from({ length: n }, (_, i) => [
    String(lineOf(i)),
    Number((predictions[i] as number).toPrecision(6)).toString(),
    ...(y ? [Number((y[i] as number).toPrecision(6)).toString()] : []),
  ]);
  for (const line of table(
    [
      { header: "line", align: "right" },
      { header: "prediction", align: "right" },
      ...(y ? [{ header: "actual", align: "right" as const }] : []),
    ],
    rows,
  )) {
    out(line);
  }
}

/** A CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
