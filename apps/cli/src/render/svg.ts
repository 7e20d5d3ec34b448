/**
 * Loss curves as an SVG file, like the chapter's figures: x = epoch, y = loss on a log scale,
 * one line each for train and test. The chart is a Vega-Lite spec, compiled to Vega and rendered
 * headless by Vega's own SVG renderer: no DOM, no browser, and no SVG written by hand.
 */
import type { HistoryPoint } from "@wdecay/core";
import type { TopLevelSpec } from "vega-lite";

/** One row of the chart's data: the loss of one set at one epoch. */
interface Row {
  readonly epoch: number;
  readonly loss: number;
  readonly set: "train" | "test";
}

/** The rows a log scale can show: a diverged run's NaN, Infinity (or a loss of 0) are left out. */
function rows(history: readonly HistoryPoint[]): Row[] {
  const out: Row[] = [];
  for (const p of history) {
    for (const [set, loss] of [
      ["train", p.trainLoss],
      ["test", p.testLoss],
    ] as const) {
      if (Number.isFinite(loss) && loss > 0) out.push({ epoch: p.epoch, loss, set });
    }
  }
  return out;
}

/** The Vega-Lite spec of a loss chart (exported so its shape can be checked without rendering). */
export function lossChartSpec(title: string, history: readonly HistoryPoint[]): TopLevelSpec {
  const values = rows(history);
  const last = history[history.length - 1]?.epoch ?? 1;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: values.length > 0 ? title : `${title} (diverged: no finite losses)`,
    width: 480,
    height: 300,
    background: "white",
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "epoch",
        type: "quantitative",
        title: "epoch",
        // Like the chapter's figures (xlim=[5, num_epochs]), the axis spans the evaluations.
        scale: { domain: [history[0]?.epoch ?? 0, last], nice: false },
      },
      y: {
        field: "loss",
        type: "quantitative",
        title: "loss (log scale)",
        scale: { type: "log" },
        axis: { format: ".0e" },
      },
      color: {
        field: "set",
        type: "nominal",
        title: null,
        scale: { domain: ["train", "test"] },
        legend: { orient: "top-right" },
      },
    },
  };
}

/** Renders the loss chart to an SVG document. */
export async function lossChartSvg(
  title: string,
  history: readonly HistoryPoint[],
): Promise<string> {
  // Loaded on first use: together they take a noticeable time to import, which commands that
  // draw nothing (`backends`, a usage error) should not pay.
  const [{ compile }, { parse, View }] = await Promise.all([import("vega-lite"), import("vega")]);
  const view = new View(parse(compile(lossChartSpec(title, history)).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
