/**
 * The performance page: BENCH.md's medians per backend and workload as one chart, the ratios
 * that decide which backend to pick, and the whole file (every table and note) on request.
 * The figures are read from BENCH.md when the site is built (bench-figures.ts).
 */

import { figures } from "virtual:wdecay/bench";
import { BarController, BarElement, CategoryScale, Chart } from "chart.js";
import bench from "../../../../BENCH.md?raw";
import { COLORS, logTick } from "../charts.js";
import { renderMarkdown } from "../markdown.js";
import { h } from "../ui.js";

// The site's other charts are lines; this one needs bars and a category axis.
Chart.register(BarController, BarElement, CategoryScale);

const root = document.getElementById("bench") as HTMLElement;

/** The contenders charted, with their colours; the hand-written loop is the yardstick. */
const BARS: readonly { name: string; label: string; color: string }[] = [
  { name: "wasm", label: "wasm (float32)", color: COLORS.norm },
  { name: "cpu", label: "cpu (float64)", color: COLORS.train },
  { name: "cpu-f32", label: "cpu-f32", color: COLORS.sky },
  { name: "webgpu", label: "webgpu (software adapter)", color: COLORS.test },
  { name: "hand-written", label: "hand-written float64 loop", color: COLORS.grey },
];

/** A ratio as a reader says it: 5.7×, 13×, 2,658×. */
function times(ratio: number): string {
  return ratio < 10 ? `${ratio.toFixed(1)}×` : `${Math.round(ratio).toLocaleString("en-US")}×`;
}

/** The smallest and largest of `a / b` over the workloads, with the workloads they occur on. */
function ratioRange(a: string, b: string) {
  const ratios = figures.workloads.map((w) => ({
    id: w.id,
    ratio: (w.medians[a] as number) / (w.medians[b] as number),
  }));
  ratios.sort((x, y) => x.ratio - y.ratio);
  return { low: ratios[0] as (typeof ratios)[0], high: ratios.at(-1) as (typeof ratios)[0] };
}

const canvas = h("canvas", {
  role: "img",
  "aria-label": "Median time of one run per workload and backend, from BENCH.md, log scale",
});
const figure = h(
  "figure",
  { class: "chart", "data-testid": "bench-chart" },
  // Four workloads of five bars each need more height than a line chart.
  h("div", { class: "chart-box", style: "height: 440px" }, canvas),
  h(
    "figcaption",
    {},
    `Median time of one run, in ms on a log scale (shorter is faster), per workload and backend: BENCH.md's run of ${figures.date.slice(0, 10)} on ${figures.cpu.replace(/\s*\(.*\)$/, "")}, in Node.js. The grey bar is the hand-written float64 loop every result is checked against; grid64's is 64 separate runs of it.`,
  ),
);
// What the chart shows, for the tests: contender → workload → median ms.
figure.dataset.medians = JSON.stringify(
  Object.fromEntries(
    BARS.map((b) => [
      b.name,
      Object.fromEntries(figures.workloads.map((w) => [w.id, w.medians[b.name]])),
    ]),
  ),
);
root.replaceChildren(figure);

const all = figures.workloads.flatMap((w) =>
  BARS.map((b) => w.medians[b.name]).filter((v): v is number => v !== undefined),
);
new Chart(canvas, {
  type: "bar",
  data: {
    // Two lines per workload (its name, then its size) leave a phone's width to the bars.
    labels: figures.workloads.map((w) => [w.id, w.label]),
    datasets: BARS.map((b) => ({
      label: b.label,
      data: figures.workloads.map((w) => w.medians[b.name] ?? null),
      backgroundColor: b.color,
      borderColor: b.color,
    })),
  },
  options: {
    indexAxis: "y",
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales: {
      x: {
        type: "logarithmic",
        // Whole decades, so that no bar ends at the chart's edge.
        min: 10 ** Math.floor(Math.log10(Math.min(...all))),
        max: 10 ** Math.ceil(Math.log10(Math.max(...all))),
        title: { display: true, text: "median time of one run (ms, log scale)" },
        ticks: {
          callback: (value: number | string) => logTick(Number(value), 4),
        },
      },
      y: { ticks: { autoSkip: false } },
    },
    plugins: {
      legend: { position: "bottom", labels: { boxWidth: 14 } },
      tooltip: {
        callbacks: {
          label: (item) => `${item.dataset.label}: ${Number(item.raw).toLocaleString("en-US")} ms`,
        },
      },
    },
  },
});

function say(testid: string, text: string): HTMLElement {
  const el = document.querySelector(`[data-testid="${testid}"]`) as HTMLElement;
  el.textContent = text;
  return el;
}

const fastest = figures.workloads.filter((w) =>
  figures.backends.every((b) => (w.medians.wasm as number) <= (w.medians[b] as number)),
);
const cpu = ratioRange("cpu", "wasm");
say(
  "wasm-vs-cpu",
  `${fastest.length === figures.workloads.length ? "the fastest backend on every workload" : `the fastest backend on ${fastest.map((w) => w.id).join(", ") || "none of the workloads"}`}, ${times(cpu.low.ratio)} (${cpu.low.id}) to ${times(cpu.high.ratio)} (${cpu.high.id}) faster than cpu.`,
);
const f32 = ratioRange("cpu-f32", "cpu");
say(
  "f32-vs-cpu",
  `it took ${f32.low.ratio.toFixed(2)}× (${f32.low.id}) to ${f32.high.ratio.toFixed(2)}× (${f32.high.id}) the time of cpu`,
);
const gpu = ratioRange("webgpu", "wasm");
const gpuText = say(
  "webgpu-vs-wasm",
  `On the benchmark machine, which has no GPU, webgpu ran on a software adapter (SwiftShader) and was ${times(gpu.low.ratio)} (${gpu.low.id}) to ${times(gpu.high.ratio)} (${gpu.high.id}) slower than wasm.`,
);
gpuText.dataset.low = String(gpu.low.ratio);
gpuText.dataset.high = String(gpu.high.ratio);

// The whole file, rendered when the reader opens it (its document title is the page's).
const notes = document.querySelector('[data-testid="bench-notes"]') as HTMLDetailsElement;
const notesBody = document.querySelector('[data-testid="bench-notes-body"]') as HTMLElement;
notes.addEventListener("toggle", () => {
  if (notes.open && notesBody.childElementCount === 0) {
    notesBody.innerHTML = renderMarkdown(bench.replace(/^# .*\n/, ""), 1);
  }
});
root.dataset.state = "done";
