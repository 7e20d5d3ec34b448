/** The "Choosing a backend" guide's live table of the backends in this browser. */
import { h, listBackends } from "../ui.js";

const target = document.getElementById("backends") as HTMLElement;
const choices = await listBackends();
target.append(
  h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, "backend"),
        h("th", {}, "available"),
        h("th", {}, "precision or reason"),
      ),
    ),
    h(
      "tbody",
      {},
      ...choices.map((c) =>
        h(
          "tr",
          { "data-backend": c.name, "data-available": String(c.available) },
          h("td", {}, h("code", {}, c.name)),
          h("td", { class: c.available ? "pass" : "fail" }, c.available ? "yes" : "no"),
          h("td", {}, c.available ? (c.precision ?? "") : (c.reason ?? "")),
        ),
      ),
    ),
  ),
);
target.dataset.state = "done";
