/** Runs the conformance suite in the browser on every available backend and shows the report. */
import type { BackendReport, PropertyResult } from "@wdecay/conformance";
import { mathText, sci } from "../notation.js";
import { addControl, mountPanel } from "../panel.js";
import { h, numberControl, required, selectControl } from "../ui.js";

const root = document.getElementById("conformance") as HTMLElement;
const numRuns = selectControl({
  label: "Runs",
  name: "runs",
  options: [1, 3, 5, 10, 25].map((n) => [String(n), `${n} runs per property`] as const),
  value: "5",
});
const seed = numberControl({
  label: "fast-check seed",
  name: "seed",
  min: 0,
  value: 1,
  integer: true,
  hint: "the same seed replays the same inputs",
});
const summary = h("div", { class: "table-wrap", "data-testid": "conformance-summary" });
const details = h("div", { "data-testid": "conformance-details" });

/** A property's result as the CLI's table words it: pass, skip (why), xfail (why) or FAIL. */
function resultText(p: PropertyResult): string {
  const replay = p.replay ? ` (replay: seed ${p.replay.seed}, path ${p.replay.path})` : "";
  switch (p.status) {
    case "passed":
      return "pass";
    case "skipped":
      return `skip: ${p.reason ?? ""}`;
    case "xfail":
      return `xfail (expected): ${p.reason ?? ""}`;
    case "xpass":
      return `XPASS: passed, but expected to fail: ${p.reason ?? ""}`;
    case "failed":
      return `FAIL: ${p.failure ?? ""}${replay}`;
  }
}

function reportTable(report: BackendReport): HTMLElement {
  const failed = report.properties.filter((p) => !p.passed).length;
  return h(
    "details",
    { "data-backend": report.backend, open: failed > 0 },
    h(
      "summary",
      {},
      `${report.backend} (${report.precision}): ${report.properties.length - failed} of ${report.properties.length} properties pass`,
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "report" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { class: "property" }, "property"),
            h("th", {}, "result"),
            h("th", { class: "num" }, "runs"),
            h("th", { class: "num" }, "max error"),
            h("th", { class: "num" }, "tolerance"),
          ),
        ),
        h(
          "tbody",
          {},
          ...report.properties.map((p) =>
            h(
              "tr",
              { "data-property": p.id, "data-passed": String(p.passed) },
              h("td", { class: "property" }, h("code", {}, p.id), " ", ...mathText(p.name)),
              h("td", { class: p.passed ? "pass" : "fail" }, ...mathText(resultText(p))),
              h("td", { class: "num" }, String(p.runs)),
              // A power of ten with a real exponent, and the exact value for tools.
              h("td", { class: "num", "data-value": p.maxError }, sci(p.maxError)),
              h("td", { class: "num", "data-value": p.tolerance }, sci(p.tolerance)),
            ),
          ),
        ),
      ),
    ),
  );
}

const panel = mountPanel(
  root,
  { heading: "Run the suite here", testid: "conformance", buttonLabel: "Run the suite" },
  async ({ runner, progress }) => {
    const outcomes = await runner.run(
      "conformance",
      { numRuns: Number(numRuns.value()), seed: required(seed) },
      (p) =>
        progress(
          p.done / p.total,
          `${p.backend}: property ${p.done} of ${p.total} (${p.result.id}) ${p.result.passed ? "passed" : "FAILED"}`,
        ),
    );
    const rows: HTMLElement[] = [];
    details.replaceChildren();
    summary.replaceChildren();
    let passedAll = true;
    for (const choice of outcomes) {
      if (!choice.available) {
        rows.push(
          h(
            "tr",
            { "data-backend": choice.name, "data-result": "unavailable" },
            h("td", {}, choice.name),
            h("td", {}, "–"),
            h("td", {}, `not available here: ${choice.reason}`),
          ),
        );
        continue;
      }
      const { report } = choice;
      const failed = report.properties.filter((p) => !p.passed).length;
      passedAll &&= report.passed;
      rows.push(
        h(
          "tr",
          {
            "data-backend": choice.name,
            "data-result": report.passed ? "pass" : "fail",
            "data-failed": String(failed),
            "data-properties": String(report.properties.length),
          },
          h("td", {}, choice.name),
          h("td", {}, report.precision),
          h(
            "td",
            { class: report.passed ? "pass" : "fail" },
            report.passed
              ? `pass: all ${report.properties.length} properties`
              : `FAIL: ${failed} of ${report.properties.length} properties`,
          ),
        ),
      );
      details.append(reportTable(report));
    }
    summary.append(
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, "backend"), h("th", {}, "precision"), h("th", {}, "result")),
        ),
        h("tbody", {}, ...rows),
      ),
    );
    summary.dataset.result = passedAll ? "pass" : "fail";
    return passedAll ? "Every available backend conforms" : "Some properties failed";
  },
);
// A suite run takes tens of seconds: it starts from the button only, not on every change.
addControl(panel, numRuns.element, { rerun: false });
addControl(panel, seed.element, { rerun: false });
panel.results.append(summary, details);
void panel.run();
