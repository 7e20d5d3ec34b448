/**
 * `wdecay predict`: predictions of a saved model (`wdecay fit --save`) for the rows of a CSV
 * file. The file must hold the model's feature columns (by name, in any order, other columns
 * ignored); when it also holds the model's target column, the mean ½ squared error is reported.
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
import { readTextFile } from "../io/files.js";
import { pathParser } from "../options.js";
import { finiteOrNull, formatLoss } from "../render/numbers.js";
import { table } from "../render/table.js";

/** How many predictions the human output lists (--json has them all). */
const SHOWN_ROWS = 20;

interface PredictFlags {
  readonly model: string;
  readonly data: string;
  readonly json?: boolean;
}

export function registerPredict(program: Command, ctx: CliContext): Command {
  return program
    .command("predict")
    .description(
      "Read a model file written by `wdecay fit --save` and predict the target for every row " +
        "of a CSV file, which must hold the model's feature columns (by name; other columns are " +
        "ignored). When the file also holds the target column, the mean ½ squared error is " +
        "printed too.",
    )
    .requiredOption(
      "--model <file>",
      "model file (from `wdecay fit --save`)",
      pathParser("--model"),
    )
    .requiredOption("--data <file>", "CSV file with a header row", pathParser("--data"))
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay fit --data train.csv --target price --lambda 0.1 --save model.json\n" +
        "  wdecay predict --model model.json --data new.csv\n" +
        "  wdecay predict --model model.json --data new.csv --json > predictions.json",
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
  // A ModelFileError names the file and the field at fault; main prints it as one line.
  const model = parseModel(await readTextFile(flags.model, "--model"), flags.model);
  const text = await readTextFile(flags.data, "--data");
  const { X, y, n, lineOf } = readColumns(text, flags.data, model.featureNames, model.target);
  const predictions = predict(model, X);
  let loss: number | undefined;
  if (y !== undefined) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += ((predictions[i] as number) - (y[i] as number)) ** 2;
    loss = sum / (2 * n);
  }

  if (flags.json) {
    const report = {
      model: flags.model,
      data: flags.data,
      target: model.target,
      n,
      predictions: Array.from(predictions, finiteOrNull),
      ...(loss !== undefined ? { loss: finiteOrNull(loss) } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Predicted ${JSON.stringify(model.target)} for ${n} rows of ${flags.data} with ${flags.model} ` +
      `(${model.penalty}, canonical λ ${model.lambda}, ${model.featureNames.length} features)`,
  );
  if (loss !== undefined) {
    out(
      `loss (mean ½ squared error against the file's ${JSON.stringify(model.target)}): ${formatLoss(loss)}`,
    );
  } else {
    out(`(no ${JSON.stringify(model.target)} column in the file, so no loss)`);
  }
  out();
  const shown = Math.min(n, SHOWN_ROWS);
  const rows = Array.from({ length: shown }, (_, i) => [
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
  if (shown < n) out(`… ${n - shown} more rows (--json for all)`);
}
