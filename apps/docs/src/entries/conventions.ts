/** The λ conventions guide: core's table, and a converter between any two conventions. */
import { CONVENTION_IDS, type ConventionId, convertLambda, LAMBDA_CONVENTIONS } from "@wdecay/core";
import { mathText } from "../notation.js";
import { field, fmt, h } from "../ui.js";

const table = document.getElementById("conventions") as HTMLElement;
table.append(
  h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, "convention"),
        h("th", {}, "parameter"),
        h("th", {}, "objective as the library writes it"),
        h("th", {}, "penalties"),
        h("th", {}, "needs n"),
        h("th", {}, "why"),
      ),
    ),
    h(
      "tbody",
      {},
      ...CONVENTION_IDS.map((id) => {
        const c = LAMBDA_CONVENTIONS[id];
        return h(
          "tr",
          { "data-convention": id },
          h("td", {}, h("strong", {}, c.label), h("br"), h("code", {}, id)),
          h("td", {}, h("code", {}, c.parameter)),
          // Core writes these in plain text (λ_c, ‖w‖_1); set as notation here.
          h("td", {}, ...mathText(c.objective)),
          h("td", {}, c.kinds.join(", ")),
          h("td", {}, c.needsN ? "yes" : "no"),
          h("td", {}, ...mathText(c.explanation)),
        );
      }),
    ),
  ),
);

const converter = document.getElementById("converter") as HTMLElement;
const value = h("input", { type: "number", min: 0, step: "any", value: 3, "data-testid": "value" });
const from = h(
  "select",
  { "data-testid": "from" },
  ...CONVENTION_IDS.map((id) => h("option", { value: id }, id)),
);
const n = h("input", { type: "number", min: 1, step: 1, value: 20, "data-testid": "n" });
const out = h("ul", { "data-testid": "converted" });
function update(): void {
  const v = Number(value.value);
  out.replaceChildren(
    ...CONVENTION_IDS.map((to) => {
      let text: string;
      try {
        text = fmt(convertLambda(v, from.value as ConventionId, to, { n: Number(n.value) }), 6);
      } catch (error) {
        text = `– (${error instanceof Error ? error.message : String(error)})`;
      }
      return h(
        "li",
        { "data-convention": to },
        h("code", {}, to),
        `: ${LAMBDA_CONVENTIONS[to].parameter} = ${text}`,
      );
    }),
  );
}
for (const el of [value, from, n]) el.addEventListener("input", update);
converter.append(
  h(
    "div",
    { class: "controls" },
    field("Value", value),
    field("in the convention", from),
    field("training examples n", n),
  ),
  out,
);
update();
converter.dataset.state = "done";
