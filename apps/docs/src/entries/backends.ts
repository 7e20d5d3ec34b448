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
        h("th", {}, "threads"),
      ),
    ),
    h(
      "tbody",
      {},
      ...choices.map((c) =>
        h(
          "tr",
          {
            "data-backend": c.name,
            "data-available": String(c.available),
            ...(c.threads !== undefined ? { "data-threads": String(c.threads) } : {}),
          },
          h("td", {}, h("code", {}, c.name)),
          h("td", { class: c.available ? "pass" : "fail" }, c.available ? "yes" : "no"),
          h("td", {}, c.available ? (c.precision ?? "") : (c.reason ?? "")),
          h(
            "td",
            {},
            c.threads === undefined
              ? "–"
              : c.threadsNote !== undefined
                ? `${c.threads} (${c.threadsNote})`
                : String(c.threads),
          ),
        ),
      ),
    ),
  ),
);
target.dataset.state = "done";
